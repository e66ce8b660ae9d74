"""The web portal: Video Indexer's portal experience for the labels insight.

`mount_portal(app)` serves it from the API app itself: the page at `/`, its ES modules
and styles under `/portal/`, and an offline API reference at `/docs` (read from
`/openapi.json`). Everything is a static file shipped in the package; there is no build
step and nothing is fetched from another origin. The page talks to the server only
through the public Video Indexer routes, like any other client.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"

#: The portal's pages load only what this server serves. Media and images may come
#: from the server's public URL (`VIDEOLABELS_PUBLIC_URL`), which need not be the
#: page's own origin behind a proxy, hence http:/https: for them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data: blob: http: https:; media-src 'self' blob: http: https:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)

_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


#: Browsers load ES modules only with a JavaScript type; the platform's MIME table (the
#: Windows registry, for one) may say otherwise, so the portal's own types are fixed here.
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
}


class _Assets(StaticFiles):
    """Static files revalidated on every load (ETag -> 304), so an upgraded server
    never runs a stale module next to fresh ones."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        media_type = _TYPES.get(Path(path).suffix.lower())
        if media_type and response.status_code in (200, 304):
            response.headers["Content-Type"] = media_type
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _page(name: str):  # type: ignore[no-untyped-def]
    path = STATIC / name

    async def endpoint() -> FileResponse:
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)

    return endpoint


def mount_portal(app: FastAPI) -> None:
    """Add the portal's routes to the API app (after the API's own routes)."""
    app.add_api_route("/", _page("index.html"), methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/docs", _page("apidocs.html"), methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/portal", _Assets(directory=STATIC), name="portal")


__all__ = ["STATIC", "mount_portal"]
