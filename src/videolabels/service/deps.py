"""FastAPI dependencies shared by the routers: the runtime and the caller's token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from .auth import Token
from .videos import VideoService


def runtime(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.runtime


def videos(request: Request) -> VideoService:
    return request.app.state.runtime.videos


@dataclass
class Caller:
    """An authenticated caller: the account in the path (lower-cased: account ids are
    GUIDs, compared without case) and what the token allows."""

    account_id: str
    token: Token


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


def _caller(edit: bool):  # type: ignore[no-untyped-def]
    def dependency(
        request: Request,
        location: Annotated[str, Path(description="Region of the account, e.g. trial; any value is accepted.")],
        accountId: Annotated[str, Path(description="Account id.")],
        accessToken: Annotated[str | None, Query(description="Access token (or send Authorization: Bearer).")] = None,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Caller:
        tokens = request.app.state.runtime.tokens
        token = tokens.verify(
            accessToken or _bearer(authorization),
            accountId,
            edit=edit,
            video_id=request.path_params.get("videoId"),
        )
        return Caller(account_id=accountId.lower(), token=token)

    return dependency


Reader = Annotated[Caller, Depends(_caller(edit=False))]
Editor = Annotated[Caller, Depends(_caller(edit=True))]
Videos = Annotated[VideoService, Depends(videos)]
