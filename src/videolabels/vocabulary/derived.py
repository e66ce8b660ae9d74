"""Scene and activity labels derived from the recognized ones, by the rules of
``tools/vocabulary/derived.tsv`` (docs/taxonomy.md, "Scenes and activities").

A rule's score at one sample:

1. Support. Each evidence label contributes ``weight x score``. Labels of the softmax
   classifier are mutually exclusive classes, so their contributions add up (capped at 1):
   P(rule) = sum of P(class) x P(rule | class). Every other piece of evidence (detector
   classes, parent and derived labels) is an independent witness and joins by noisy-OR,
   1 - prod(1 - weight x score), counting only from ``EVIDENCE_FLOOR``: a detector reports
   dozens of faint guesses per frame, and many faint guesses must not add up to a scene.
2. Time. Evidence seen up to ``rule.window`` seconds before or after the sample counts
   (a snorkel at 3 s and a coral reef at 4 s are one underwater shot). So that a label does
   not spill past a cut into a shot with no evidence of its own, the score is the geometric
   mean of the support with that window ("near") and the support at the sample itself
   ("here"), where a dropout is bridged only if the label is back within half the window
   on both sides (the whole gap fits in the window).
3. Requirements. Each ``requires`` group (cycling: a person; a bicycle) caps the score at
   the group's best "here" score at the sample: no person, no cycling, however confident
   the bicycle.
4. Exclusions multiply the score by ``1 - weight x score`` of the excluding label.
5. Implications. A label that is a kind of this one (a lake, the sea: water) counts in
   step 1 as evidence of weight 1, and is also a floor, as in a roll-up: the score is at
   least its score at the sample, whatever the steps above gave. (A faint sea on a shore
   still adds to a beach's support for water.)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from .model import DerivedRule

#: Non-softmax evidence below this score counts as absent (see the module docstring).
EVIDENCE_FLOOR = 0.3


class Windows:
    """Per-label "near" (best score within the window) and "here" (the score at the
    sample, dropouts shorter than the window bridged) views of a video's scores, cached."""

    def __init__(self, times: Sequence[float], scores: Mapping[str, np.ndarray]) -> None:
        self.times = np.asarray(times, dtype=np.float64)
        self.scores = scores
        self.samples = len(self.times)
        self._ranges: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self._cache: dict[tuple[str, float], tuple[np.ndarray, np.ndarray]] = {}

    def _range(self, window: float) -> tuple[np.ndarray, np.ndarray]:
        """For each sample, the first and last sample index within ``window`` seconds."""
        if window not in self._ranges:
            slack = 1e-6  # sample times are rounded; a 1 s grid must reach the next sample
            lo = np.searchsorted(self.times, self.times - window - slack, side="left")
            hi = np.searchsorted(self.times, self.times + window + slack, side="right") - 1
            self._ranges[window] = (lo, hi)
        return self._ranges[window]

    def _sides(self, raw: np.ndarray, window: float) -> tuple[np.ndarray, np.ndarray]:
        """Best score within ``window`` seconds before / after each sample (not counting it)."""
        n = self.samples
        lo, hi = self._range(window)
        index = np.arange(n)
        left = np.zeros(n)
        right = np.zeros(n)
        reach = int(max((index - lo).max(initial=0), (hi - index).max(initial=0)))
        for offset in range(1, reach + 1):
            before = index - offset
            ok = before >= lo
            left[ok] = np.maximum(left[ok], raw[before[ok]])
            after = index + offset
            ok = after <= hi
            right[ok] = np.maximum(right[ok], raw[after[ok]])
        return left, right

    def get(self, key: str, window: float) -> tuple[np.ndarray, np.ndarray]:
        """(near, here) scores of label ``key``; zeros for a label no recognizer reported."""
        cached = self._cache.get((key, window))
        if cached is not None:
            return cached
        raw = self.scores.get(key)
        if raw is None or not np.any(raw):
            # Most evidence is never seen in a given video (on vtest 1084 of 1320 lookups
            # were all zeros): nothing to spread over the window.
            zero = np.zeros(self.samples, dtype=np.float64)
            result = (zero, zero)
        else:
            raw = np.asarray(raw, dtype=np.float64)
            left, right = self._sides(raw, window)
            near = np.maximum(raw, np.maximum(left, right))
            # A dropout is bridged only when the label is back within half the window on
            # both sides, so that the whole gap fits in the window (and two shots that
            # merely both show the label, a few seconds apart, are not joined).
            left, right = self._sides(raw, window / 2)
            here = np.maximum(raw, np.minimum(left, right))
            result = (near, here)
        self._cache[(key, window)] = result
        return result


def rule_score(rule: DerivedRule, windows: Windows, exclusive: Collection[str]) -> np.ndarray:
    """Score of derived label ``rule.key`` at every sample (see the module docstring).

    ``exclusive`` names the labels whose scores are probabilities of one softmax
    classifier's classes (and nothing else): their evidence adds up.
    """
    n = windows.samples
    support = {}
    evidence = rule.evidence + tuple((key, 1.0) for key in rule.implied_by)
    for view in (0, 1):  # 0: near, 1: here
        summed = np.zeros(n)
        missing = np.ones(n)  # noisy-OR: probability no independent witness is right
        for key, weight in evidence:
            score = windows.get(key, rule.window)[view]
            if key in exclusive:
                summed += weight * score
            else:
                missing *= 1.0 - weight * np.where(score >= EVIDENCE_FLOOR, score, 0.0)
        support[view] = 1.0 - (1.0 - np.minimum(summed, 1.0)) * missing
    score = np.sqrt(support[0] * support[1])
    for group in rule.requires:
        present = np.zeros(n)
        for key in group:
            present = np.maximum(present, windows.get(key, rule.window)[1])
        score = np.minimum(score, present)
    for key, weight in rule.excludes:
        score = score * (1.0 - weight * windows.get(key, rule.window)[0])
    for key in rule.implied_by:
        kind = windows.scores.get(key)
        if kind is not None:
            score = np.maximum(score, np.asarray(kind, dtype=np.float64))
    return np.clip(score, 0.0, 1.0).astype(np.float32)
