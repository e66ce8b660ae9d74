"""Running the service for tests: a real uvicorn on a free loopback port, a client for
its Video Indexer API, a callback receiver, and one database per backend.

The storage-touching tests run against SQLite always and against PostgreSQL when
VIDEOLABELS_TEST_DATABASE_URL names a server; each use of PostgreSQL gets a fresh
schema, dropped afterwards, so runs never see each other's rows.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

DATA = Path(__file__).parent / "data"
SRC = Path(__file__).resolve().parent.parent / "src"
PG_URL = os.environ.get("VIDEOLABELS_TEST_DATABASE_URL")
API_KEY = "test-subscription-key"
LOCATION = "trial"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not PG_URL, reason="VIDEOLABELS_TEST_DATABASE_URL is not set: no PostgreSQL server to test against"
        ),
    ),
]


@contextlib.contextmanager
def database(backend: str) -> Iterator[str | None]:
    """A database URL for the backend (None: the default SQLite file in the data dir)."""
    if backend == "sqlite":
        yield None
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    assert PG_URL
    schema = f"vl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class LiveServer:
    """The app under uvicorn in a thread of this process (so tests can inject a clock
    or an indexer), listening on a free loopback port."""

    def __init__(self, settings: Any, **app_kwargs: Any) -> None:
        import uvicorn

        from videolabels.service.app import create_app
        from videolabels.service.server import bind, url_of

        self.settings = settings
        self.sock = bind("127.0.0.1", 0)
        self.url = url_of(self.sock, "127.0.0.1")
        config = uvicorn.Config(create_app(settings, **app_kwargs), log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


def thread_stacks() -> str:
    """Every thread's stack in this process (the test server's included): what a test
    that timed out waiting for the server prints, so a hang seen once in CI says where."""
    import traceback

    names = {t.ident: t.name for t in threading.enumerate()}
    return "\n".join(
        f"--- {names.get(ident, ident)}\n" + "".join(traceback.format_stack(frame))
        for ident, frame in sys._current_frames().items()
    )


class Api:
    """A Video Indexer client, as little as the tests need."""

    def __init__(self, url: str, key: str = API_KEY) -> None:
        self.url = url
        self.key = key
        self.http = httpx.Client(base_url=url, timeout=30)
        self._tokens: dict[tuple[str, bool], str] = {}

    def close(self) -> None:
        self.http.close()

    def token(self, account: str, edit: bool = True) -> str:
        if (account, edit) not in self._tokens:
            r = self.http.get(
                f"/Auth/{LOCATION}/Accounts/{account}/AccessToken",
                params={"allowEdit": str(edit).lower()},
                headers={"Ocp-Apim-Subscription-Key": self.key},
            )
            assert r.status_code == 200, r.text
            self._tokens[(account, edit)] = r.json()
        return self._tokens[(account, edit)]

    def call(self, method: str, account: str, path: str, *, edit: bool = True, **kwargs: Any) -> httpx.Response:
        params = dict(kwargs.pop("params", {}) or {})
        params.setdefault("accessToken", self.token(account, edit))
        return self.http.request(method, f"/{LOCATION}/Accounts/{account}{path}", params=params, **kwargs)

    def upload(self, account: str, path: Path, **params: Any) -> httpx.Response:
        params.setdefault("name", path.stem)
        with path.open("rb") as f:
            return self.call("POST", account, "/Videos", params=params, files={"file": (path.name, f, "video/mp4")})

    def index(self, account: str, video_id: str, **params: Any) -> dict:
        r = self.call("GET", account, f"/Videos/{video_id}/Index", params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def wait(
        self, account: str, video_id: str, timeout: float = 90, states: tuple[str, ...] = ("Processed", "Failed")
    ) -> dict:
        """Polls Get Index, as Video Indexer clients do, until the state is one of `states`."""
        deadline = time.monotonic() + timeout
        while True:
            doc = self.index(account, video_id)
            if doc["state"] in states:
                return doc
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"video {video_id} still {doc['state']} after {timeout} s; where the server's threads are:\n"
                    + thread_stacks()
                )
            time.sleep(0.1)


class CallbackReceiver:
    """An HTTP server on loopback recording the callbacks it gets."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, list[str]]]] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                parts = urlsplit(self.path)
                with receiver.cond:
                    receiver.calls.append(("POST", parts.path, parse_qs(parts.query)))
                    receiver.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def states(self, video_id: str) -> list[str]:
        with self.cond:
            return [q["state"][0] for _, _, q in self.calls if q.get("id") == [video_id]]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"callbacks so far: {self.calls}")
                self.cond.wait(left)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOLABELS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


SERVE_COMMAND = [sys.executable, "-m", "videolabels.cli", "serve", "--port", "0"]
