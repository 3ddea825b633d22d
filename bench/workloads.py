"""The request each bench client sends next, per workload.

Clients own disjoint slices of the big project's tasks, so moves with If-Match measure the
write path rather than conflicts; every client tracks its tasks' ETags from the responses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.dataset import Dataset
from bench.driver import Step

API = "/api/v1"


@dataclass
class Client:
    token: str
    rng: random.Random
    tasks: dict[int, list[Any]] = field(default_factory=dict)  # id -> [status, etag]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def clients(data: Dataset, count: int) -> list[Client]:
    made = [
        Client(token=data.tokens[i % len(data.tokens)], rng=random.Random(i)) for i in range(count)
    ]
    for index, (task_id, status_id) in enumerate(data.tasks):
        made[index % count].tasks[task_id] = [status_id, "*"]
    return made


async def _get(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> int:
    async with session.get(url, headers=headers) as response:
        await response.read()
        return response.status


def board(base: str, data: Dataset, people: list[Client], conditional: bool = False) -> Step:
    url = f"{base}{API}/projects/{data.big_project}/board"
    etags: dict[int, str] = {}

    async def step(session: aiohttp.ClientSession, index: int) -> int:
        headers = dict(people[index].auth)
        if conditional and index in etags:
            headers["If-None-Match"] = etags[index]
        async with session.get(url, headers=headers) as response:
            await response.read()
            if "ETag" in response.headers:
                etags[index] = response.headers["ETag"]
            return response.status

    return step


def board_cold(base: str, data: Dataset, people: list[Client]) -> Step:
    """The board read right after a change to the project: never answered from a rendered copy."""
    read = board(base, data, people)

    async def change(session: aiohttp.ClientSession, index: int) -> int:
        client = people[index]
        task_id = client.rng.choice(list(client.tasks))
        status, etag = client.tasks[task_id]
        async with session.patch(
            f"{base}{API}/tasks/{task_id}",
            json={"title": f"changed {client.rng.random():.6f}"},
            headers={**client.auth, "If-Match": etag},
        ) as response:
            await response.read()
            if response.status == 200:
                client.tasks[task_id] = [status, response.headers["ETag"]]
            return response.status

    read.prepare = change  # type: ignore[attr-defined]
    return read


def listing(base: str, data: Dataset, people: list[Client], search: bool = False) -> Step:
    words = ["login", "export", "webhook", "dark", "search", "token", "due", "fix"]

    async def step(session: aiohttp.ClientSession, index: int) -> int:
        client = people[index]
        if search:
            query = f"q={client.rng.choice(words)}&limit=100"
        else:
            assignee = client.rng.choice(data.user_ids)
            status = client.rng.choice(data.statuses)
            query = f"assignee={assignee}&status={status}&limit=100"
        return await _get(
            session, f"{base}{API}/projects/{data.big_project}/tasks?{query}", client.auth
        )

    return step


def create(base: str, data: Dataset, people: list[Client], one_project: bool = False) -> Step:
    """New tasks spread over the projects, or all on the big one (its writers queue for one
    project's lock)."""

    async def step(session: aiohttp.ClientSession, index: int) -> int:
        client = people[index]
        project = data.big_project if one_project else client.rng.choice(data.project_ids)
        body: dict[str, Any] = {
            "title": f"bench task {client.rng.random():.6f}",
            "priority": "medium",
        }
        if project == data.big_project:
            body["labels"] = client.rng.sample(data.labels, 2)
        url = f"{base}{API}/projects/{project}/tasks"
        async with session.post(url, json=body, headers=client.auth) as response:
            await response.read()
            return response.status

    return step


def move(base: str, data: Dataset, people: list[Client]) -> Step:
    async def step(session: aiohttp.ClientSession, index: int) -> int:
        client = people[index]
        task_id = client.rng.choice(list(client.tasks))
        _status, etag = client.tasks[task_id]
        target = client.rng.choice(data.statuses)
        body: dict[str, Any] = {"status_id": target}
        neighbours = [t for t, (s, _e) in client.tasks.items() if s == target and t != task_id]
        if neighbours:
            body["after_id"] = client.rng.choice(neighbours)
        headers = {**client.auth, "If-Match": etag}
        async with session.post(
            f"{base}{API}/tasks/{task_id}/move", json=body, headers=headers
        ) as response:
            await response.read()
            if response.status == 200:
                client.tasks[task_id] = [target, response.headers["ETag"]]
            return response.status

    return step


def mixed(base: str, data: Dataset, people: list[Client]) -> Step:
    """80% reads (board, filtered list, one task) and 20% writes (create, move)."""
    reads = [board(base, data, people), listing(base, data, people)]
    writes = [create(base, data, people), move(base, data, people)]

    async def one_task(session: aiohttp.ClientSession, index: int) -> int:
        client = people[index]
        task_id = client.rng.choice(list(client.tasks))
        return await _get(session, f"{base}{API}/tasks/{task_id}", client.auth)

    reads.append(one_task)

    async def step(session: aiohttp.ClientSession, index: int) -> int:
        rng = people[index].rng
        chosen = rng.choice(writes) if rng.random() < 0.2 else rng.choice(reads)
        return await chosen(session, index)

    return step


WORKLOADS = {
    "board": (board, {200}),
    "board-304": (lambda b, d, p: board(b, d, p, conditional=True), {200, 304}),
    "board-cold": (board_cold, {200}),
    "list": (listing, {200}),
    "search": (lambda b, d, p: listing(b, d, p, search=True), {200}),
    "create": (create, {201}),
    "create-one": (lambda b, d, p: create(b, d, p, one_project=True), {201}),
    "move": (move, {200}),
    "mixed": (mixed, {200, 201}),
}
