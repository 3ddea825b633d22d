"""Names and titles are one line. A line break or control character in one would let it pose as
other text wherever it is shown as text: a plain-text email (a fake notice or footer), an email
subject, a log line. The API refuses them (kit.schemas.OneLine); data from elsewhere (imports,
rows written before the rule) is made one line where it is read or shown."""

from __future__ import annotations

import re

# C0 and C1 controls (tab, CR and LF among them), DEL, and Unicode's line and paragraph
# separators. Format characters (Cf, e.g. the joiner inside an emoji) are text and stay.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_RUNS = re.compile(r"\s+")


def is_one_line(text: str) -> bool:
    return _CONTROLS.search(text) is None


def one_line(text: str) -> str:
    """The text with each control character or line break as a space, runs of spaces as one."""
    return _RUNS.sub(" ", _CONTROLS.sub(" ", text)).strip()
