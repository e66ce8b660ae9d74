"""The sampling grid, applied to decoded frames and predicted for packets.

Grid rule: targets at ``k / fps`` seconds from the container start; a target takes the
first frame (in output order) whose time is >= target - half a frame duration; a frame is
taken once, even when it is the first for several targets (sparse files), and every
target it satisfies is then done. Arithmetic is in exact fractions so that a frame
exactly half a frame before a target (0.48 s for a 0.5 s target at 25 fps) is decided
the same way on every run and by every strategy.

``PacketDemand`` predicts the rule before decoding, from packet pts alone, so that packets
that cannot hold a picked frame are held back. It must never call a packet unneeded when
a full decode would pick its frame, so it only relies on two facts: in the containers it
is used for a frame's time is its packet's pts, and a frame fed to the decoder comes out.
"""

from __future__ import annotations

import math
from fractions import Fraction


class SamplingGrid:
    """Which decoded frames are picked; ``k`` is the next target not yet satisfied."""

    # The next target's threshold is kept with ``k``: every packet of a file is checked
    # against it, and exact fraction arithmetic per check was ~10 % of sampling's CPU.
    __slots__ = ("fps", "half", "_k", "_next")

    def __init__(self, fps: Fraction, frame_duration: Fraction) -> None:
        self.fps = fps
        self.half = frame_duration / 2
        self.k = 0

    @property
    def k(self) -> int:
        return self._k

    @k.setter
    def k(self, value: int) -> None:
        self._k = value
        self._next = value / self.fps - self.half

    def clone(self) -> SamplingGrid:
        """An independent copy, to try the rule on times without moving this grid."""
        other = SamplingGrid(self.fps, self.half * 2)
        other.k = self.k
        return other

    def threshold(self, k: int | None = None) -> Fraction:
        """Earliest frame time (s) target ``k`` (default: the next one) accepts."""
        return self._next if k is None or k == self._k else k / self.fps - self.half

    def last_target_open_at(self, t: Fraction) -> int:
        """The latest target whose threshold is <= ``t``."""
        return math.floor((t + self.half) * self.fps)

    def take(self, t: Fraction) -> bool:
        """Whether a frame at ``t`` is picked; if so, move past every target it satisfies."""
        if t < self._next:
            return False
        self.k = max(self.k + 1, self.last_target_open_at(t) + 1)
        return True


class PacketDemand:
    """Whether a packet may hold a frame the grid will pick, judged from its pts.

    A packet at time q is a candidate for the latest target j open at q (threshold <= q);
    its frame is picked only if no frame between that threshold and q comes out first.
    A packet already fed in that span is such a frame (output order is time order), so
    q is not needed; it may still be decoded later as a reference, with NONREF. Fed
    packets less than 3/4 of a frame before q do not count: they may be the other field
    of the same picture.
    """

    __slots__ = ("grid", "time_base", "start", "margin", "frame_duration", "_fed", "_floor")

    def __init__(self, grid: SamplingGrid, time_base: Fraction, start: Fraction, frame_duration: Fraction) -> None:
        self.grid = grid
        self.time_base = time_base
        self.start = start
        self.frame_duration = frame_duration
        # A frame's time is its packet's pts here, so no margin is needed for
        # correctness; a quarter frame absorbs rounding without reaching the frame
        # before a target (half a frame before its threshold).
        self.margin = frame_duration / 4
        self._fed: list[int] = []  # pts of packets fed normally, at or after the floor
        self._floor: tuple[int, Fraction] | None = None  # (grid.k, floor) last computed

    def floor(self) -> Fraction:
        """Pts (stream time base) below which no packet can hold a picked frame."""
        k = self.grid.k
        if self._floor is None or self._floor[0] != k:
            self._floor = (k, (self.grid.threshold() - self.margin + self.start) / self.time_base)
        return self._floor[1]

    def needed(self, pts: int | None) -> bool:
        if pts is None:
            return True
        floor = self.floor()
        if pts < floor:
            return False
        self._fed = [p for p in self._fed if p >= floor]
        t = pts * self.time_base - self.start
        j = self.grid.last_target_open_at(t)
        if j < self.grid.k:  # within the rounding margin below the next target
            return True
        # A fed frame at or after target j's threshold satisfies j (and any earlier
        # target still open), and comes out before this one.
        window_start = (self.grid.threshold(j) + self.start) / self.time_base
        window_end = pts - self.frame_duration * 3 / 4 / self.time_base
        return not any(window_start <= p <= window_end for p in self._fed)

    def fed(self, pts: int | None) -> None:
        """Record a packet fed for decoding in full."""
        if pts is not None:
            self._fed.append(pts)


def samples_after(t: float, duration: float, fps: float, frame_duration: float) -> int:
    """How many targets of the grid come after the one the frame at ``t`` satisfied, in
    a video of ``duration`` seconds (its last frame starting ``frame_duration`` before
    the end); negative where ``t`` lies past the stated end, which is then no guide.
    Floats are enough here: the pipeline only asks whether few samples are left."""
    half = frame_duration / 2
    return math.floor((duration - half) * fps) - math.floor((t + half) * fps)
