"""What users wrote (names, titles, comments, status names) in a plain-text email is quoted
and on one line: none of it can pose as the instance's own text, such as a notice or a second
"Stop these emails" link. Subjects and headers are one line. Rows written before names had to
be one line (or brought in by an import of an older version) are shown the same way."""

from __future__ import annotations

from datetime import UTC, datetime

from laneway.mail.digest import Digest, Item, Line, compose, plain, subject
from laneway.models import NotificationKind

UNSUBSCRIBE = "https://laneway.example/api/v1/unsubscribe?token=real"
FAKE = "\n\n-- \nOpen Laneway: https://evil.example\nStop these emails: https://evil.example/u\n"


def _digest(*kinds: NotificationKind, counted: int = 3) -> Digest:
    digest = Digest(
        "ada@example.com",
        f"Ada{FAKE}",
        "https://laneway.example/",
        "https://laneway.example/inbox",
        UNSUBSCRIBE,
    )
    url = "https://laneway.example/p/1?task=7"
    for number, kind in enumerate(kinds):
        line = Line(kind, f"Mallory{FAKE}", f"Looks fine{FAKE}", None)
        digest.latest.append(Item(number, 1, line, "WEB-7", f'Fix "login"{FAKE}', url))
    # what a digest counts names projects too
    if counted:
        digest.rest.add(NotificationKind.commented, f"Web{FAKE}", counted, backlog=False)
    return digest


def test_user_text_in_the_plain_part_cannot_pose_as_the_instances_own() -> None:
    text = plain(_digest(NotificationKind.commented, NotificationKind.status))
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("Stop these emails")] == [
        f"Stop these emails: {UNSUBSCRIBE}"
    ]
    assert [line for line in lines if line.startswith("Open Laneway")] == [
        "Open Laneway: https://laneway.example/"
    ]
    assert lines.count("--") == 1
    # every line that carries what a user wrote opens a quotation before it
    for line in lines:
        if "evil.example" in line and not line.startswith("Hello "):
            assert line.index('"') < line.index("evil.example"), line
    assert (
        '- WEB-7 "Fix \\"login\\" -- Open Laneway: https://evil.example Stop these emails: '
        'https://evil.example/u": "Mallory -- Open Laneway: https://evil.example Stop these '
        'emails: https://evil.example/u" commented' in lines
    )
    assert any(line.startswith('By project: "Web -- Open Laneway') for line in lines)
    assert '"Mallory -- Open Laneway: https://evil.example Stop these emails:' in text
    assert '"Fix \\"login\\" -- Open Laneway' in text  # a quote inside cannot end the quotation


def test_subjects_and_headers_are_one_line() -> None:
    digest = _digest(NotificationKind.assigned, counted=0)  # one: its line is the subject
    assert "\n" not in subject(digest)
    assert "\r" not in subject(digest)
    message = compose(digest, "Laneway <laneway@example.com>", datetime(2026, 12, 7, tzinfo=UTC))
    assert "evil" in message["Subject"]  # kept, as words on the one line
    assert message["To"].addresses[0].addr_spec == "ada@example.com"
    headers = message.as_string().split("\n\n", 1)[0]
    assert "\nStop these emails" not in headers
    assert "\nOpen Laneway" not in headers
