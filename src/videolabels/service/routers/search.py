from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..deps import Reader, Videos
from ..schemas import ERRORS, VideoList

router = APIRouter(tags=["Search"], responses=ERRORS)


@router.get("/{location}/Accounts/{accountId}/Videos/Search", summary="Search Videos", response_model=VideoList)
def search_videos(
    caller: Reader,
    videos: Videos,
    query: Annotated[
        str,
        Query(
            description="Label names: `a b` or `a OR b` either, `a +b` both, `-a` without, "
            '`"a b"` phrase, `ab*` prefix.'
        ),
    ] = "",
    textScope: Annotated[
        list[str] | None, Query(description="Insight kinds to search (Labels; others match nothing here).")
    ] = None,
    language: Annotated[
        str | None, Query(description="Language of the query; default: every supported language.")
    ] = None,
    pageSize: Annotated[int, Query(ge=1, le=1000)] = 25,
    skip: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    return videos.search(
        caller.account_id, query, text_scope=textScope, language=language, skip=skip, page_size=pageSize
    )
