"""Statements per attachment request, counted at the driver: constant, on both stores, and within
the published budget. The token and my role are cached by the requests before."""

from __future__ import annotations

import pytest

from laneway.config import AttachmentStore
from tests.attachments.conftest import STORES
from tests.support import Api, StatementCounter


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_attachment_budgets(
    api: Api, statements: StatementCounter, store: AttachmentStore
) -> None:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    task_id = (await api.task(owner, pid))["id"]
    await api.request("GET", f"/tasks/{task_id}/attachments", owner)  # my role, cached

    statements.reset()
    created = await api.attach(owner, task_id, b"0123456789" * 1000)
    assert created.status_code == 201, created.text
    # the task (the request's read); then in the write: my role again (the file may have taken
    # minutes), the project's counter, the row, the event
    assert statements.count == 5, statements.statements
    attachment_id = created.json()["id"]

    counted = []
    for more in (0, 30):
        for _ in range(more):
            await api.attach(owner, task_id, b"x")
        statements.reset()
        listed = await api.request(
            "GET", f"/tasks/{task_id}/attachments", owner, params={"limit": 200}
        )
        assert len(listed.json()["items"]) == 1 + more
        counted.append(statements.count)
    assert counted == [2, 2]  # the task, the page

    statements.reset()
    downloaded = await api.request("GET", f"/attachments/{attachment_id}", owner)
    assert downloaded.content == b"0123456789" * 1000
    assert statements.count == 1, statements.statements  # the row (with its bytes) and my role

    statements.reset()
    deleted = await api.request("DELETE", f"/attachments/{attachment_id}", owner)
    assert deleted.status_code == 204
    # the row and my role; the counter, the delete, the event
    assert statements.count == 4, statements.statements
