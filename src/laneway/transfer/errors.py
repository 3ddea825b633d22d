"""The one error every refused export or import raises: its message is the whole story."""

from __future__ import annotations

from laneway.errors import LanewayError


class TransferError(LanewayError):
    """A refused import or export (a bad archive, CSV or mapping, an unknown owner). Nothing
    was written; the CLI prints the detail as one line, an endpoint as a 422 problem."""

    status, slug, title = 422, "transfer-refused", "Import or export refused"
