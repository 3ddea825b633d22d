"""How long another user's write waits while a CSV import runs on SQLite (one write lock for
the whole instance): a 50,000-row import into one project while a second user creates tasks
in another, one after another, through the API, in one process.

    python -m bench.import_lock [--rows 50000] [--batch-rows 1000]

Prints the import's duration and the slowest and median create meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import create_async_engine

from laneway import migrations
from laneway.app import create_app
from laneway.config import (
    AuthSettings,
    DatabaseSettings,
    JobSettings,
    LogSettings,
    Settings,
    TransferSettings,
)
from laneway.state import AppState

API = "/api/v1"
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway account in a temporary database


async def _user(http: httpx.AsyncClient, name: str) -> dict[str, str]:
    body = {"email": f"{name}@example.com", "password": PASSWORD, "name": name}
    assert (await http.post(f"{API}/auth/register", json=body)).status_code == 201
    login = await http.post(
        f"{API}/auth/login", json={"email": body["email"], "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {login.json()['token']}"}


async def run(rows: int, batch_rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'laneway.db'}"
        engine = create_async_engine(url)
        await migrations.upgrade(engine)
        await engine.dispose()
        settings = Settings(
            data_dir=Path(tmp),
            database=DatabaseSettings(url=url),
            auth=AuthSettings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1),
            log=LogSettings(level="WARNING"),
            jobs=JobSettings(in_process=False),
            transfer=TransferSettings(import_batch_rows=batch_rows),
        )
        app = create_app(settings)
        async with LifespanManager(app):
            state: AppState = app.state.laneway
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                owner, other = await _user(http, "owner"), await _user(http, "other")
                target = await http.post(f"{API}/projects", json={"name": "T"}, headers=owner)
                elsewhere = await http.post(f"{API}/projects", json={"name": "E"}, headers=other)
                sheet = "Title\n" + "".join(f"Row {i}\n" for i in range(rows))
                queued = await http.post(
                    f"{API}/projects/{target.json()['id']}/imports?map=title=Title",
                    content=sheet.encode(),
                    headers=owner,
                )
                assert queued.status_code == 202, queued.text
                began = time.perf_counter()
                work = asyncio.create_task(state.transfers.drain())
                waits: list[float] = []
                path = f"{API}/projects/{elsewhere.json()['id']}/tasks"
                while not work.done():
                    start = time.perf_counter()
                    made = await http.post(path, json={"title": "Meanwhile"}, headers=other)
                    assert made.status_code == 201, made.text
                    waits.append(time.perf_counter() - start)
                await work
                took = time.perf_counter() - began
    print(f"import of {rows} rows, {batch_rows} per transaction: {took:.1f} s")
    print(
        f"another user's creates meanwhile: {len(waits)}, slowest {max(waits) * 1000:.0f} ms, "
        f"median {statistics.median(waits) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.import_lock", description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--batch-rows", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(run(args.rows, args.batch_rows))


if __name__ == "__main__":
    main()
