"""Look-alike corrections (``tools/vocabulary/lookalikes.tsv``; docs/taxonomy.md, "Look-alikes").

Each model knows only its own classes, so it names what it cannot name by the nearest one
it knows: EfficientNet calls a parked bicycle a "rickshaw", the detector calls a bird in
the sky a "kite". The other model often sees what it really is. A look-alike rule says,
per sample:

1. ``instead``: where that label is seen (``SEEN``), the look-alike's score goes to it and
   the look-alike is dropped there: a "rickshaw" where a bicycle is detected is the bicycle.
2. ``needs``: where none of those labels is seen, what is left of the look-alike's score is
   multiplied by ``weight``: a rickshaw with nobody to pull it is most likely something else.

"Seen" is judged on the scores after parents are rolled up (a bird species counts as
"bird"); the corrected scores are then expanded again, so parents and scenes follow.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .model import Lookalike

#: A label at or above this score counts as seen by a model (the pipeline's cross-model
#: agreement floor: detectors report real objects from about 0.2 on).
SEEN = 0.2


def correct_lookalikes(
    rules: Mapping[str, Lookalike], inputs: Mapping[str, np.ndarray], seen: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """``inputs`` (recognized label -> scores per sample) with the look-alike rules applied.

    ``seen`` holds the scores the rules are judged on: ``inputs`` expanded with parents. The
    arrays of ``inputs`` are not modified.
    """
    out = dict(inputs)
    for key, rule in rules.items():
        if key not in out:
            continue
        score = np.asarray(out[key], dtype=np.float32)
        samples = len(score)
        if rule.instead is not None:
            there = _seen(seen, (rule.instead,), samples)
            if there.any():
                current = np.asarray(out.get(rule.instead, np.zeros(samples, dtype=np.float32)), dtype=np.float32)
                out[rule.instead] = np.maximum(current, np.where(there, score, 0.0)).astype(np.float32)
                score = np.where(there, 0.0, score).astype(np.float32)
        if rule.needs:
            score = np.where(_seen(seen, rule.needs, samples), score, score * rule.weight).astype(np.float32)
        out[key] = score
    return out


def _seen(scores: Mapping[str, np.ndarray], keys: tuple[str, ...], samples: int) -> np.ndarray:
    found = np.zeros(samples, dtype=bool)
    for key in keys:
        if key in scores:
            found |= np.asarray(scores[key]) >= SEEN
    return found
