"""The HTTP service: Azure AI Video Indexer's API for the labels insight.

`create_app(settings)` builds the FastAPI app; `serve(settings)` runs it with uvicorn
(what `videolabels serve` calls). See docs/service.md.
"""

from __future__ import annotations

from .settings import Settings

__all__ = ["Settings", "create_app", "serve"]


def create_app(*args, **kwargs):  # type: ignore[no-untyped-def]
    from .app import create_app as make

    return make(*args, **kwargs)


def serve(*args, **kwargs):  # type: ignore[no-untyped-def]
    from .server import serve as run

    return run(*args, **kwargs)
