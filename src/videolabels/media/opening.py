"""Opening a file with PyAV and turning every way that can fail into a ``MediaError``.

FFmpeg answers "Invalid data found when processing input" both for a text file renamed
``.mp4`` and for an MP4 cut in half; Video Indexer calls the first an unsupported file
type and the second a corrupt file. The two are told apart by the file's leading bytes:
a file that starts like a known container but does not open is corrupt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import av
import av.container
import av.stream
import av.video.stream

from .errors import MediaError, describe

_HEAD_BYTES = 512

# FFmpeg demuxers that open things which are not videos: still images (one frame, fake
# 25 fps) and text renderers (a .txt file "plays" as ANSI art).
# Playlists (HLS, DASH, concat) are refused too: they make FFmpeg open other files or URLs.
_NOT_VIDEO_DEMUXERS = frozenset(
    {"image2", "image2pipe", "tty", "bin", "xbin", "adf", "idf", "lavfi", "sdp", "ffmetadata"}
    | {"hls", "dash", "concat", "webm_dash_manifest"}
)
# The path is read as a local file, never as a URL or an FFmpeg protocol ("concat:a|b").
_CONTAINER_OPTIONS = {"protocol_whitelist": "file"}


@dataclass
class OpenedVideo:
    """An open container and the video stream chosen in it; the caller closes ``container``."""

    path: str
    container: av.container.InputContainer
    stream: av.video.stream.VideoStream


def looks_like_container(head: bytes) -> str | None:
    """Name of the container family the leading bytes announce, or None for none known."""
    if len(head) >= 8 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"):
        return "MP4/QuickTime"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "Matroska/WebM"
    if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX", b"AMV "):
        return "AVI"
    if head[:4] == b"OggS":
        return "Ogg"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "MPEG program stream"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "MPEG transport stream"
    if head[:3] == b"FLV":
        return "FLV"
    if head[:8] == b"\x30\x26\xb2\x75\x8e\x66\xcf\x11":
        return "ASF/WMV"
    if head[:4] == b".RMF":
        return "RealMedia"
    return None


def _read_head(path: str) -> bytes:
    if not os.path.exists(path):
        raise MediaError("FileNotFound", f"Video file {describe(path)} does not exist.")
    if os.path.isdir(path):
        raise MediaError("FileNotFound", f"Video file {describe(path)} is a directory, not a file.")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(_HEAD_BYTES)
    except OSError as e:
        raise MediaError("FileNotFound", f"Video file {describe(path)} cannot be read: {e.strerror or e}.") from e
    if size == 0:
        raise MediaError("EmptyFile", f"Video file {describe(path)} is empty (0 bytes).")
    return head


def _is_video_stream(stream: av.stream.Stream) -> bool:
    # Cover art in an MP3/M4A is a one-picture "video" stream flagged attached_pic.
    return stream.type == "video" and not (stream.disposition & av.stream.Disposition.attached_pic)


def _choose_video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream | None:
    candidates = [s for s in container.streams.video if _is_video_stream(s)]
    if not candidates:
        return None

    def rank(s: av.video.stream.VideoStream) -> tuple[int, int, int]:
        default = int(bool(s.disposition & av.stream.Disposition.default))
        area = (s.codec_context.width or 0) * (s.codec_context.height or 0) if s.codec_context else 0
        return (default, area, -s.index)

    return max(candidates, key=rank)


def open_video(path: str | os.PathLike[str]) -> OpenedVideo:
    """Open ``path`` and choose its main video stream, or raise the fitting ``MediaError``."""
    path = os.fspath(path)
    head = _read_head(path)
    try:
        container = av.open(
            "file:" + os.path.abspath(path),
            mode="r",
            container_options=_CONTAINER_OPTIONS,
            metadata_errors="replace",
        )
    except (av.FFmpegError, UnicodeDecodeError, ValueError, OSError) as e:
        family = looks_like_container(head)
        if family is not None:
            raise MediaError(
                "CorruptFile",
                f"Video file {describe(path)} looks like {family} but cannot be read; "
                f"it is truncated or damaged (FFmpeg: {_reason(e)}).",
            ) from e
        raise MediaError(
            "UnsupportedFileType",
            f"File {describe(path)} is not a video file in any supported format (FFmpeg: {_reason(e)}).",
        ) from e

    try:
        names = set(container.format.name.split(","))
        if names & _NOT_VIDEO_DEMUXERS or any(n.endswith("_pipe") for n in names):
            raise MediaError(
                "UnsupportedFileType",
                f"File {describe(path)} is not a video but a still image, text or playlist "
                f"({container.format.long_name}).",
            )
        stream = _choose_video_stream(container)
        if stream is None:
            kinds = sorted({s.type for s in container.streams})
            holds = f"only {' and '.join(kinds)}" if kinds else "no streams at all"
            raise MediaError("NoVideoStream", f"File {describe(path)} has no video stream ({holds}).")
        ctx = stream.codec_context
        if ctx is None or not ctx.is_decoder:
            raise MediaError(
                "UnsupportedFileType",
                f"Video file {describe(path)} uses a video codec that cannot be decoded here.",
            )
        ctx.thread_type = "AUTO"
    except BaseException:
        container.close()
        raise
    return OpenedVideo(path=path, container=container, stream=stream)


def limit_threads(ctx: av.codec.context.CodecContext, threads: int) -> None:
    """Decode with at most ``threads`` threads (0: FFmpeg's choice); before the first decode."""
    if threads > 0:
        ctx.thread_type = "AUTO" if threads > 1 else "NONE"
        ctx.thread_count = threads


def reopen(opened: OpenedVideo, abspath: str | None = None) -> OpenedVideo:
    """The same file opened a second time, with the same stream chosen; FFmpeg errors escape.

    ``abspath`` is the file's absolute path taken when it was first opened (a relative
    ``opened.path`` would follow a later change of directory).

    Its codec context is a second decoder made from the stream's own parameters
    (extradata, and the coded side data that carries the display matrix: a context made
    with ``CodecContext.create`` and the extradata copied decodes, but its frames lose
    their rotation). Its demuxer is not used; packets of the first opening are decoded.
    """
    container = av.open(
        "file:" + (abspath or os.path.abspath(opened.path)),
        mode="r",
        container_options=_CONTAINER_OPTIONS,
        metadata_errors="replace",
    )
    try:
        stream = container.streams[opened.stream.index]
        first, second = opened.stream.codec_context, stream.codec_context
        same = (
            stream.type == "video"
            and second is not None
            and second.is_decoder
            and (second.name, second.extradata) == (first.name, first.extradata)
        )
        if not same:
            raise ValueError(f"stream {opened.stream.index} of {opened.path} is not the same video stream")
    except BaseException:
        container.close()
        raise
    return OpenedVideo(path=opened.path, container=container, stream=stream)


def _reason(e: BaseException) -> str:
    """FFmpeg's complaint without the errno and the repeated file name."""
    if isinstance(e, av.FFmpegError):
        text = e.strerror or str(e)
    else:
        text = str(e) or type(e).__name__
    return " ".join(text.split()).rstrip(".")
