"""How large a request body each route takes: the one table that the app enforces
(kit/body_limit.py) and that every proxy in front of it follows. deploy/'s nginx files, the
Kubernetes Ingress, the docs' nginx example and `make cluster`'s nginx (rendered from this) are
compared with it by tests/test_proxy_body_limits.py."""

from __future__ import annotations

import math
from dataclasses import dataclass

from laneway.config import Settings

MIB = 1024 * 1024
# Imports: an archive, a Trello export or a CSV file as the whole body
IMPORT_PATHS = r"^/api/v1/(imports|projects/[0-9]+/imports)$"
# Attachments: multipart/form-data with one file part
UPLOAD_PATHS = r"^/api/v1/tasks/[0-9]+/attachments$"
# room for the multipart framing around an attachment: boundaries and the part's headers
MULTIPART_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class BodyLimit:
    name: str
    path: str  # a regular expression on the request path; "" for every other route
    max_bytes: int
    setting: str  # the variable that moves it

    @property
    def proxy_size(self) -> str:
        """The proxy's limit (nginx's `client_max_body_size`, ingress-nginx's
        `proxy-body-size`): whole MiB, one more than the app takes, so a body just over the
        app's limit still reaches the app, which refuses it with its own 413 problem response
        instead of the proxy's HTML page."""
        return f"{math.ceil(self.max_bytes / MIB) + 1}m"


def default(settings: Settings) -> BodyLimit:
    return BodyLimit("default", "", settings.http.max_body_bytes, "LANEWAY_HTTP_MAX_BODY_BYTES")


def uploads(settings: Settings) -> list[BodyLimit]:
    """The routes that take more than the default, in the order the app matches them."""
    return [
        BodyLimit(
            "imports",
            IMPORT_PATHS,
            settings.transfer.max_upload_bytes,
            "LANEWAY_TRANSFER_MAX_UPLOAD_BYTES",
        ),
        BodyLimit(
            "attachments",
            UPLOAD_PATHS,
            settings.attachments.max_bytes + MULTIPART_OVERHEAD,
            "LANEWAY_ATTACHMENTS_MAX_BYTES",
        ),
    ]


def every(settings: Settings) -> list[BodyLimit]:
    return [*uploads(settings), default(settings)]
