from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from ..schemas import ErrorBody

router = APIRouter(
    tags=["Auth"], responses={401: {"model": ErrorBody, "description": "UNAUTHORIZED: missing or wrong key"}}
)

Key = Annotated[str | None, Header(alias="Ocp-Apim-Subscription-Key", description="Your subscription key.")]
AllowEdit = Annotated[bool, Query(alias="allowEdit", description="false: the token can only read.")]


@router.get("/Auth/{location}/Accounts/{accountId}/AccessToken", response_model=str, summary="Get Account Access Token")
def account_access_token(
    request: Request, location: str, accountId: str, key: Key = None, allow_edit: AllowEdit = False
) -> str:
    tokens = request.app.state.runtime.tokens
    tokens.check_key(key)
    return tokens.issue(location, accountId.lower(), allow_edit)


@router.get(
    "/Auth/{location}/Accounts/{accountId}/Videos/{videoId}/AccessToken",
    response_model=str,
    summary="Get Video Access Token",
)
def video_access_token(
    request: Request, location: str, accountId: str, videoId: str, key: Key = None, allow_edit: AllowEdit = False
) -> str:
    runtime = request.app.state.runtime
    runtime.tokens.check_key(key)
    runtime.videos.get(accountId.lower(), videoId)  # 404 for a video not in the account
    return runtime.tokens.issue(location, accountId.lower(), allow_edit, video_id=videoId)
