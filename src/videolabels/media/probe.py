"""What a video is before it is sampled: size, orientation, timing, keyframe spacing.

Container headers alone cannot be trusted for three of the answers, so ``probe`` reads a
little of the stream:
- rotation is side data on decoded frames in FFmpeg 8 (the ``rotate`` tag is gone), so the
  first frame is decoded; that also proves the file decodes (else ``CorruptFile``);
- the upright size is taken from that frame, not from the codec header;
- the keyframe interval is measured from packet flags over the first keyframes
  (demuxing only, no decoding), since few containers state it.
"""

from __future__ import annotations

import os
from contextlib import closing
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import av
import av.container
import av.packet
import av.video.codeccontext
import av.video.frame
import av.video.stream

from .errors import MediaError, describe
from .images import frame_rotation, sample_aspect_ratio, stream_rotation_tag, upright_size
from .opening import open_video
from .timestamps import container_start, frame_rate

# Keyframe spacing is measured over at most this much of the stream: enough keyframes
# for an average, bounded so probing a long file stays a few milliseconds.
_KEYFRAME_SCAN_KEYFRAMES = 32
_KEYFRAME_SCAN_SECONDS = 120.0
_KEYFRAME_SCAN_PACKETS = 4000
_DEFAULT_FPS = Fraction(25)


@dataclass(frozen=True)
class VideoInfo:
    """Facts about one video file; times in seconds, sizes as displayed (upright)."""

    path: str
    container: str
    codec: str
    width: int
    height: int
    rotation: int
    fps: float
    frame_duration: float
    duration: float
    start_time: float
    keyframe_interval: float | None
    frame_count: int | None


@dataclass(frozen=True)
class StreamTiming:
    """The timing both ``probe`` and ``sample_frames`` need, exact so both agree."""

    start: Fraction  # container start, seconds
    fps: Fraction  # FFmpeg's average (or guessed) rate; 25 when the file gives none

    @property
    def frame_duration(self) -> Fraction:
        return 1 / self.fps


def stream_timing(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> StreamTiming:
    rate = frame_rate(stream)
    return StreamTiming(start=container_start(container), fps=rate or _DEFAULT_FPS)


def container_name(container: av.container.InputContainer, path: str) -> str:
    """One name for the container: FFmpeg's list ("mov,mp4,m4a,...") narrowed by the file extension."""
    names = container.format.name.split(",")
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    return ext if ext in names else names[0]


def codec_name(stream: av.video.stream.VideoStream) -> str:
    """The format's name (``av1``), not the decoder's (``libdav1d``)."""
    return stream.codec_context.codec.canonical_name


def packet_time(packet: av.packet.Packet) -> int | None:
    return packet.pts if packet.pts is not None else packet.dts


@dataclass
class _Scan:
    first_frame: av.video.frame.VideoFrame | None = None
    keyframes: list[int] = field(default_factory=list)  # pts, stream time base
    last_ts: int | None = None
    packets: int = 0
    decode_errors: int = 0


def _scan(container: av.container.InputContainer, stream: av.video.stream.VideoStream, need_end: bool) -> _Scan:
    """Demux from the start: decode until the first frame, note keyframe times, stop early if allowed."""
    scan = _Scan()
    ctx = stream.codec_context
    tb = stream.time_base
    limit_ts = None
    for packet in _packets(container, stream):
        if packet.size == 0:  # end of stream: drain the decoder
            if scan.first_frame is None:
                scan.first_frame = _first(_decode(ctx, None, scan))
            break
        ts = packet_time(packet)
        scan.packets += 1
        if ts is not None:
            if limit_ts is None and tb:
                limit_ts = ts + _KEYFRAME_SCAN_SECONDS / tb
            scan.last_ts = ts if scan.last_ts is None else max(scan.last_ts, ts)
            if packet.is_keyframe and len(scan.keyframes) < _KEYFRAME_SCAN_KEYFRAMES:
                scan.keyframes.append(ts)
        if scan.first_frame is None:
            scan.first_frame = _first(_decode(ctx, packet, scan))
        enough = (
            len(scan.keyframes) >= _KEYFRAME_SCAN_KEYFRAMES
            or scan.packets >= _KEYFRAME_SCAN_PACKETS
            or (limit_ts is not None and ts is not None and ts >= limit_ts)
        )
        if scan.first_frame is not None and enough and not need_end:
            break
    else:
        if scan.first_frame is None:
            scan.first_frame = _first(_decode(ctx, None, scan))
    return scan


def _packets(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Iterator[av.packet.Packet]:
    """Demuxed packets of ``stream``; a read error ends the stream instead of escaping."""
    try:
        yield from container.demux(stream)
    except av.FFmpegError:
        return


def _decode(
    ctx: av.video.codeccontext.VideoCodecContext, packet: av.packet.Packet | None, scan: _Scan
) -> list[av.video.frame.VideoFrame]:
    try:
        return ctx.decode(packet)
    except av.FFmpegError:
        scan.decode_errors += 1
        return []


def _first(frames: list[av.video.frame.VideoFrame]) -> av.video.frame.VideoFrame | None:
    return frames[0] if frames else None


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe the video at ``path``; raise ``MediaError`` for anything that is not a usable video."""
    opened = open_video(path)
    with closing(opened.container):
        container, stream = opened.container, opened.stream
        tb = stream.time_base or Fraction(1, 1)
        timing = stream_timing(container, stream)
        known_duration = _header_duration(container, stream)
        scan = _scan(container, stream, need_end=known_duration is None)
        frame = scan.first_frame
        if frame is None:
            raise MediaError(
                "CorruptFile",
                f"Video file {describe(opened.path)} is damaged: no frame of its {codec_name(stream)} video "
                f"stream can be decoded ({scan.decode_errors} of {scan.packets} packets failed).",
            )
        rotation = frame_rotation(frame, fallback=stream_rotation_tag(stream))
        width, height = upright_size(frame.width, frame.height, sample_aspect_ratio(stream), rotation)

        fps = timing.fps
        if known_duration is not None:
            duration = known_duration
        elif scan.last_ts is not None:
            duration = max(Fraction(0), scan.last_ts * tb + 1 / fps - timing.start)
        else:
            duration = Fraction(0)

        keys = sorted(scan.keyframes)
        keyframe_interval = float((keys[-1] - keys[0]) * tb / (len(keys) - 1)) if len(keys) >= 2 else None

        frame_count: int | None = stream.frames or None
        if frame_count is None and duration > 0:
            frame_count = round(duration * fps)

        return VideoInfo(
            path=opened.path,
            container=container_name(container, opened.path),
            codec=codec_name(stream),
            width=width,
            height=height,
            rotation=rotation,
            fps=float(fps),
            frame_duration=float(1 / fps),
            duration=float(duration),
            start_time=float(timing.start),
            keyframe_interval=keyframe_interval,
            frame_count=frame_count,
        )


def _header_duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Fraction | None:
    if container.duration is not None and container.duration > 0:
        return Fraction(container.duration, 1_000_000)
    if stream.duration is not None and stream.duration > 0 and stream.time_base:
        return stream.duration * stream.time_base
    return None
