"""Errors in Video Indexer's shape: `{"ErrorType": "...", "Message": "..."}`.

Clients written for Video Indexer branch on `ErrorType` (and log `Message`), so every
error this server returns -- ours, FastAPI's validation errors, unknown routes and
unexpected exceptions -- goes out in that shape with a fitting status code.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("videolabels.service")


class ApiError(Exception):
    def __init__(self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers


def error_body(error_type: str, message: str) -> dict[str, str]:
    return {"ErrorType": error_type, "Message": message}


def invalid_input(message: str) -> ApiError:
    return ApiError(400, "INVALID_INPUT", message)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "UNAUTHORIZED", message, headers={"WWW-Authenticate": "Bearer"})


def not_allowed(message: str) -> ApiError:
    return ApiError(403, "USER_NOT_ALLOWED", message)


def video_not_found(video_id: str) -> ApiError:
    return ApiError(404, "VIDEO_NOT_FOUND", f"Video {video_id} was not found in this account.")


_STATUS_TYPES = {
    400: "INVALID_INPUT",
    401: "UNAUTHORIZED",
    403: "USER_NOT_ALLOWED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "REQUEST_TOO_LARGE",
    416: "RANGE_NOT_SATISFIABLE",
}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.error_type, exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "request"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse(error_body("INVALID_INPUT", "; ".join(parts) or "Invalid input."), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and message == "Not Found":
            message = f"No route for {request.method} {request.url.path}."
        return JSONResponse(
            error_body(_STATUS_TYPES.get(exc.status_code, "GENERAL"), message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("GENERAL", "Internal server error."), status_code=500)
