"""Logs through structlog: JSON lines, or lines a person reads on a terminal (LANEWAY_LOG_FORMAT);
stdlib and uvicorn records share the same renderer."""

from __future__ import annotations

import logging
import re
import sys

import structlog
from asgi_correlation_id import correlation_id

from laneway.config import LogFormat, LogSettings
from laneway.observability.tracing import add_trace_ids


def _add_request_id(
    _logger: object, _method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    request_id = correlation_id.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


# Values that follow these are credentials wherever they appear in a message
_CREDENTIAL = re.compile(r"(?i)(bearer\s+|[?&](?:ticket|token|password|secret)=)[^\s&\"',]+")


def _redact(
    _logger: object, _method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """The last line of defence: a credential that slipped into a message (a query string, a
    header) is replaced before the line is written. Nothing of ours logs one on purpose."""
    for key, value in event.items():
        if isinstance(value, str) and _CREDENTIAL.search(value):
            event[key] = _CREDENTIAL.sub(r"\1[redacted]", value)
    return event


class _WithoutQueryString(logging.Filter):
    """uvicorn logs each WebSocket handshake with its query string, where a browser's live
    ticket travels: keep the path, drop the query. At DEBUG, the WebSocket library also dumps
    every handshake line, header and frame (`< GET ...?ticket=`, `< authorization: ...`):
    those are dropped whole."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(("< ", "> ", "= ", "! ")):
            return False
        if isinstance(record.msg, str) and '"WebSocket %s"' in record.msg:
            args = record.args
            if isinstance(args, tuple) and len(args) >= 2 and isinstance(args[1], str):
                record.args = (args[0], args[1].split("?", 1)[0], *args[2:])
        return True


def _renderer(chosen: LogFormat, terminal: bool) -> structlog.typing.Processor:
    """JSON lines for collectors; on a terminal (or when asked) lines a person reads."""
    if chosen is LogFormat.json or (chosen is LogFormat.auto and not terminal):
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=terminal)


def configure_logging(settings: LogSettings) -> None:
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        add_trace_ids,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = _renderer(settings.format, sys.stderr.isatty())
    structlog.configure(
        # below the level, an event is dropped before any processor runs (every request logs)
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redact,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.level.upper())
    # Our access log replaces uvicorn's; its error log keeps flowing through the root handler.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = name != "uvicorn.access"
    uvicorn_error = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _WithoutQueryString) for f in uvicorn_error.filters):
        uvicorn_error.addFilter(_WithoutQueryString())
