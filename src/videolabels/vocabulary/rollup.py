"""Parent labels' scores from their children's: "labrador retriever" raises "dog", "dog"
raises "mammal" and "animal" (docs/taxonomy.md, "Roll-up").

At each sample a parent's score is the largest of:

- its own score, when a recognizer reports it directly (COCO's "dog" detector);
- the summed scores of the softmax classes filed under it, capped at 1: the classifier's
  classes are mutually exclusive, so P(dog) = P(labrador) + P(beagle) + ... -- a frame
  the classifier splits between three husky-like breeds is a confident dog even though no
  breed is;
- the (already rolled-up) score of each of its children, which brings in detector classes
  and derived labels filed under it (COCO "car" under "vehicle", "swimming" under "sport").

Max rather than noisy-OR combines the two kinds of evidence: the classifier and the
detector look at the same pixels and make correlated mistakes (both take a fox for a
dog), so treating them as independent would turn two doubtful 0.4s into a confident 0.64.
Max keeps a parent on the scale its recognizers are calibrated on, keeps the pipeline's
existing rule for labels two recognizers share, and guarantees that a parent is never
less confident than any of its children.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np

from .model import Vocabulary


def rollup_score(
    vocab: Vocabulary,
    key: str,
    inputs: Mapping[str, np.ndarray],
    finals: Mapping[str, np.ndarray],
    exclusive: Collection[str],
    samples: int,
) -> np.ndarray:
    """Score of parent label ``key`` at every sample.

    ``inputs`` are the recognizers' label scores (softmax probabilities are summed from
    these); ``finals`` holds the children's scores after their own roll-up/derivation
    (computed first: see ``Vocabulary.expansion_order``); ``exclusive`` names the labels
    fed only by the softmax classifier.
    """
    zeros = np.zeros(samples, dtype=np.float32)
    own = inputs.get(key, zeros)
    total = np.zeros(samples, dtype=np.float64)
    for member in (key, *vocab.descendants(key)):
        if member in exclusive and member in inputs:
            total += inputs[member]
    best = np.maximum(own, np.minimum(total, 1.0).astype(np.float32))
    for child in vocab.children(key):
        if child in finals:
            best = np.maximum(best, finals[child])
    return best.astype(np.float32)
