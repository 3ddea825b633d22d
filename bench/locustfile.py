"""Exploratory load with a realistic mix of users (not the published numbers: see bench/).

Seed first, then point locust at a running Laneway (loopback only; every shape stops itself):

    python -m bench --seed-only                        # writes bench/results/dataset.json
    LANEWAY_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1/laneway_bench \\
        laneway serve --workers 2 --no-migrate &
    LOCUST_SHAPE=steady locust -f bench/locustfile.py --headless --host http://127.0.0.1:8000

LOCUST_SHAPE: steady (50 users for 2 minutes), spike (10 -> 200 -> 10 users over 90 s) or
stress (+25 users every 20 s up to 300, then stop).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

from locust import HttpUser, LoadTestShape, between, task

DATASET = json.loads(
    Path(os.environ.get("LANEWAY_BENCH_DATASET", "bench/results/dataset.json")).read_text()
)
API = "/api/v1"


class BoardUser(HttpUser):
    """Someone working on the big board: mostly looking, sometimes changing things."""

    wait_time = between(0.5, 3)

    def on_start(self) -> None:
        self.rng = random.Random()
        token = self.rng.choice(DATASET["tokens"])
        self.client.headers["Authorization"] = f"Bearer {token}"
        self.board_etag: str | None = None
        self.project = DATASET["big_project"]

    @task(6)
    def board(self) -> None:
        headers = {"If-None-Match": self.board_etag} if self.board_etag else {}
        with self.client.get(
            f"{API}/projects/{self.project}/board",
            headers=headers,
            name="board",
            catch_response=True,
        ) as response:
            if response.status_code in (200, 304):
                self.board_etag = response.headers.get("ETag", self.board_etag)
                response.success()

    @task(3)
    def filtered_list(self) -> None:
        assignee = self.rng.choice(DATASET["user_ids"])
        self.client.get(
            f"{API}/projects/{self.project}/tasks?assignee={assignee}&limit=50", name="list"
        )

    @task(2)
    def search(self) -> None:
        word = self.rng.choice(["login", "export", "webhook", "dark", "token"])
        self.client.get(f"{API}/projects/{self.project}/tasks?q={word}", name="search")

    @task(2)
    def open_task(self) -> None:
        task_id, _status = self.rng.choice(DATASET["tasks"])
        self.client.get(f"{API}/tasks/{task_id}", name="task")
        self.client.get(f"{API}/tasks/{task_id}/comments", name="comments")

    @task(1)
    def create(self) -> None:
        body: dict[str, Any] = {
            "title": "locust task",
            "labels": self.rng.sample(DATASET["labels"], 1),
        }
        self.client.post(f"{API}/projects/{self.project}/tasks", json=body, name="create")

    @task(1)
    def move(self) -> None:
        task_id, _status = self.rng.choice(DATASET["tasks"])
        current = self.client.get(f"{API}/tasks/{task_id}", name="task")
        if current.status_code != 200:
            return
        self.client.post(
            f"{API}/tasks/{task_id}/move",
            json={"status_id": self.rng.choice(DATASET["statuses"])},
            headers={"If-Match": current.headers["ETag"]},
            name="move",
        )


STAGES = {
    "steady": [(120, 50, 10)],
    "spike": [(30, 10, 10), (60, 200, 50), (90, 10, 50)],
    "stress": [(20 * (i + 1), 25 * (i + 1), 25) for i in range(12)],
}


class Shape(LoadTestShape):
    """(end second, users, spawn rate) stages; returns None at the end so the run stops."""

    stages = STAGES[os.environ.get("LOCUST_SHAPE", "steady")]

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        for end, users, rate in self.stages:
            if elapsed < end:
                return users, rate
        return None
