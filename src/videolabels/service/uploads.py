"""Multipart uploads streamed straight to the data dir, in constant memory.

Starlette's form parser spools files to the system temp dir and only checks sizes after
the fact; here the body is parsed as it arrives, the file part is written to its final
directory, and the size limit stops the upload the moment it is crossed (or before
reading anything, when Content-Length already says too much).
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from .errors import ApiError, invalid_input

#: Form fields other than the file are small; more than this is not a form field.
MAX_FIELD_BYTES = 64 * 1024
#: Multipart framing around the file (boundaries, part headers) on top of the limit.
FRAMING_SLACK = 64 * 1024


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "REQUEST_TOO_LARGE",
        f"The upload is larger than this server's limit of {limit} bytes (VIDEOLABELS_MAX_UPLOAD_BYTES).",
    )


@dataclass
class ReceivedFile:
    path: Path
    file_name: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


def safe_suffix(file_name: str) -> str:
    """The file's extension if it is a plain one (kept so tools recognise the file)."""
    suffix = Path(file_name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"


async def receive_file(request: Request, tmp_dir: Path, limit: int) -> ReceivedFile:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise invalid_input(
            "Upload the video as multipart/form-data with the file in a part (e.g. curl -F file=@video.mp4)."
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + FRAMING_SLACK:
        raise too_large(limit)

    tmp_dir.mkdir(parents=True, exist_ok=True)
    state: dict = {"headers": {}, "field": b"", "value": b"", "kind": None, "name": None}
    result: dict = {"file": None, "fields": {}, "size": 0, "handle": None, "path": None, "error": None}

    def on_part_begin() -> None:
        state["headers"] = {}
        state["kind"] = None

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].decode("latin-1").lower()] = state["value"]
        state["field"] = b""
        state["value"] = b""

    def on_headers_finished() -> None:
        _, disp = parse_options_header(state["headers"].get("content-disposition", b""))
        name = disp.get(b"name", b"").decode("utf-8", "replace")
        filename = disp.get(b"filename")
        state["name"] = name
        if filename is not None and result["file"] is None:
            state["kind"] = "file"
            result["file"] = os.path.basename(filename.decode("utf-8", "replace").replace("\\", "/")) or "video"
            path = tmp_dir / f"{uuid.uuid4().hex}.part"
            result["path"] = path
            result["handle"] = open(path, "wb")
        elif filename is None:
            state["kind"] = "field"
            result["fields"][name] = b""
        else:
            state["kind"] = "ignored"  # a second file part

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["kind"] == "file":
            result["size"] += end - start
            if result["size"] > limit:
                result["error"] = too_large(limit)
                return
            result["handle"].write(data[start:end])
        elif state["kind"] == "field":
            value = result["fields"][state["name"]] + data[start:end]
            if len(value) > MAX_FIELD_BYTES:
                result["error"] = invalid_input(f"Form field {state['name']!r} is too long.")
                return
            result["fields"][state["name"]] = value

    def on_part_end() -> None:
        if state["kind"] == "file" and result["handle"] is not None:
            result["handle"].close()
            result["handle"] = None
            state["kind"] = "ignored"

    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )

    def discard() -> None:
        if result["handle"] is not None:
            result["handle"].close()
        if result["path"] is not None:
            result["path"].unlink(missing_ok=True)

    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if result["error"] is not None:
                raise result["error"]
        parser.finalize()
    except ApiError:
        discard()
        raise
    except ClientDisconnect:
        discard()
        raise
    except Exception as e:  # malformed multipart
        discard()
        raise invalid_input(f"The multipart body could not be read: {e}") from None
    if result["handle"] is not None:  # body ended inside the file part
        discard()
        raise invalid_input("The multipart body ended before the file did.")
    if result["file"] is None:
        raise invalid_input("No file in the upload: send the video as a multipart file part (curl -F file=@video.mp4).")
    fields = {k: v.decode("utf-8", "replace") for k, v in result["fields"].items()}
    return ReceivedFile(result["path"], result["file"], result["size"], fields)
