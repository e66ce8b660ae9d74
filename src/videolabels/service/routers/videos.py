from __future__ import annotations

import base64
import mimetypes
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from ..deps import Editor, Reader, Videos
from ..errors import invalid_input
from ..schemas import ERRORS, ErrorBody, VideoList, VideoRecord
from ..uploads import receive_file
from ..videos import UploadParams

router = APIRouter(tags=["Videos"], responses=ERRORS)

BASE = "/{location}/Accounts/{accountId}/Videos"
ListParam = Annotated[list[str] | None, Query()]


@router.post(
    BASE,
    summary="Upload Video",
    response_model=VideoRecord,
    responses={413: {"model": ErrorBody, "description": "REQUEST_TOO_LARGE"}},
    description="Multipart upload (`-F file=@video.mp4`). The video is `Uploaded`, then "
    "`Processing` (see `processingProgress`), then `Processed` or `Failed` "
    "(`failureCode`, `failureMessage`). `callbackUrl` gets a POST with `?id=...&state=...` "
    "when it starts processing and when it ends.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                }
            },
        }
    },
)
async def upload_video(
    request: Request,
    caller: Editor,
    videos: Videos,
    name: str | None = None,
    description: str | None = None,
    privacy: str | None = None,
    language: str | None = None,
    callbackUrl: str | None = None,
    externalId: str | None = None,
    metadata: str | None = None,
    partition: str | None = None,
    excludedAI: ListParam = None,
    videoUrl: str | None = None,
) -> dict:
    if videoUrl:
        raise invalid_input("videoUrl is not supported by this server: upload the file itself as multipart/form-data.")
    params = await run_in_threadpool(
        videos.check_upload,
        UploadParams(name, description, privacy, language, callbackUrl, externalId, metadata, partition, excludedAI),
    )
    received = await receive_file(request, videos.uploads_dir, videos.settings.max_upload_bytes)
    return await run_in_threadpool(videos.create, caller.account_id, received, params)


@router.get(BASE, summary="List Videos", response_model=VideoList)
def list_videos(
    caller: Reader,
    videos: Videos,
    pageSize: Annotated[int, Query(ge=1, le=1000)] = 25,
    skip: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    return videos.list(caller.account_id, skip, pageSize)


@router.get(BASE + "/GetIdByExternalId", response_model=str, summary="Get Video Id By External Id")
def video_id_by_external_id(caller: Reader, videos: Videos, externalId: str) -> str:
    return videos.id_by_external_id(caller.account_id, externalId)


@router.get(BASE + "/{videoId}/Index", summary="Get Video Index")
def get_video_index(
    caller: Reader,
    videos: Videos,
    videoId: str,
    language: Annotated[
        str | None, Query(description="Locale code (fr-FR) or name (French); default: the video's.")
    ] = None,
    includeSummarizedInsights: bool = True,
    includedInsights: ListParam = None,
    excludedInsights: ListParam = None,
    reTranslate: bool = False,
    includeStreamingUrls: bool = False,
) -> dict:
    return videos.index_document(
        caller.account_id,
        videoId,
        language=language,
        include_summarized=includeSummarizedInsights,
        included=includedInsights,
        excluded=excludedInsights,
        editable=caller.token.allow_edit,
    )


@router.delete(BASE + "/{videoId}", status_code=204, summary="Delete Video")
def delete_video(caller: Editor, videos: Videos, videoId: str) -> Response:
    videos.delete(caller.account_id, videoId)
    return Response(status_code=204)


@router.put(
    BASE + "/{videoId}/ReIndex",
    status_code=204,
    summary="Re-Index Video",
    responses={409: {"model": ErrorBody, "description": "VIDEO_INDEXING_IN_PROGRESS"}},
)
def reindex_video(
    caller: Editor,
    videos: Videos,
    videoId: str,
    callbackUrl: str | None = None,
    sourceLanguage: str | None = None,
) -> Response:
    videos.reindex(caller.account_id, videoId, callbackUrl, sourceLanguage)
    return Response(status_code=204)


@router.get(
    BASE + "/{videoId}/Thumbnails/{thumbnailId}",
    summary="Get Video Thumbnail",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "application/json": {}}}},
)
def get_thumbnail(
    caller: Reader,
    videos: Videos,
    videoId: str,
    thumbnailId: str,
    format: Annotated[str, Query(description="Jpeg or Base64.")] = "Jpeg",
) -> Response:
    path = videos.thumbnail_file(caller.account_id, videoId, thumbnailId)
    if format.lower() == "base64":
        return Response(f'"{base64.b64encode(path.read_bytes()).decode()}"', media_type="application/json")
    if format.lower() != "jpeg":
        raise invalid_input("format must be Jpeg or Base64.")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


@router.get(
    BASE + "/{videoId}/SourceFile/DownloadUrl", response_model=str, summary="Get Video Source File Download Url"
)
def source_file_url(request: Request, caller: Reader, videos: Videos, location: str, videoId: str) -> str:
    """A URL that serves the uploaded file (with HTTP Range, for players) for the
    lifetime of a token, without further headers: it carries a read-only token
    scoped to this one video."""
    videos.source_file(caller.account_id, videoId)
    runtime = request.app.state.runtime
    token = runtime.tokens.issue(location, caller.account_id, False, video_id=videoId)
    base = (runtime.settings.public_url or str(request.base_url)).rstrip("/")
    return f"{base}/{location}/Accounts/{caller.account_id}/Videos/{videoId}/SourceFile?accessToken={token}"


@router.head(BASE + "/{videoId}/SourceFile", include_in_schema=False)
@router.get(
    BASE + "/{videoId}/SourceFile",
    summary="Stream the video file",
    response_class=FileResponse,
    responses={
        200: {"content": {"video/mp4": {}}},
        206: {"description": "Partial content (Range)"},
        416: {"description": "Range not satisfiable"},
    },
)
def source_file(caller: Reader, videos: Videos, videoId: str) -> FileResponse:
    path, file_name = videos.source_file(caller.account_id, videoId)
    media_type = mimetypes.guess_type(file_name)[0] or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, filename=file_name, content_disposition_type="inline")
