"""What an uploaded file is, judged from its bytes alone, and how its name is cleaned and sent.

The client's Content-Type and the file's extension are never believed. `filetype` recognises
binary formats by their magic numbers and claims no text format at all, so an HTML or SVG file
can never come back as `text/html` or `image/svg+xml`: it is `text/plain` (UTF-8 without NUL) or
`application/octet-stream`. Only raster images a browser decodes without running anything are
shown inline.
"""

from __future__ import annotations

import codecs
import unicodedata
from urllib.parse import quote

import filetype

# filetype reads no further than this into a file
HEAD_BYTES = 8192
OCTET_STREAM = "application/octet-stream"
TEXT = "text/plain"
# shown inline for a preview (never SVG: it is a document that may carry scripts)
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# an animated PNG is a PNG (same signature, two more chunks) and browsers treat it as one
_SAME_AS = {"image/apng": "image/png"}

MAX_NAME = 255
FALLBACK_NAME = "attachment"
# Unicode categories left out of names: control characters (NUL, CR, LF, ESC...), format
# characters (bidirectional overrides that make "evil‮gpj.exe" read as "evilexe.jpg"),
# surrogates, and line and paragraph separators
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# RFC 5987 attr-char besides letters and digits: what filename*= carries unencoded
_ATTR_CHARS = "!#$&+-.^_`|~"
_LONGEST_KEPT_EXTENSION = 16


def media_type(head: bytes, *, whole: bool) -> str:
    """The media type of a file that starts with `head` (the first HEAD_BYTES or fewer);
    `whole`: the head is the whole file (a character cut at its end is then no text)."""
    if not head:
        return OCTET_STREAM
    kind = filetype.guess(head)
    if kind is not None:
        mime = str(kind.mime)
        return _SAME_AS.get(mime, mime)
    return TEXT if _is_text(head, whole=whole) else OCTET_STREAM


def _is_text(head: bytes, *, whole: bool) -> bool:
    if b"\x00" in head:
        return False
    try:
        # not final unless whole: a multi-byte character cut by the head's end still counts
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
    except UnicodeDecodeError:
        return False
    return True


def inline(media: str) -> bool:
    return media in INLINE


def clean_name(raw: str | None) -> str:
    """The name as stored and sent back: the last part of any path (browsers on Windows send
    `C:\\fakepath\\x.png`), without control or format characters, trimmed, at most MAX_NAME
    characters (the extension kept), never empty, `.` or `..`."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in _DROPPED).strip()
    if name in ("", ".", ".."):
        return FALLBACK_NAME
    if len(name) <= MAX_NAME:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) <= _LONGEST_KEPT_EXTENSION:
        return stem[: MAX_NAME - len(extension) - 1].rstrip() + "." + extension
    return name[:MAX_NAME].rstrip()


def content_disposition(name: str, *, as_inline: bool) -> str:
    """RFC 6266: a plain-ASCII `filename` for old clients, then the exact name as RFC 5987's
    `filename*=UTF-8''...`, which every current browser prefers."""
    fallback = (
        "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in name).strip()
        or FALLBACK_NAME
    )
    encoded = quote(name, safe=_ATTR_CHARS)
    kind = "inline" if as_inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
