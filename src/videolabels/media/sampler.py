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

Skipping static GOPs (``skip_static=True``; off here, on in the pipeline)
-------------------------------------------------------------------------

A target between two keyframes still costs the reference frames before it in its GOP
(a dozen for a 1 fps target in a 2 s GOP). Where nothing cuts and the camera holds still,
those frames show what the keyframes show, so with ``skip_static`` a GOP from keyframe
K_a to keyframe K_b is judged before it is decoded:

- Its packets are buffered until K_b and K_b's leading pictures (which lie in the GOP's
  time span) have been read: one GOP of compressed packets, at most 600 packets or
  32 MiB. A longer GOP goes through the plan as it comes, up to the next keyframe (so
  a file with one keyframe, bigbuckbunny.mp4, is sampled exactly as without it). The
  last GOP, with no K_b, is always decoded.
- If the grid picks a frame inside the GOP (not K_a), K_b (and K_a, unless it was
  decoded for the GOP before) is decoded on its own by a second decoder: the codec
  context of the same file opened again (``opening.reopen``). ``CodecContext.create``
  with the extradata copied decodes too, but its frames lose the display matrix
  (rotated phone videos came out sideways). Each keyframe is sent, the decoder drained
  and flushed, and the main decoder's state is left alone. It skips the deblocking
  filter (``deblock_keyframes=False``, the default): 13-18 % less decoding CPU, and a
  picture 0.4-0.7 of 255 away from a full decode's, which nothing is predicted from.
- If the two keyframes' thumbnails (``images.thumbnail``, 32x18 grey, of the 640 px RGB
  image) differ by at most ``static_threshold``, the GOP's inside is dropped undecoded.
  The grid is run on its packets' pts (the same premise as the plan's: a frame's time
  is its packet's), so the times are exactly those of a decode; K_a is yielded as
  decoded, every other pick as ``estimated`` with a copy of the nearer keyframe's image
  and ``source_time`` (a tie goes to K_a). Otherwise the GOP goes through the plan.
- A GOP is decoded anyway when a packet in its span has no pts or is marked discard,
  lies outside K_a..K_b, or two of its times are less than 3/4 of a frame apart (the
  two fields of one picture, or a variable-rate burst); when the second decoder does
  not open or a keyframe does not decode on its own (logged at INFO; neither happened
  on any file tried); and in files the plan does not cover (AVI with reordering codecs).

Times and every decoded frame equal the plain plan's: the tests compare them on real
clips with a threshold of 255 (every GOP that can be is skipped); H.264 open GOP in MP4,
Matroska and TS, HEVC, VP9, AV1, MPEG-2 in PS, MJPEG, rotated and VFR clips were
compared the same way at 0.3 to 7 fps while this was written.

The threshold: keyframes 2 s apart differ by 2.6-7.3 in a fixed camera clip with
people walking (vtest), by 12.9-14.0 for a talking head in a moving car (carphone),
by 27-83 across cuts. The default, 8 (the pipeline's ``VISUAL_CHANGE``), counts the
fixed camera as static; its estimated frames then differ from the true ones by up to
7.1 (people have moved), far above the pipeline's own reuse threshold (1.5). A
threshold of 3 skips nearly nothing of that clip. Where nothing is static, each GOP
with an inside pick costs one keyframe decode more (~8 ms at 720p here). Only GOPs up to
``max_static_span`` (4 s) are estimated: with x264's default keyint (250, 10 s at 25 fps)
an event that begins and ends between two matching keyframes could otherwise go unseen
for 10 s, so such GOPs are decoded (phones write 1-2 s GOPs, streaming encoders 2-4 s).
Each estimated frame carries ``bracket``, its two keyframes' times: the pipeline lets a
label hold there only if it holds at both, so a one-look detection at one keyframe is
not copied onto the samples after it.

Decoder threads: FFmpeg's own choice (frame threads, one per core plus one) gives the
shortest wall time when decoding runs alone, but on 2 cores it spent 1.40-1.47x the CPU
of a single thread for the plan on vtest720 (2.1-2.2 s against 1.4-1.5 s, wall 1.55 s
against 1.4-1.5 s) and about the same CPU with ``skip_static`` (0.64-0.66 s against
0.62-0.68 s, wall 0.43 s against 0.60-0.66 s). The pipeline, whose models keep the other
core busy, decodes with one thread (``decoder_threads=1``).

Measured like the table above (``benchmarks/sampling_speed.py``, 640 px, min-median
of 5 interleaved runs, load average 2-4 on the 2 cores; "+ n" are keyframes decoded by
the second decoder). vtest720: 80 s of vtest.avi at 720p, fixed camera, GOP 50.
montage720: 120 s of the default sources (cuts, a car ride, a street), keyframes at
scene cuts and at most 2 s apart.

==========================  ===============================  ================  =========
clip, rate, strategy        frames decoded (+ keyframes)     wall              real-time
==========================  ===============================  ================  =========
vtest720 1 fps, full        2000                             2.28-2.38 s       ~34x
vtest720 1 fps, plan        637                              1.18-1.24 s       ~65x
vtest720 1 fps, skip (8)    16 + 40 (39 of 80 estimated)     0.32-0.34 s       ~240x
vtest720 1 fps, skip (3)    621 + 40 (1 estimated)           1.1-1.35x plan's  ~45x
vtest720 2 fps, plan        914                              1.48-1.62 s       ~50x
vtest720 2 fps, skip (8)    23 + 40 (117 of 160 estimated)   0.32-0.33 s       ~245x
montage720 1 fps, full      3000                             3.9-6.2 s         ~20-30x
montage720 1 fps, plan      1201                             2.1-2.6 s         ~45-55x
montage720 1 fps, skip (8)  877 + 77 (30 of 120 estimated)   0.7-1.24x plan's  ~45-55x
montage720 1 fps, skip (3)  1201 + 77 (none estimated)       1.0-1.25x plan's  ~40x
montage720 2 fps, plan      1477                             3.64-4.01 s       ~30-33x
montage720 2 fps, skip (8)  1090 + 79 (60 of 240 estimated)  3.27-3.44 s       ~35-37x
==========================  ===============================  ================  =========

(Rows given as a ratio are paired runs, skip right after plan, at load 5-7: skip (8)
on the montage had medians of 0.94x and 1.06x plan's wall in two series, skip (3)
1.15x; on vtest720 the same pairing gave 0.33-0.42x at 1 fps and 0.25-0.30x at 2 fps.
Fewer frames are decoded on the montage, but a keyframe costs several P-frames.)
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
from .images import RgbConverter, sample_aspect_ratio, stream_rotation_tag, thumbnail, thumbnail_difference
from .opening import OpenedVideo, limit_threads, open_video, reopen
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
# skip_static looks one GOP ahead; a GOP longer than this (a file with one keyframe) is
# decoded by the plan as it comes. 600 packets are 24 s at 25 fps.
_LOOKAHEAD_PACKETS = 600
_LOOKAHEAD_BYTES = 32 * 1024 * 1024
#: Default ``static_threshold``: keyframes whose thumbnails differ by at most this much
#: (mean absolute difference, 0-255, ``images.thumbnail_difference``) are taken to show
#: the same scene, and the frames between them are not decoded. See the module docstring.
DEFAULT_STATIC_THRESHOLD = 8.0
#: Default ``max_static_span`` (seconds): a GOP longer than this is decoded even when its
#: keyframes match. Something can come and go between two matching keyframes unseen; up
#: to 4 s (phones write 1-2 s GOPs, streaming encoders 2-4 s) that is a risk worth the
#: speed, while FFmpeg's default 10 s GOP of a fixed camera is too long to guess across.
DEFAULT_MAX_STATIC_SPAN = 4.0


@dataclass(frozen=True, eq=False)
class SampledFrame:
    """One sampled frame: its ordinal, its time from the container start, upright RGB pixels.

    ``estimated`` frames (``sample_frames(skip_static=True)`` only) were not decoded: they
    lie inside a GOP whose two keyframes show the same picture, and ``image`` is a copy of
    the nearer keyframe's, the frame at ``source_time``. ``time`` is still the time of the
    frame the grid picks there. Decoded frames have ``source_time`` None. The source
    frame may come later than ``time`` and need not be a sample itself (a keyframe off
    the grid); an estimated frame is a copy, not a second look at the scene.
    ``bracket`` holds the times of the two keyframes around it, whose pictures are all
    that is known of it (the pipeline lets a label hold there only if it holds at both).
    """

    index: int
    time: float
    image: np.ndarray
    estimated: bool = False
    source_time: float | None = None
    bracket: tuple[float, float] | None = None


def sample_frames(
    path: str | os.PathLike[str],
    fps: float = 1.0,
    max_side: int | None = 640,
    info: VideoInfo | None = None,
    skip_static: bool = False,
    static_threshold: float = DEFAULT_STATIC_THRESHOLD,
    max_static_span: float = DEFAULT_MAX_STATIC_SPAN,
    decoder_threads: int = 0,
    deblock_keyframes: bool = False,
) -> Iterator[SampledFrame]:
    """Stream frames of ``path`` sampled ``fps`` times per second, as upright RGB arrays.

    The file is opened at the call, so a missing or unreadable file raises ``MediaError``
    there; a file none of whose frames decodes raises ``MediaError("CorruptFile")`` from
    the iteration. Damaged packets in the middle of a file are skipped. Frames are made
    one at a time as the iterator is advanced; none are kept.

    ``info`` (``probe(path)``'s result) may be passed by callers that probed; sampling
    does not need it: it reads the timing from the open container, exactly as ``probe``
    does, so the result is the same with or without it.

    ``skip_static=True`` (off by default) does not decode the inside of a GOP whose two
    keyframes differ by at most ``static_threshold`` (``images.thumbnail_difference``):
    the targets there are yielded with the nearer keyframe's image, ``estimated=True``
    and ``source_time`` set, at the times the grid picks (see the module docstring). It
    keeps one GOP of compressed packets and up to three keyframe images. GOPs longer
    than ``max_static_span`` seconds are always decoded.

    ``decoder_threads``: 0 lets FFmpeg choose (frame threads, one per core and one more:
    the shortest wall time when decoding is all that runs); 1 decodes in the calling
    thread, which costs 5-30 % less CPU (measured on 720p/1080p H.264 here) and is the
    better choice when other work, such as the models, keeps the other cores busy.

    ``deblock_keyframes``: with ``skip_static``, the keyframes decoded on their own (to
    judge a GOP, and to stand for its samples) skip H.264/HEVC's deblocking filter
    unless this is set. That is 13-18 % less decoding CPU on 720p/1080p H.264 (these
    keyframes are most of what fixed-camera footage decodes); their pictures differ from
    a full decode's by 0.4-0.7 of 255 on average, and nothing is predicted from these
    decodes, so the difference goes no further (the accuracy benchmark's instances were
    unchanged). Set it for frames pixel-identical to a full decode.
    """
    if decoder_threads < 0:
        raise ValueError(f"decoder_threads must be >= 0, got {decoder_threads!r}")
    if not static_threshold >= 0:
        raise ValueError(f"static_threshold must be >= 0, got {static_threshold!r}")
    if not max_static_span >= 0:
        raise ValueError(f"max_static_span must be >= 0, got {max_static_span!r}")
    return _sample(
        path, fps, max_side, strategy="plan", static_threshold=static_threshold if skip_static else None,
        max_static_span=max_static_span, decoder_threads=decoder_threads, deblock_keyframes=deblock_keyframes,
    )


def _sample(
    path: str | os.PathLike[str],
    fps: float,
    max_side: int | None,
    strategy: Strategy,
    static_threshold: float | None = None,
    max_static_span: float = DEFAULT_MAX_STATIC_SPAN,
    decoder_threads: int = 0,
    deblock_keyframes: bool = False,
) -> Iterator[SampledFrame]:
    fps_exact = _as_fraction(fps)
    if fps_exact <= 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    if max_side is not None and max_side < 0:
        raise ValueError(f"max_side must be positive, 0 or None, got {max_side!r}")
    if static_threshold is not None and not static_threshold >= 0:
        raise ValueError(f"static_threshold must be >= 0, got {static_threshold!r}")
    opened = open_video(path)
    return _Sampler(
        opened, fps_exact, max_side or None, strategy, static_threshold, max_static_span, decoder_threads,
        deblock_keyframes,
    ).frames()


def _as_fraction(value: float) -> Fraction:
    # repr() gives the decimal the caller wrote: 0.1 -> 1/10, not the binary double.
    return Fraction(repr(float(value)))


class _Sampler:
    def __init__(
        self,
        opened: OpenedVideo,
        fps: Fraction,
        max_side: int | None,
        strategy: Strategy,
        static_threshold: float | None = None,
        max_static_span: float = DEFAULT_MAX_STATIC_SPAN,
        decoder_threads: int = 0,
        deblock_keyframes: bool = False,
    ) -> None:
        self.path = opened.path
        self.decoder_threads = decoder_threads
        self.deblock_keyframes = deblock_keyframes
        limit_threads(opened.stream.codec_context, decoder_threads)
        self.opened = opened
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
        # Skipping static GOPs rests on the same premise (times known from packets).
        self.static_threshold = static_threshold if self.plan else None
        self.max_static_span = _as_fraction(max_static_span)
        self.keyframes: _Keyframes | None = None  # the second decoder, opened when first needed
        self._abspath = os.path.abspath(self.path)
        self.index = 0
        # Counters, read by tests and benchmarks.
        self.packets_fed = 0
        self.packets_dropped = 0
        self.frames_decoded = 0
        self.frames_estimated = 0
        self.decode_errors = 0
        self._skip = "DEFAULT"
        self._last_ts: Fraction | int | None = None
        self._gap = False  # packets were dropped since the last one fed
        self._undrained = False  # packets were fed since the decoder was last drained
        # The plan's state: packets not needed (yet), in decode order; a keyframe and its
        # leading pictures awaiting a decision; the bytes held.
        self._held: list[av.packet.Packet] = []
        self._keyed: list[av.packet.Packet] = []
        self._held_bytes = 0
        self._prev_static = False  # the GOP before the current one was not decoded

    @property
    def keyframes_decoded(self) -> int:
        """Keyframes decoded by the second decoder (``skip_static``)."""
        return self.keyframes.decoded if self.keyframes is not None else 0

    def frames(self) -> Iterator[SampledFrame]:
        try:
            yield from self._run()
        finally:
            self.container.close()
            if self.keyframes is not None:
                self.keyframes.close()

    def _run(self) -> Iterator[SampledFrame]:
        if self.plan and self.static_threshold is not None:
            yield from self._run_static()
        elif self.plan:
            yield from self._run_plan()
        else:
            for packet in self._packets():
                yield from self._feed(packet, "DEFAULT")
        yield from self._feed(None, "DEFAULT")  # drain the decoder
        if self.frames_decoded + self.keyframes_decoded == 0:
            raise MediaError(
                "CorruptFile",
                f"Video file {describe(self.path)} is damaged: no frame of its {codec_name(self.stream)} video "
                f"stream can be decoded ({self.decode_errors} of {self.packets_fed} packets failed).",
            )
        if self.decode_errors:
            log.warning("%s: skipped %d damaged packet(s) that could not be decoded", self.path, self.decode_errors)

    # -- the plan ----------------------------------------------------------------------

    def _run_plan(self) -> Iterator[SampledFrame]:
        for packet in self._packets():
            yield from self._plan_push(packet)
        yield from self._plan_settle()

    def _plan_push(self, packet: av.packet.Packet) -> Iterator[SampledFrame]:
        """Take the next packet (decode order): decode it, hold it back, or settle what was held."""
        demand, held, keyed = self.demand, self._held, self._keyed
        pts = packet.pts
        if keyed:
            if pts is not None and not packet.is_keyframe and pts < keyed[0].pts:
                if len(keyed) < _MAX_LEADING:
                    keyed.append(packet)
                    return
                yield from self._release(keyed, held, all_leading_seen=False)
            else:
                yield from self._release(keyed, held)
            self._held_bytes = sum(p.size for p in held)
        if packet.is_keyframe and held and pts is not None:
            keyed.append(packet)
        elif demand.needed(pts):
            yield from self._feed_held(held)
            yield from self._feed(packet, "DEFAULT")
            self._held_bytes = 0
        else:
            held.append(packet)
            self._held_bytes += packet.size
            if self._held_bytes > _MAX_HELD_BYTES:
                yield from self._feed_held(held)
                self._held_bytes = 0

    def _plan_settle(self) -> Iterator[SampledFrame]:
        """Decide on everything pushed so far as if the stream ended here."""
        if self._keyed:
            yield from self._release(self._keyed, self._held)
        self._drop(self._held)
        self._held_bytes = 0

    # -- skipping static GOPs ------------------------------------------------------------

    def _run_static(self) -> Iterator[SampledFrame]:
        """The plan, with each GOP first judged by its keyframe and the next one.

        ``gop`` collects a keyframe, its leading pictures and the rest of its GOP; ``ahead``
        the next keyframe and its leading pictures (they belong to ``gop``'s time span).
        Once the packet after those arrives, ``gop`` is settled: not decoded at all if the
        two keyframes look the same, else pushed through the plan as usual. A GOP longer
        than the lookahead bound is pushed as it comes, up to the next keyframe.
        """
        gop: list[av.packet.Packet] = []
        ahead: list[av.packet.Packet] = []
        gop_bytes = 0
        for packet in self._packets():
            if ahead:
                if not packet.is_keyframe and packet.pts is not None and packet.pts < ahead[0].pts:
                    if len(ahead) < _MAX_LEADING:
                        ahead.append(packet)
                        continue
                    yield from self._settle_gop(gop, ahead, all_leading_seen=False)
                else:
                    yield from self._settle_gop(gop, ahead)
                gop, ahead = ahead, []
                gop_bytes = sum(p.size for p in gop)
            is_key = packet.is_keyframe and packet.pts is not None
            if not gop:
                if is_key:
                    gop, gop_bytes = [packet], packet.size
                else:  # before the first keyframe, or a GOP past the lookahead bound
                    yield from self._plan_push(packet)
                continue
            if is_key:
                ahead.append(packet)
                continue
            gop.append(packet)
            gop_bytes += packet.size
            if len(gop) > _LOOKAHEAD_PACKETS or gop_bytes > _LOOKAHEAD_BYTES:
                for p in gop:
                    yield from self._plan_push(p)
                gop = []
                self._prev_static = False
        if ahead:
            yield from self._settle_gop(gop, ahead)
            gop = ahead
        for p in gop:  # the last GOP has no keyframe after it to compare with
            yield from self._plan_push(p)
        yield from self._plan_settle()

    def _settle_gop(
        self, gop: list[av.packet.Packet], ahead: list[av.packet.Packet], all_leading_seen: bool = True
    ) -> Iterator[SampledFrame]:
        times = self._static_times(gop, ahead) if all_leading_seen else None
        if times is None:
            for p in gop:
                yield from self._plan_push(p)
        else:
            yield from self._skip_gop(gop, ahead, times)
        self._prev_static = times is not None

    def _static_times(self, gop: list[av.packet.Packet], ahead: list[av.packet.Packet]) -> list[Fraction] | None:
        """The frame times of ``gop``'s span if its inside may go undecoded, else None.

        The span runs from ``gop``'s keyframe to the next one (``ahead[0]``): the GOP less
        its own leading pictures, plus the next keyframe's. Undecoded only if that is
        worth it (the grid picks a frame other than the keyframe there), every time is
        known and plain (packet pts, no two closer than 3/4 of a frame, which could be
        the two fields of one picture), and both keyframes decode to thumbnails at most
        ``static_threshold`` apart.
        """
        key_a, key_b = gop[0], ahead[0]
        if not key_a.is_keyframe:
            return None
        span = [key_a, *gop[1 + _leading(gop) :], *ahead[1:]]
        if any(p.pts is None or p.is_discard for p in span):
            return None
        tb, start = self.time_base, self.start
        # Sorted and spaced as integer pts (the time base is positive): sorting exact
        # fractions cost more than the rest of the GOP's bookkeeping.
        pts = sorted(p.pts for p in span)
        if pts[0] != key_a.pts or pts[-1] >= key_b.pts or (key_b.pts - key_a.pts) * tb > self.max_static_span:
            return None
        min_gap = self.frame_duration * 3 / 4 / tb
        if any(later - earlier < min_gap for earlier, later in zip(pts, pts[1:])):
            return None
        times = [q * tb - start for q in pts]
        t_a = times[0]
        # The grid may lag (frames still in the decoder): trying it from here can only
        # find more picks than there will be, never fewer.
        trial = self.grid.clone()
        if not any(trial.take(t) and t != t_a for t in times):
            return None
        if self.keyframes is None:
            self.keyframes = _Keyframes.open(
                self.opened, self._abspath, self.to_rgb, self.decoder_threads, self.deblock_keyframes
            )
        if not self.keyframes.usable:
            return None
        a, b = self.keyframes.get(key_a), self.keyframes.get(key_b)
        if a is None or b is None:
            return None
        if thumbnail_difference(a.thumb, b.thumb) > self.static_threshold:
            return None
        return times

    def _skip_gop(
        self, gop: list[av.packet.Packet], ahead: list[av.packet.Packet], times: list[Fraction]
    ) -> Iterator[SampledFrame]:
        """Yield the grid's picks in a static GOP's span without decoding its inside."""
        key_a, key_b = gop[0], ahead[0]
        used = 0
        leading = _leading(gop)
        if leading and not self._prev_static:
            # The keyframe's leading pictures belong to the GOP before, which was decoded.
            for p in gop[: 1 + leading]:
                yield from self._plan_push(p)
            used = 1 + leading
        yield from self._plan_settle()
        if self._undrained:  # frames before this span come out first
            yield from self._feed(None, "DEFAULT")
            self._gap = True
        image_a, image_b = self.keyframes.get(key_a), self.keyframes.get(key_b)  # cached
        t_a, t_b = key_a.pts * self.time_base - self.start, key_b.pts * self.time_base - self.start
        for t in times:
            if not self.grid.take(t):
                continue  # (the keyframe, when the plan decoded it for its leading pictures)
            if t == t_a:
                frame = SampledFrame(index=self.index, time=float(t), image=image_a.image.copy())
            else:
                source, t_source = (image_a, t_a) if t - t_a <= t_b - t else (image_b, t_b)
                frame = SampledFrame(
                    index=self.index,
                    time=float(t),
                    image=source.image.copy(),
                    estimated=True,
                    source_time=float(t_source),
                    bracket=(float(t_a), float(t_b)),
                )
                self.frames_estimated += 1
            yield frame
            self.index += 1
        if len(gop) > used:
            self.packets_dropped += len(gop) - used
            self._gap = True

    # -- decoding ------------------------------------------------------------------------

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
        self._undrained = packet is not None
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


def _leading(packets: list[av.packet.Packet]) -> int:
    """How many packets after ``packets[0]`` (a keyframe) are its leading pictures."""
    key_pts = packets[0].pts
    n = 0
    for p in packets[1:]:
        if p.is_keyframe or p.pts is None or key_pts is None or p.pts >= key_pts:
            break
        n += 1
    return n


@dataclass(frozen=True, eq=False)
class _KeyImage:
    image: np.ndarray  # upright RGB, as yielded (callers get copies)
    thumb: np.ndarray  # images.thumbnail(image)


class _Keyframes:
    """A second decoder that decodes single keyframes out of order, for ``skip_static``.

    It is the codec context of the same file opened again (``opening.reopen``), so it
    has the stream's exact parameters; each keyframe is decoded on its own (sent, then
    the decoder drained and flushed), which leaves the main decoder's state alone. The
    last few results are kept: a keyframe is compared twice, with the GOP it ends and the
    one it starts.
    """

    _KEEP = 3

    def __init__(self, opened: OpenedVideo | None, to_rgb: RgbConverter) -> None:
        self.opened = opened
        self.to_rgb = to_rgb
        self.decoded = 0
        self.failures = 0
        self._cache: dict[int, _KeyImage | None] = {}

    @classmethod
    def open(
        cls, opened: OpenedVideo, abspath: str, to_rgb: RgbConverter, threads: int = 0, deblock: bool = False
    ) -> _Keyframes:
        try:
            second = reopen(opened, abspath)
            limit_threads(second.stream.codec_context, threads)
            if not deblock:
                # Each keyframe is decoded alone and nothing is predicted from it here,
                # so the filter's absence does not spread (see ``sample_frames``).
                second.stream.codec_context.options = {"skip_loop_filter": "all"}
        except (av.FFmpegError, OSError, ValueError, IndexError) as e:
            log.info("%s: no second decoder (%s); static GOPs are decoded like the others", opened.path, e)
            return cls(None, to_rgb)
        return cls(second, to_rgb)

    @property
    def usable(self) -> bool:
        return self.opened is not None

    def get(self, packet: av.packet.Packet) -> _KeyImage | None:
        if packet.pts in self._cache:
            return self._cache[packet.pts]
        result = self._decode(packet)
        self._cache[packet.pts] = result
        while len(self._cache) > self._KEEP:
            del self._cache[next(iter(self._cache))]
        return result

    def _decode(self, packet: av.packet.Packet) -> _KeyImage | None:
        assert self.opened is not None
        ctx = self.opened.stream.codec_context
        try:
            frames = ctx.decode(packet)
            frames += ctx.decode(None)
        except av.FFmpegError:
            frames = []
        finally:
            ctx.flush_buffers()
        self.decoded += len(frames)
        frame = next((f for f in frames if f.pts == packet.pts), None)
        if frame is None:
            self.failures += 1
            if self.failures == 1:
                log.info("%s: keyframe at pts %s did not decode on its own", self.opened.path, packet.pts)
            return None
        image = self.to_rgb(frame)
        return _KeyImage(image=image, thumb=thumbnail(image))

    def close(self) -> None:
        if self.opened is not None:
            self.opened.container.close()
