"""An archive's references, checked before anything is written: every name, number and ref a
task or comment uses must point at something the archive holds, and no two things may share
what identifies them. The history may name things deleted before the export; it is not checked
here beyond its order."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import orjson

from laneway.transfer.errors import TransferError
from laneway.transfer.schema import MAX_EVENT_BYTES, ArchiveIn

SHOWN = 3  # problems named in the message; the rest are counted
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # an escaped NUL, not an escaped backslash


def check(archive: ArchiveIn) -> None:
    problems: list[str] = []
    problems += _duplicates("status name", (s.name.lower() for s in archive.statuses))
    problems += _duplicates("status ref", (s.ref for s in archive.statuses))
    problems += _duplicates("label name", (label.name for label in archive.labels))
    problems += _duplicates("label ref", (label.ref for label in archive.labels))
    problems += _duplicates("member email", (m.email for m in archive.members))
    problems += _duplicates("task number", (t.number for t in archive.tasks))
    problems += _duplicates("comment ref", (c.ref for c in archive.comments))

    statuses = {s.name for s in archive.statuses}
    labels = {label.name for label in archive.labels}
    numbers = {t.number for t in archive.tasks}
    for i, task in enumerate(archive.tasks):
        where = f"tasks[{i}] (number {task.number})"
        if task.status not in statuses:
            problems.append(f"{where}: status {task.status!r} is not among the statuses")
        problems += [
            f"{where}: label {name!r} is not among the labels"
            for name in task.labels
            if name not in labels
        ]
        if task.parent is not None and task.parent not in numbers:
            problems.append(f"{where}: parent {task.parent} is not among the tasks")
    problems += _cycles({t.number: t.parent for t in archive.tasks if t.parent is not None})
    problems += [
        f"comments[{i}]: task {comment.task} is not among the tasks"
        for i, comment in enumerate(archive.comments)
        if comment.task not in numbers
    ]
    previous = 0
    for i, event in enumerate(archive.events):
        if event.seq <= previous:
            problems.append(f"events[{i}]: seq {event.seq} does not follow {previous}")
        previous = event.seq
        dumped = orjson.dumps(event.changes) + orjson.dumps(event.snapshot)
        if len(dumped) > MAX_EVENT_BYTES:
            problems.append(f"events[{i}]: larger than {MAX_EVENT_BYTES // 1024} KiB")
        if _NUL.search(dumped):  # PostgreSQL's JSON cannot hold it; no request string may
            problems.append(f"events[{i}]: holds a NUL character")
        if len(problems) > SHOWN:
            break
    if problems:
        more = len(problems) - SHOWN
        raise TransferError(
            "the archive is inconsistent: "
            + "; ".join(problems[:SHOWN])
            + (f" (and {more} more)" if more > 0 else "")
        )


def _duplicates(what: str, values: Iterable[object]) -> list[str]:
    return [f"{what} {value!r} appears {n} times" for value, n in Counter(values).items() if n > 1]


def _cycles(parents: dict[int, int]) -> list[str]:
    """Tasks that are their own ancestor; each walk stops at a task already cleared."""
    cleared: set[int] = set()
    problems = []
    for start in parents:
        path: list[int] = []
        on_path: set[int] = set()
        number: int | None = start
        while number is not None and number not in cleared:
            if number in on_path:
                problems.append(f"task {number} is its own ancestor (parents form a cycle)")
                break
            path.append(number)
            on_path.add(number)
            number = parents.get(number)
        cleared.update(path)
    return problems
