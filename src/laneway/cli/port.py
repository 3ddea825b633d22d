"""Whether `laneway serve` can listen where it was told, asked before anything starts: uvicorn
finds out only after the app's startup, and says so between the pool's and lifespan's lines."""

from __future__ import annotations

import errno
import socket


def cannot_listen(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (None: it can). Binds the way uvicorn does (its
    address family, SO_REUSEADDR), then lets go at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another Laneway, or another "
                    "program): stop it, or choose another port with --port or LANEWAY_HTTP_PORT"
                )
            return f"cannot listen on {host}:{port}: {error.strerror or error}"
    return None
