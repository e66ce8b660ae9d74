"""A video's label scores plus the labels computed from them: parents (roll-up) and scenes
and activities (derived rules), after look-alikes are corrected. The one entry point the
pipeline calls, between the recognizers and the timeline (docs/taxonomy.md)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from .derived import Windows, rule_score
from .lookalikes import correct_lookalikes
from .model import Vocabulary
from .rollup import rollup_score


def expand_scores(
    vocab: Vocabulary,
    times: Sequence[float],
    label_scores: Mapping[str, np.ndarray],
    exclusive: Collection[str] | None = None,
) -> dict[str, np.ndarray]:
    """``label_scores`` (label key -> score per sample at ``times``) plus a score array for
    every parent and derived label of the vocabulary.

    ``exclusive`` names the labels whose scores are probabilities of one softmax
    classifier's mutually exclusive classes; by default those fed only by ImageNet classes
    (``Vocabulary.exclusive_labels``). The pipeline passes the exact set for the
    recognizers it ran.

    Labels are computed in ``vocab.expansion_order``: a parent after its children, a
    derived label after its evidence, so a derived label can roll up into a parent
    ("swimming" -> "sport") and one derived label can be evidence for another
    ("beach" -> "outdoor"). A label both recognized and computed ("dog": COCO's detector
    and the breeds; "stage": ImageNet's class and the rule) keeps the larger score. The
    input mapping and its arrays are not modified.

    Look-alike rules (``vocab.lookalikes``) are judged on a first expansion and applied to
    the recognized scores, which are then expanded again.
    """
    samples = len(times)
    for key, scores in label_scores.items():
        if len(scores) != samples:
            raise ValueError(f"label {key!r}: {len(scores)} scores for {samples} sample times")
    if exclusive is None:
        exclusive = vocab.exclusive_labels()
    if vocab.lookalikes:
        judged = {key for rule in vocab.lookalikes.values() for key in (*rule.needs, rule.instead) if key}
        first = _expand(vocab, samples, times, label_scores, exclusive, vocab.expansion_order_for(judged))
        seen = {key: first[key] for key in judged if key in first}
        del first
        label_scores = correct_lookalikes(vocab.lookalikes, label_scores, seen)
    return _expand(vocab, samples, times, label_scores, exclusive)


def _expand(
    vocab: Vocabulary,
    samples: int,
    times: Sequence[float],
    label_scores: Mapping[str, np.ndarray],
    exclusive: Collection[str],
    order: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """The labels of ``order`` (by default every computed label) added to ``label_scores``."""
    computed = set(vocab.expansion_order)
    if order is None:
        order = vocab.expansion_order
    inputs = dict(label_scores)
    finals: dict[str, np.ndarray] = dict(label_scores)
    # A computed label's score is no longer one softmax probability: its evidence joins
    # by noisy-OR, not by the sum.
    softmax = set(exclusive) - computed
    windows = Windows(times, finals)
    for key in order:
        score = np.asarray(inputs.get(key, np.zeros(samples, dtype=np.float32)), dtype=np.float32)
        if vocab.children(key):
            score = np.maximum(score, rollup_score(vocab, key, inputs, finals, exclusive, samples))
        rule = vocab.derived.get(key)
        if rule is not None:
            score = np.maximum(score, rule_score(rule, windows, softmax))
        finals[key] = score
    return finals
