"""Response shapes for the OpenAPI document. Field names are Video Indexer's (camelCase)
so the schema reads like its API reference; routes return plain dicts, validated
against these on the way out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    ErrorType: str = Field(examples=["VIDEO_NOT_FOUND"])
    Message: str


class SearchMatch(BaseModel):
    startTime: str = Field(description="Where the match is on screen (TimeSpan text, e.g. 0:00:05).")
    type: str = Field(examples=["Label"])
    text: str = Field(description="The label name that matched, in the language searched.")
    exactText: str = Field(description="The part of `text` the query matched.")


class VideoRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    accountId: str
    id: str
    partition: str | None
    externalId: str | None
    metadata: str | None
    name: str
    description: str | None
    created: str
    lastModified: str
    lastIndexed: str | None
    privacyMode: str = Field(examples=["Private"])
    userName: str
    isOwned: bool
    isBase: bool
    hasSourceVideoFile: bool
    state: str = Field(description="Uploaded, Processing, Processed or Failed.")
    moderationState: str
    reviewState: str
    processingProgress: str = Field(examples=["42%"])
    failureCode: str = Field(
        description="None, or why indexing failed: UnsupportedFileType, NoVideoStream, CorruptFile, ..."
    )
    failureMessage: str
    durationInSeconds: int
    thumbnailVideoId: str
    thumbnailId: str
    searchMatches: list[SearchMatch]
    indexingPreset: str
    streamingPreset: str
    sourceLanguage: str
    sourceLanguages: list[str]
    personModelId: str


class NextPage(BaseModel):
    pageSize: int
    skip: int
    done: bool


class VideoList(BaseModel):
    results: list[VideoRecord]
    nextPage: NextPage


class Language(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    languageCode: str
    isRightToLeft: bool
    isSourceLanguage: bool
    isAutoDetect: bool


ERRORS = {
    400: {"model": ErrorBody, "description": "INVALID_INPUT"},
    401: {"model": ErrorBody, "description": "UNAUTHORIZED: missing, invalid or expired token"},
    403: {"model": ErrorBody, "description": "USER_NOT_ALLOWED: another account's token, or a read-only one"},
    404: {"model": ErrorBody, "description": "VIDEO_NOT_FOUND"},
}
