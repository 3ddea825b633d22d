"""A task's JSON bytes, kept per (task id, version) for the board and the lists.

A task's version changes with every change to it, and its project's key never changes, so a
kept copy is never stale: after a change, a board or list re-renders only what changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from laneway.caches import Caches
from laneway.kit import jsonbytes
from laneway.tasks.schemas import task_json


def cards(caches: Caches, rows: Iterable[Any], project_key: str) -> list[bytes]:
    """Each row (a task's columns) as its TaskOut JSON."""
    rendered = []
    for row in rows:
        card = caches.card(row.id, row.version)
        if card is None:
            card = jsonbytes.kept(task_json(row, project_key))
            caches.keep_card(row.id, row.version, card)
        rendered.append(card)
    return rendered
