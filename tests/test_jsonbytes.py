"""JSON kept in caches holds only its own bytes."""

from __future__ import annotations

import tracemalloc

from laneway.kit import jsonbytes


def test_kept_json_holds_only_its_own_bytes() -> None:
    # orjson's bytes keep its whole output buffer (4 KB or more): a cache of cards counted by
    # their length held ten times its bound
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [jsonbytes.kept({"id": i, "title": "x" * 300, "labels": [1, 2]}) for i in range(500)]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    payload = sum(len(k) for k in kept)
    assert held < 1.3 * payload, (held, payload)
    assert jsonbytes.kept({"a": [1, "b"]}) == jsonbytes.dumps({"a": [1, "b"]})
