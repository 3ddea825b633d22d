"""Markdown to HTML for emails: CommonMark with task lists (markdown-it-py), then sanitized
(nh3), so nothing a user wrote can run, load or link anywhere but http(s) and mailto.

Raw HTML in the text is shown as text, never passed through; images are not rendered (a
remote image in an email tells its sender who opened it); every link gets
rel="noopener noreferrer". The web client renders comments with its own renderer; this one
is the server's, for what it sends.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.tasklists import tasklists_plugin

TAGS = frozenset(
    {"p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
     "h1", "h2", "h3", "h4", "h5", "h6", "input"}
)  # fmt: skip
ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
# a task list's box (ticked or not), and nothing else an <input> could be
INPUT_VALUES = {"input": {"checked": {"checked", ""}}}
INPUT_FORCED = {"input": {"type": "checkbox", "disabled": "disabled"}}
SCHEMES = frozenset({"http", "https", "mailto"})
# ASCII punctuation: each may be escaped with a backslash in CommonMark, and one of them
# starts every piece of markdown syntax
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")

_parser = MarkdownIt("commonmark", {"html": False}).use(tasklists_plugin).disable("image")


_cleaner = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    tag_attribute_values={
        tag: {name: set(values) for name, values in allowed.items()}
        for tag, allowed in INPUT_VALUES.items()
    },
    set_tag_attribute_values={tag: dict(values) for tag, values in INPUT_FORCED.items()},
    url_schemes=set(SCHEMES),
    url_relative="deny",  # an email has no page for them to be relative to
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def render(text: str) -> str:
    """Sanitized HTML for a markdown text."""
    return sanitize(_parser.render(text))


def sanitize(html: str) -> str:
    return _cleaner.clean(html)


def escape(text: str) -> str:
    """Plain text (a title, a name) as markdown that shows it as it is: no link, emphasis or
    heading can be made of it."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.split()))
