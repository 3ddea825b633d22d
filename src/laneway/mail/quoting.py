"""Someone's words in a plain-text email: a name, a title, a comment. None may pose as the
instance's own text, so each is one line (it cannot start a line of its own, such as a fake
notice or a fake "Stop these emails" link) and, in a body, quoted (a reader sees where it starts
and ends). Subjects and headers are one line too. The HTML part is made from markdown, where
mail/markdown.py escapes the same text."""

from __future__ import annotations

from laneway.kit.text import one_line

__all__ = ["one_line", "quoted"]


def quoted(text: str) -> str:
    """One line in double quotes; a quote or backslash inside is escaped, so none of the text
    can close the quotation and carry on as if the instance were speaking."""
    escaped = one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
