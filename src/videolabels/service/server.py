"""Running the app with uvicorn: what `videolabels serve` does.

The listening socket is bound here, before uvicorn starts, so that the printed URL is
the real one even with `--port 0` (a free port: what tests and scripts use).
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import TextIO

import uvicorn

from .auth import load_keys
from .settings import Settings


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise OSError(e.errno, f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = host if host not in ("0.0.0.0", "::") else "127.0.0.1"
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def serve(settings: Settings, out: TextIO = sys.stdout) -> None:
    from .app import create_app

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keys = load_keys(settings.data_dir, settings.api_keys())
    sock = bind(settings.host, settings.port)
    url = url_of(sock, settings.host)
    if keys.generated:
        out.write(
            f"videolabels: generated a subscription key (shown once; kept in {settings.data_dir / 'api_key'}):\n"
            f"  {keys.generated}\n"
        )
    out.write(
        f"videolabels: serving on {url}  (portal: {url}/, OpenAPI: {url}/openapi.json, API reference: {url}/docs, "
        f"data: {settings.data_dir})\n"
    )
    out.flush()
    config = uvicorn.Config(
        create_app(settings),
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run(sockets=[sock])
