"""Presentation times of decoded frames, in seconds from the container start.

Times come from each frame's timestamp (pts times the stream time base, in exact
fractions), never from counting frames: frame counting drifts on variable frame rate and
sparse files and ignores a non-zero start (cityCC0.mpg starts at 0.54 s).

Containers that store presentation timestamps (MP4, Matroska, MPEG-PS/TS, ...) are
trusted as they are (``PresentationTimestamps``). AVI stores decode timestamps only, so a
packed MPEG-4 (DivX) file with B-frames comes out with pts one frame off and out of order
(Megamind_bugy.avi). For those, ``BestEffortTimestamps`` applies FFmpeg's own rule
(``guess_correct_pts`` in libavcodec, the ``best_effort_timestamp`` that ffmpeg and
ffprobe use, which PyAV does not expose): trust pts unless it goes backwards more often
than the decode timestamp does. That rule depends on every frame seen so far, which is
why it is not applied where pts can be trusted: skipping frames would change its answer.
"""

from __future__ import annotations

from fractions import Fraction

import av.container
import av.video.frame
import av.video.stream

_AV_TIME_BASE = 1_000_000


def container_start(container: av.container.InputContainer) -> Fraction:
    """The container start in seconds: the earliest audio or video stream start, exact.

    FFmpeg's ``container.start_time`` is the same minimum rounded to microseconds (and,
    like this, leaves subtitle and data streams out); taking it from the streams keeps
    the first frame of a normal file at exactly 0.0 (movie-hello.mp4 starts at
    507/15360 s, which rounds to 33008 us).
    """
    starts = [
        Fraction(s.start_time) * s.time_base
        for s in container.streams
        if s.type in ("video", "audio") and s.start_time is not None and s.time_base
    ]
    if starts:
        return min(starts)
    if container.start_time is not None:
        return Fraction(container.start_time, _AV_TIME_BASE)
    return Fraction(0)


def frame_rate(stream: av.video.stream.VideoStream) -> Fraction | None:
    """Average frame rate, falling back to FFmpeg's guesses when the container has none."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and rate > 0 and rate < 1000:
            return Fraction(rate)
    return None


# FFmpeg demuxers whose packets carry real presentation timestamps.
PTS_CONTAINERS = frozenset({"mov", "mp4", "matroska", "webm", "mpeg", "mpegts", "ogg", "flv", "nut", "mxf"})


def has_presentation_timestamps(container: av.container.InputContainer) -> bool:
    return bool(set(container.format.name.split(",")) & PTS_CONTAINERS)


class PresentationTimestamps:
    """A frame's own pts (its packet's), the decode timestamp only where pts is missing."""

    __slots__ = ()

    def __call__(self, frame: av.video.frame.VideoFrame) -> int | None:
        return frame.pts if frame.pts is not None else frame.dts


class BestEffortTimestamps:
    """Picks pts or dts per frame the way libavcodec's ``guess_correct_pts`` does."""

    __slots__ = ("_faulty_pts", "_faulty_dts", "_last_pts", "_last_dts")

    def __init__(self) -> None:
        self._faulty_pts = 0
        self._faulty_dts = 0
        self._last_pts: int | None = None
        self._last_dts: int | None = None

    def __call__(self, frame: av.video.frame.VideoFrame) -> int | None:
        pts, dts = frame.pts, frame.dts
        if dts is not None:
            if self._last_dts is not None and dts <= self._last_dts:
                self._faulty_dts += 1
            self._last_dts = dts
        elif pts is not None:
            self._last_dts = pts
        if pts is not None:
            if self._last_pts is not None and pts <= self._last_pts:
                self._faulty_pts += 1
            self._last_pts = pts
        elif dts is not None:
            self._last_pts = dts
        if pts is not None and (self._faulty_pts <= self._faulty_dts or dts is None):
            return pts
        return dts
