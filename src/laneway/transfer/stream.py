"""A JSON document read as a stream (ijson), one top-level entry and one collection item at a
time, so a hostile file is refused at the first thing over a limit and never materialised
whole: a collection with more items than allowed stops at the first one too many, a string
longer than any field takes stops there, and one item (or top-level value) may only grow to
`ITEM_BYTES` before it is refused.

Each item is handed to the caller as soon as it is complete, to be validated there; nothing
waits for the end of the file. Work here is short Python steps, so a thread running it leaves
the event loop its turns.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import ijson

from laneway.transfer.errors import TransferError

STRING_CHARS = 1024 * 1024  # longer than any field of any format takes (descriptions: 100,000)
ITEM_BYTES = 4 * 1024 * 1024  # one item, as roughly its JSON size; an event may hold 1 MiB
DEPTH = 32  # nesting in one item; the formats need 4
_SCALAR = 8  # what a number, true, false or null counts for in an item's size

Event = tuple[str, Any]


@dataclass(frozen=True, slots=True)
class Entry:
    """A top-level key with its whole (small) value, or one item of a collection."""

    key: str
    value: Any
    index: int | None = None  # the item's place in its collection; None for a plain value


STARTED = object()  # the value of the entry that opens a collection, before its items


class NotAnObject(Exception):
    """The document is JSON but not an object: the caller names what it expected."""


def entries(
    raw: bytes, what: str, collections: Mapping[str, int], skip: frozenset[str] | None = None
) -> Iterator[Entry]:
    """The document's top-level entries in file order; each collection (a key of
    `collections`, mapped to its most items) as an entry whose value is STARTED, then one item
    at a time. With `skip`, keys outside it and outside `collections` are passed over without
    being built."""
    events = _events(raw, what)
    if next(events, ("end", None))[0] != "start_map":
        raise NotAnObject
    seen: set[str] = set()
    for event, key in events:
        if event == "end_map":
            break
        if key in seen:
            raise TransferError(f"the {what} is invalid: {key} appears twice")
        seen.add(key)
        event, value = next(events)
        if key in collections and event == "start_array":
            yield Entry(key, STARTED)
            yield from _items(events, what, key, collections[key])
        elif skip is not None and key not in skip and key not in collections:
            _pass_over(events, event)
        else:
            yield Entry(key, _build(events, event, value, _Budget(what, key)))
    for _ in events:  # anything after the document is an error of ijson's
        pass


def _events(raw: bytes, what: str) -> Iterator[Event]:
    try:
        yield from ijson.basic_parse(io.BytesIO(raw), use_float=True)
    except ijson.JSONError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "incomplete"
        raise TransferError(f"the {what} is not JSON: {reason}") from None


def _items(events: Iterator[Event], what: str, key: str, most: int) -> Iterator[Entry]:
    for index, (event, value) in enumerate(events):
        if event == "end_array":
            return
        if index == most:
            raise TransferError(f"the {what} has more than {most} {key}: the limit is {most}")
        yield Entry(key, _build(events, event, value, _Budget(what, f"{key}[{index}]")), index)


@dataclass(slots=True)
class _Budget:
    what: str
    where: str
    left: int = ITEM_BYTES
    depth: int = 0

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise TransferError(
                f"the {self.what} is invalid: {self.where}: larger than {ITEM_BYTES // 2**20} MiB"
            )

    def string(self, value: str) -> str:
        if len(value) > STRING_CHARS:
            raise TransferError(
                f"the {self.what} is invalid: {self.where}: a string longer than "
                f"{STRING_CHARS} characters"
            )
        self.spend(len(value) + 2)
        return value


def _build(events: Iterator[Event], event: str, value: Any, budget: _Budget) -> Any:
    if event == "string":
        return budget.string(value)
    if event not in ("start_map", "start_array"):
        budget.spend(_SCALAR)
        return value
    budget.depth += 1
    if budget.depth > DEPTH:
        raise TransferError(
            f"the {budget.what} is invalid: {budget.where}: nested deeper than {DEPTH}"
        )
    built: Any
    if event == "start_map":
        built = {}
        for inner, key in events:
            if inner == "end_map":
                break
            budget.string(key)
            built[key] = _build(events, *next(events), budget)
    else:
        built = []
        for inner, item in events:
            if inner == "end_array":
                break
            built.append(_build(events, inner, item, budget))
    budget.depth -= 1
    budget.spend(_SCALAR)
    return built


def _pass_over(events: Iterator[Event], event: str) -> None:
    """A value nobody reads, consumed without keeping any of it."""
    if event not in ("start_map", "start_array"):
        return
    depth = 1
    for inner, _value in events:
        if inner in ("start_map", "start_array"):
            depth += 1
        elif inner in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                return
