"""Per-sample label scores -> time ranges ("instances"), the way Video Indexer reports them.

Rules (documented in README "How labels and times are computed"):
- A label *holds* at a sample when its score is >= the threshold.
- A run of holding samples is one instance. Up to `max_gap` consecutive samples that do
  not hold, between holding ones, are bridged: one missed detection (motion blur, a
  head turned away) must not split an instance in two.
- Hysteresis: once an instance has started, samples down to `threshold - hysteresis`
  keep it going (and lead into it). A label whose score wavers around the threshold
  (an "outdoor" at 0.47-0.56 over a whole surveillance clip) is one instance, not four
  mistimed fragments. Such weaker samples extend the range but never start one.
- `start` is the time of the first holding sample; `end` is the time of the last
  holding sample plus one frame duration, which is what Video Indexer writes
  (`0:00:05` -> `0:00:06.04` at 25 fps).
- An instance's confidence is the mean score over its holding samples (those at or
  above the threshold): it says how sure the models were across the range, not at its
  single best frame. Bridged and hysteresis samples do not count, so a confidence is
  never below the threshold.
- An instance resting on a single sample (no neighbour even above the hysteresis
  floor) is weaker evidence than one the models
  confirmed a second later: on real footage most wrong labels are such one-sample blips
  just above the threshold (a "vase" in a street seen from above, a "book" in a night
  skyline). So a lone sample must reach `isolated_threshold`, by default 60 % of the way
  from the threshold to certainty (0.5 -> 0.8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


#: Share of the distance from the threshold to 1.0 that a lone sample must also cover.
ISOLATED_MARGIN = 0.6


def isolated_bar(threshold: float) -> float:
    return threshold + (1.0 - threshold) * ISOLATED_MARGIN


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
    isolated_threshold: float | None = None,
    hysteresis: float = 0.0,
) -> list[Span]:
    """Instances of one label from its scores at the sampled times (ascending)."""
    if isolated_threshold is None:
        isolated_threshold = isolated_bar(threshold)
    scores = np.asarray(scores, dtype=np.float64)
    if len(times) != len(scores):
        raise ValueError(f"{len(times)} times but {len(scores)} scores")
    floor = threshold - hysteresis
    supported = np.flatnonzero(scores >= floor)
    runs: list[list[int]] = []
    for idx in supported.tolist():
        if runs and idx - runs[-1][-1] - 1 <= max_gap:
            runs[-1].append(idx)
        else:
            runs.append([idx])
    spans: list[Span] = []
    for run in runs:
        strong = [i for i in run if scores[i] >= threshold]
        if not strong:
            continue  # weaker samples extend an instance but never start one
        if len(run) == 1 and scores[run[0]] < isolated_threshold:
            continue
        spans.append(
            Span(
                start=float(times[run[0]]),
                end=float(times[run[-1]]) + frame_duration,
                confidence=float(scores[strong].mean()),
                first_sample=run[0],
                last_sample=run[-1],
            )
        )
    return spans
