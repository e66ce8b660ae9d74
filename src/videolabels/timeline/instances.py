"""Per-sample label scores -> time ranges ("instances"), the way Video Indexer reports them.

Rules (documented in README "How labels and times are computed"):
- A label *holds* at a sample when its score is >= the threshold.
- A run of holding samples is one instance. Up to `max_gap` consecutive samples that do
  not hold, between holding ones, are bridged: one missed detection (motion blur, a
  head turned away) must not split an instance in two.
- `start` is the time of the first holding sample; `end` is the time of the last
  holding sample plus one frame duration, which is what Video Indexer writes
  (`0:00:05` -> `0:00:06.04` at 25 fps).
- An instance's confidence is the mean score over its holding samples: it says how
  sure the models were across the range, not at its single best frame. Bridged samples
  do not count, so bridging never lowers a confidence below the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    confidence: float
    first_sample: int
    last_sample: int


def find_instances(
    times: Sequence[float],
    scores: Sequence[float] | np.ndarray,
    *,
    threshold: float,
    frame_duration: float,
    max_gap: int = 1,
) -> list[Span]:
    """Instances of one label from its scores at the sampled times (ascending)."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(times) != len(scores):
        raise ValueError(f"{len(times)} times but {len(scores)} scores")
    holding = np.flatnonzero(scores >= threshold)
    spans: list[Span] = []
    if holding.size == 0:
        return spans
    run_start = prev = int(holding[0])
    for idx in list(holding[1:]) + [None]:
        if idx is not None and int(idx) - prev - 1 <= max_gap:
            prev = int(idx)
            continue
        members = holding[(holding >= run_start) & (holding <= prev)]
        spans.append(
            Span(
                start=float(times[run_start]),
                end=float(times[prev]) + frame_duration,
                confidence=float(scores[members].mean()),
                first_sample=run_start,
                last_sample=prev,
            )
        )
        if idx is not None:
            run_start = prev = int(idx)
    return spans
