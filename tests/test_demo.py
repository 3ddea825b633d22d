from __future__ import annotations

from sqlalchemy import func, select

from laneway.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from laneway.models import Comment, Event, StatusCount, Task
from laneway.state import AppState
from tests.support import API, Api


async def test_demo_board_is_complete_and_idempotent(api: Api, state: AppState) -> None:
    info = await seed_demo(state)
    assert info.created
    again = await seed_demo(state)
    assert not again.created
    assert again.project_id == info.project_id

    async with state.database.session(write=False) as session:
        tasks = await session.scalar(select(func.count()).where(Task.project_id == info.project_id))
        numbers = await session.scalar(
            select(func.count(func.distinct(Task.number))).where(Task.project_id == info.project_id)
        )
        ranks = await session.scalar(  # unique within each column
            select(func.count()).select_from(
                select(Task.status_id, Task.rank)
                .where(Task.project_id == info.project_id)
                .distinct()
                .subquery()
            )
        )
        comments = await session.scalar(
            select(func.count()).where(Comment.project_id == info.project_id)
        )
        counted = await session.scalar(
            select(func.sum(StatusCount.count)).where(StatusCount.project_id == info.project_id)
        )
        seqs = list(
            await session.scalars(
                select(Event.seq).where(Event.project_id == info.project_id).order_by(Event.seq)
            )
        )
        created_events = await session.scalar(
            select(func.count()).where(
                Event.project_id == info.project_id, Event.type == "task.created"
            )
        )
    assert tasks == numbers == ranks == counted == created_events == 2000
    assert comments is not None
    assert comments > 1000
    assert seqs == list(range(1, len(seqs) + 1))

    login = await api.client.post(
        f"{API}/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    board = await api.client.get(f"{API}/projects/{info.project_id}/board", headers=headers)
    columns = board.json()["columns"]
    assert [c["count"] for c in columns] == [400] * 5
    assert len(board.json()["labels"]) == 8
    assert len(board.json()["users"]) == 4
