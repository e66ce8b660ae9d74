from __future__ import annotations

from fastapi import APIRouter

from ..schemas import Language

router = APIRouter(tags=["Languages"])


@router.get("/{location}/SupportedLanguages", summary="Get Supported Languages", response_model=list[Language])
def supported_languages(location: str) -> list[dict]:
    """Public, as in Video Indexer: the languages the index can be translated into."""
    from ...localize import supported_languages as languages

    return languages()
