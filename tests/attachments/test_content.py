"""Media types from bytes, cleaned names and Content-Disposition (pure functions)."""

from __future__ import annotations

import os
from urllib.parse import unquote

import pytest

from laneway.blobs import content
from tests.attachments import samples


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.png(), "image/png"),
        (samples.JPEG, "image/jpeg"),
        (samples.GIF, "image/gif"),
        (samples.WEBP, "image/webp"),
        (samples.PDF, "application/pdf"),
        (samples.zip_file(), "application/zip"),
        (samples.HTML, "text/plain"),
        (samples.SVG, "text/plain"),
        (b'<?xml version="1.0"?><x/>', "text/plain"),
        (samples.TEXT, "text/plain"),
        (b"\x00\x01binary\xff", "application/octet-stream"),
        (b"caf\xc3", "application/octet-stream"),  # cut in a character, and that is all
        (b"", "application/octet-stream"),
    ],
)
def test_media_type_is_read_from_the_bytes(data: bytes, expected: str) -> None:
    assert content.media_type(data, whole=True) == expected


def test_no_text_format_is_ever_claimed() -> None:
    for data in (samples.HTML, samples.SVG, b"<html>", b"<script>x</script>", os.urandom(64)):
        assert content.media_type(data, whole=True) in ("text/plain", "application/octet-stream")


def test_a_character_cut_by_the_head_is_still_text() -> None:
    head = ("é" * content.HEAD_BYTES).encode()[: content.HEAD_BYTES - 1]
    assert content.media_type(head, whole=False) == "text/plain"
    assert content.media_type(head, whole=True) == "application/octet-stream"


def test_inline_only_for_raster_images() -> None:
    assert {m for m in content.INLINE if content.inline(m)} == {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    }
    for media in ("image/svg+xml", "text/html", "text/plain", "application/pdf", "image/tiff"):
        assert not content.inline(media)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\fakepath\\photo.png", "photo.png"),
        ("a\r\nSet-Cookie: x=1\x00\x1b.txt", "aSet-Cookie: x=1.txt"),
        ("evil\u202egpj.exe", "evilgpj.exe"),  # no right-to-left override
        ("  spaced  ", "spaced"),
        ("..", "attachment"),
        ("dir/", "attachment"),
        ("", "attachment"),
        (None, "attachment"),
        ("Cafe\u0301.txt", "Café.txt"),  # NFC
    ],
)
def test_names_are_cleaned(raw: str | None, expected: str) -> None:
    assert content.clean_name(raw) == expected


def test_long_names_keep_their_extension() -> None:
    name = content.clean_name("x" * 400 + ".tar.gz")
    assert len(name) == 255
    assert name.endswith("x.gz")
    assert len(content.clean_name("y" * 400)) == 255
    assert content.clean_name("z" * 300 + "." + "e" * 40) == "z" * 255


def test_content_disposition_follows_rfc_6266_and_5987() -> None:
    name = 'résumé "final" 100%.txt'
    header = content.content_disposition(name, as_inline=False)
    kind, fallback, encoded = header.split("; ")
    assert kind == "attachment"
    assert fallback == 'filename="r_sum_ _final_ 100_.txt"'
    assert encoded.startswith("filename*=UTF-8''")
    value = encoded.removeprefix("filename*=UTF-8''")
    assert unquote(value, encoding="utf-8") == name
    assert all(c.isalnum() or c in "%!#$&+-.^_`|~" for c in value)
    assert content.content_disposition("a.png", as_inline=True).startswith("inline; ")
    assert 'filename="_"' in content.content_disposition("✓", as_inline=False)
