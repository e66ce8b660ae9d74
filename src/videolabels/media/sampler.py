"""Frames at a fixed rate, decoding no more than the sampling needs.

Which frames are picked is ``grid.SamplingGrid``'s rule; this module decides how little
to decode to apply it. Measured on the 2-core build machine, shared and loaded (60 s of
720p H.264, 25 fps, GOP 50, x264 ``veryfast`` with B-frames; 640 px RGB output; wall
clock, real-time factor = 60 s / wall):

=========================================  ==============  ===========  ==========
strategy                                   frames decoded  wall         real-time
=========================================  ==============  ===========  ==========
decode everything, 1 fps (``"full"``)      1500            1.7-1.8 s    ~34x
the plan below, 1 fps                      480             0.83-0.88 s  ~70x
the plan below, 2 fps                      688             1.2-1.6 s    ~40-49x
the plan below, 0.5 fps                    30              0.36-0.46 s  ~130-166x
keyframes only (``skip_frame="NONKEY"``)   30              0.31-0.36 s  ~170-196x
=========================================  ==============  ===========  ==========

(The last row decodes only, without converting to RGB: the floor for this clip.)

Keyframes alone are cheapest but land on the grid only where keyframes do: with a 2 s
GOP half the 1 fps targets fall between keyframes, and bigbuckbunny.mp4 has one keyframe
in all, so NONKEY on its own would pick other frames than the rule. The plan decodes
keyframes alone exactly where they are what the rule picks (0.5 fps above), and
otherwise the least that reaches the picked frames:

- Each packet's pts is checked against the grid before decoding (``PacketDemand``): a
  packet whose frame can be picked is decoded normally.
- Other packets are held back. When a keyframe arrives, the held packets are dropped
  undecoded unless one of the keyframe's leading pictures (after it in decode order,
  before it in time, an open-GOP B-frame referring back) is needed: nothing else after
  a keyframe refers back past it. A GOP without a picked frame costs only its demuxing.
  After a drop the decoder is drained and reset, as after a seek: fed straight on,
  H.264 met a frame_num gap and lost the frames it still held for output.
- When a needed packet arrives, the held packets (its GOP up to it) are decoded first
  with ``skip_frame="NONREF"``: their reference frames are what the picked frame is
  predicted from; their non-reference frames are needed by nothing.

This picks exactly what a full decode picks, pixel for pixel: the tests compare the two
on real clips and an open-GOP x264 clip; HEVC (open GOP), VP9, AV1, MPEG-2 in PS and
TS, MPEG-4, MJPEG and variable-frame-rate clips were compared the same way at 0.1 to
50 fps while this was written.

Seeking (``container.seek`` to the keyframe before a target) is not used: the plan
skips the same GOPs without decoding them, demuxing alone took 0.01-0.04 s for this
clip's 1501 packets (1,400-4,800x real time), and seeks are inexact in containers
without an index (MPEG-PS, some Matroska) and land on open-GOP frames whose
references are missing.

The plan needs a frame's time to equal its packet's pts whichever frames are decoded.
AVI (and raw streams) store decode timestamps only: with a codec that reorders frames
(MPEG-4 with B-frames, H.264) the times FFmpeg reconstructs change when frames are
skipped, so such files are decoded in full.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import av
import av.container
import av.packet
import av.video.codeccontext
import av.video.stream
import numpy as np

from .errors import MediaError, describe
from .grid import PacketDemand, SamplingGrid
from .images import RgbConverter, sample_aspect_ratio, stream_rotation_tag
from .opening import OpenedVideo, open_video
from .probe import VideoInfo, codec_name, stream_timing
from .timestamps import BestEffortTimestamps, PresentationTimestamps, has_presentation_timestamps

log = logging.getLogger(__name__)

Strategy = Literal["plan", "full"]

# A demuxer that fails this many reads in a row is treated as ended.
_MAX_READ_ERRORS = 16
# Bounds on what the plan holds back, so memory stays flat on any file: a single-GOP
# video sampled rarely would otherwise hold every packet between two targets, and a
# timestamp discontinuity would make every later packet look like a leading picture.
# Past a bound the held packets are decoded (NONREF) instead of waiting for a keyframe.
_MAX_HELD_BYTES = 32 * 1024 * 1024
_MAX_LEADING = 64


@dataclass(frozen=True, eq=False)
class SampledFrame:
    """One sampled frame: its ordinal, its time from the container start, upright RGB pixels."""

    index: int
    time: float
    image: np.ndarray


def sample_frames(
    path: str | os.PathLike[str],
    fps: float = 1.0,
    max_side: int | None = 640,
    info: VideoInfo | None = None,
) -> Iterator[SampledFrame]:
    """Stream frames of ``path`` sampled ``fps`` times per second, as upright RGB arrays.

    The file is opened at the call, so a missing or unreadable file raises ``MediaError``
    there; a file none of whose frames decodes raises ``MediaError("CorruptFile")`` from
    the iteration. Damaged packets in the middle of a file are skipped. Frames are made
    one at a time as the iterator is advanced; none are kept.

    ``info`` (``probe(path)``'s result) may be passed by callers that probed; sampling
    does not need it: it reads the timing from the open container, exactly as ``probe``
    does, so the result is the same with or without it.
    """
    return _sample(path, fps, max_side, strategy="plan")


def _sample(
    path: str | os.PathLike[str],
    fps: float,
    max_side: int | None,
    strategy: Strategy,
) -> Iterator[SampledFrame]:
    fps_exact = _as_fraction(fps)
    if fps_exact <= 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    if max_side is not None and max_side < 0:
        raise ValueError(f"max_side must be positive, 0 or None, got {max_side!r}")
    opened = open_video(path)
    return _Sampler(opened, fps_exact, max_side or None, strategy).frames()


def _as_fraction(value: float) -> Fraction:
    # repr() gives the decimal the caller wrote: 0.1 -> 1/10, not the binary double.
    return Fraction(repr(float(value)))


class _Sampler:
    def __init__(self, opened: OpenedVideo, fps: Fraction, max_side: int | None, strategy: Strategy) -> None:
        self.path = opened.path
        self.container: av.container.InputContainer = opened.container
        self.stream: av.video.stream.VideoStream = opened.stream
        self.ctx: av.video.codeccontext.VideoCodecContext = opened.stream.codec_context
        self.time_base = self.stream.time_base or Fraction(1, 1)
        timing = stream_timing(self.container, self.stream)
        self.start = timing.start
        self.frame_duration = timing.frame_duration
        self.grid = SamplingGrid(fps, timing.frame_duration)
        self.demand = PacketDemand(self.grid, self.time_base, self.start, timing.frame_duration)
        pts_container = has_presentation_timestamps(self.container)
        self.clock = PresentationTimestamps() if pts_container else BestEffortTimestamps()
        self.to_rgb = RgbConverter(sample_aspect_ratio(self.stream), max_side, stream_rotation_tag(self.stream))
        # The plan needs frame times that do not depend on which frames were decoded.
        self.plan = strategy == "plan" and (pts_container or not self.ctx.codec.reorder)
        self.index = 0
        # Counters, read by tests and benchmarks.
        self.packets_fed = 0
        self.packets_dropped = 0
        self.frames_decoded = 0
        self.decode_errors = 0
        self._skip = "DEFAULT"
        self._last_ts: Fraction | int | None = None
        self._gap = False  # packets were dropped since the last one fed

    def frames(self) -> Iterator[SampledFrame]:
        try:
            yield from self._run()
        finally:
            self.container.close()

    def _run(self) -> Iterator[SampledFrame]:
        if self.plan:
            yield from self._run_plan()
        else:
            for packet in self._packets():
                yield from self._feed(packet, "DEFAULT")
        yield from self._feed(None, "DEFAULT")  # drain the decoder
        if self.frames_decoded == 0:
            raise MediaError(
                "CorruptFile",
                f"Video file {describe(self.path)} is damaged: no frame of its {codec_name(self.stream)} video "
                f"stream can be decoded ({self.decode_errors} of {self.packets_fed} packets failed).",
            )
        if self.decode_errors:
            log.warning("%s: skipped %d damaged packet(s) that could not be decoded", self.path, self.decode_errors)

    def _run_plan(self) -> Iterator[SampledFrame]:
        demand = self.demand
        held: list[av.packet.Packet] = []  # not needed (yet), in decode order
        keyed: list[av.packet.Packet] = []  # a keyframe and its leading pictures, awaiting a decision
        held_bytes = 0
        for packet in self._packets():
            pts = packet.pts
            if keyed:
                if pts is not None and not packet.is_keyframe and pts < keyed[0].pts:
                    if len(keyed) < _MAX_LEADING:
                        keyed.append(packet)
                        continue
                    yield from self._release(keyed, held, all_leading_seen=False)
                else:
                    yield from self._release(keyed, held)
                held_bytes = sum(p.size for p in held)
            if packet.is_keyframe and held and pts is not None:
                keyed.append(packet)
            elif demand.needed(pts):
                yield from self._feed_held(held)
                yield from self._feed(packet, "DEFAULT")
                held_bytes = 0
            else:
                held.append(packet)
                held_bytes += packet.size
                if held_bytes > _MAX_HELD_BYTES:
                    yield from self._feed_held(held)
                    held_bytes = 0
        if keyed:
            yield from self._release(keyed, held)
        self._drop(held)

    def _release(
        self, keyed: list[av.packet.Packet], held: list[av.packet.Packet], all_leading_seen: bool = True
    ) -> Iterator[SampledFrame]:
        """Settle what a keyframe makes of the packets held before it.

        Only the keyframe's leading pictures (after it in decode order, before it in
        time) can refer to the held packets; unless one of them is needed, the held
        packets are dropped undecoded. Without having seen them all, nothing is dropped.
        """
        keyframe, leading = keyed[0], keyed[1:]
        leading_needed = [self.demand.needed(p.pts) for p in leading] + [not all_leading_seen]
        if any(leading_needed):
            yield from self._feed_held(held)
        else:
            self._drop(held)
        if any(leading_needed) or self.demand.needed(keyframe.pts):
            for p in keyed:
                yield from self._feed(p, "DEFAULT" if self.demand.needed(p.pts) else "NONREF")
        else:
            held.extend(keyed)
        keyed.clear()

    def _feed_held(self, held: list[av.packet.Packet]) -> Iterator[SampledFrame]:
        for packet in held:
            yield from self._feed(packet, "NONREF")
        held.clear()

    def _drop(self, held: list[av.packet.Packet]) -> None:
        if held:
            self.packets_dropped += len(held)
            self._gap = True
            held.clear()

    def _packets(self) -> Iterator[av.packet.Packet]:
        """The stream's packets without the end-of-stream marker; read errors are skipped."""
        failures = 0
        while True:
            try:
                for packet in self.container.demux(self.stream):
                    failures = 0
                    if packet.size == 0:
                        return
                    yield packet
                return
            except av.error.EOFError:
                return
            except av.FFmpegError as e:
                failures += 1
                if failures >= _MAX_READ_ERRORS:
                    log.warning("%s: reading stopped after %d read errors: %s", self.path, failures, e)
                    return

    def _feed(self, packet: av.packet.Packet | None, skip: str) -> Iterator[SampledFrame]:
        """Decode one packet (None drains the decoder) and pass its frames through the grid."""
        if packet is not None and self._gap:
            # Packets were dropped: drain and reset the decoder as after a seek. Fed
            # straight on, H.264 meets a frame_num gap and loses the frames it still
            # held for output (seen with x264 open-GOP and scene-cut I-frames).
            self._gap = False
            yield from self._feed(None, "DEFAULT")
            self.ctx.flush_buffers()
        if skip != self._skip:
            self.ctx.skip_frame = skip
            self._skip = skip
        if packet is not None:
            self.packets_fed += 1
            if skip == "DEFAULT":
                self.demand.fed(packet.pts)
        try:
            frames = self.ctx.decode(packet)
        except av.error.EOFError:
            return
        except av.FFmpegError:
            self.decode_errors += 1
            return
        for frame in frames:
            self.frames_decoded += 1
            ts = self.clock(frame)
            if ts is None:
                # No timestamp at all (raw streams): one frame after the previous one.
                if self._last_ts is None:
                    continue
                ts = self._last_ts + self.frame_duration / self.time_base
            self._last_ts = ts
            t = ts * self.time_base - self.start
            if not self.grid.take(t):
                continue
            yield SampledFrame(index=self.index, time=float(t), image=self.to_rgb(frame))
            self.index += 1
