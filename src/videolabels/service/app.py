"""The FastAPI application: `create_app(settings)`.

Start-up (in the lifespan, so tests and `videolabels serve` get the same thing):
migrate the database, load or create the keys, throw away half-received uploads,
re-queue videos whose job was lost, then start the indexing workers. Jobs that were
running when a previous server died are picked up again once their lease runs out.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from .auth import Keys, TokenService, load_keys
from .callbacks import Notifier
from .db import make_engine, make_sessionmaker, migrate
from .errors import install_handlers
from .indexing import IndexingHandler
from .jobs import DbJobQueue, JobQueue, WorkerPool
from .settings import Settings
from .videos import VideoService

log = logging.getLogger("videolabels.service")

Clock = Callable[[], float]

#: Fixed path segments of the Video Indexer API. Video Indexer's routing ignores case and
#: clients spell them both ways (`/Auth/` and `/auth/`), so requests are mapped onto
#: these spellings before routing.
_SEGMENTS = [
    "Auth",
    "Accounts",
    "AccessToken",
    "Videos",
    "Index",
    "ReIndex",
    "Search",
    "Thumbnails",
    "SourceFile",
    "DownloadUrl",
    "SupportedLanguages",
    "GetIdByExternalId",
]
_CANONICAL = {s.lower(): s for s in _SEGMENTS}


class CaseInsensitivePaths:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            fixed = "/".join(_CANONICAL.get(part.lower(), part) for part in path.split("/"))
            if fixed != path:
                scope = dict(scope, path=fixed, raw_path=fixed.encode())
        await self.app(scope, receive, send)


@dataclass
class Runtime:
    """What the routes reach through `request.app.state.runtime`."""

    settings: Settings
    keys: Keys
    tokens: TokenService
    videos: VideoService
    queue: JobQueue
    pool: WorkerPool | None


def _default_indexer_factory(settings: Settings) -> Callable[[], Any]:
    def make() -> Any:
        from ..pipeline import Indexer

        return Indexer(threads=settings.threads)

    return make


def create_app(
    settings: Settings | None = None,
    *,
    indexer_factory: Callable[[], Any] | None = None,
    clock: Clock = time.time,
) -> FastAPI:
    """The API app. `indexer_factory` makes one indexer per worker (default: the
    pipeline's `Indexer`); `clock` is injectable so tests can expire tokens and leases
    without waiting."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url())
        migrate(engine)
        sessions = make_sessionmaker(engine)
        keys = load_keys(settings.data_dir, settings.api_keys())
        tokens = TokenService(keys, settings.token_ttl_seconds, clock)
        queue = DbJobQueue(sessions, settings.job_lease_seconds, clock)
        notifier = Notifier(timeout=settings.callback_timeout_seconds)
        videos = VideoService(settings, sessions, queue, notifier, clock)
        videos.clean_partial_uploads()
        requeued = videos.recover()
        if requeued:
            log.info("re-queued %d videos left without a job", requeued)
        factory = indexer_factory or _default_indexer_factory(settings)
        pool = None
        if settings.workers:
            pool = WorkerPool(
                queue,
                lambda: IndexingHandler(settings, videos, queue, factory),
                settings.workers,
                settings.job_lease_seconds,
                settings.job_poll_seconds,
            )
            if isinstance(queue, DbJobQueue):
                resumed = queue.release_dead(pool.is_dead)
                if resumed:
                    log.info("resuming %d jobs of a server that stopped mid-indexing", resumed)
            pool.start()
        app.state.runtime = Runtime(settings, keys, tokens, videos, queue, pool)
        try:
            yield
        finally:
            if pool is not None:
                pool.stop()
            notifier.close(wait=False)
            engine.dispose()

    app = FastAPI(
        title="videolabels",
        version=__version__,
        summary="Self-hosted labels insight with Azure AI Video Indexer's API.",
        description=(
            "Get an access token with your subscription key "
            "(`GET /Auth/{location}/Accounts/{accountId}/AccessToken`, header `Ocp-Apim-Subscription-Key`), "
            "then pass it as `accessToken` or `Authorization: Bearer` to every other call. "
            'Errors have Video Indexer\'s shape: `{"ErrorType": ..., "Message": ...}`.'
        ),
        lifespan=lifespan,
        # FastAPI's Swagger UI and ReDoc pages load their scripts from a CDN; the portal
        # serves an offline API reference at /docs instead (the schema stays at /openapi.json).
        docs_url=None,
        redoc_url=None,
    )
    install_handlers(app)
    from .routers import auth, languages, search
    from .routers import videos as video_routes

    app.include_router(auth.router)
    app.include_router(search.router)  # before the videos router: /Videos/Search is not a video id
    app.include_router(video_routes.router)
    app.include_router(languages.router)
    from ..portal import mount_portal

    mount_portal(app)  # the web portal at /, after the API's routes
    app.add_middleware(CaseInsensitivePaths)
    return app
