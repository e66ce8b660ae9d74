"""Judging emitted labels against the truth of a clip, and the metrics.

Nothing here knows videolabels: label names are related through a ``Taxonomy``
(``taxonomy.VocabularyTaxonomy`` for the real vocabulary, ``SimpleTaxonomy`` for tests).

Rules (README "Matching rules" says the same in prose):

- Relations: an emitted label P and a truth label T are related when P is T (same name
  or same WordNet synset: a synonym), a *parent* of T (more general: "vehicle" or
  "car" where the truth says "minivan") or a *child* of T (more specific: "sports car"
  where the truth says "car"; "ox" where it says "cattle").
- Instances (emitted instance of label P):
    1. ``correct`` if some truth instance of a label related to P overlaps it with
       IoU >= ``iou_threshold`` (0.5);
    2. else ``acceptable`` (neutral: counted in neither precision nor recall) if P is
       an acceptable label of the clip, or a parent of one (P is at least as general
       as something visible; a child of an acceptable label is not: "vehicle" being
       acceptable does not make "tank" right);
    3. else ``mistimed`` if P is related to some truth label of the clip (right thing,
       wrong time: the instance is too short, too long, or in the wrong place);
    4. else ``wrong`` (the thing is not in the clip).
  Instance precision = correct / (correct + mistimed + wrong).
- Recall: a truth instance of T is found when an emitted instance of T itself, a
  synonym or a child of T overlaps it with IoU >= 0.5 (a parent says less than the
  truth: "vehicle" does not find the car). Only truth labels the system could emit count
  ("in scope": the vocabulary has T, a synonym or a child of T); the others are listed
  as out of scope.
- Clip level: each label emitted anywhere in a clip is ``right`` if it is related to a
  truth label of the clip, ``acceptable`` if it is (a parent of) an acceptable label,
  else ``wrong``. Clip label precision = (right + acceptable) / emitted: acceptable
  labels *are* visible, so a user reading the label list sees nothing false. Clip label
  recall: in-scope truth labels for which T, a synonym or a child was emitted anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

from .truth import ClipTruth

SAME, PARENT, CHILD = "same", "parent", "child"
CORRECT, ACCEPTABLE, MISTIMED, WRONG = "correct", "acceptable", "mistimed", "wrong"
RIGHT = "right"


class Taxonomy(Protocol):
    def relation(self, predicted: str, truth: str) -> str | None:
        """SAME, PARENT (predicted is more general), CHILD (more specific) or None."""

    def in_scope(self, truth: str) -> bool:
        """Whether the system could emit this truth label (itself, a synonym or a child)."""


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Intersection over union of two time intervals (0 when they do not overlap)."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def f_beta(precision: float | None, recall: float | None, beta: float = 0.5) -> float | None:
    """F-beta; beta = 0.5 weighs precision twice as much as recall."""
    if precision is None or recall is None:
        return None
    if precision == 0 and recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


class SimpleTaxonomy:
    """A taxonomy from plain tables: ``parents`` child -> parent, ``synonyms`` name -> canonical."""

    def __init__(
        self,
        parents: Mapping[str, str] | None = None,
        synonyms: Mapping[str, str] | None = None,
        vocabulary: Iterable[str] | None = None,
    ) -> None:
        self.parents = dict(parents or {})
        self.synonyms = dict(synonyms or {})
        self.vocabulary = None if vocabulary is None else {self._canon(v) for v in vocabulary}

    def _canon(self, name: str) -> str:
        name = name.casefold()
        return self.synonyms.get(name, name)

    def _ancestors(self, name: str) -> set[str]:
        out: set[str] = set()
        node = self._canon(name)
        while node in self.parents and self.parents[node] not in out:
            node = self._canon(self.parents[node])
            out.add(node)
        return out

    def relation(self, predicted: str, truth: str) -> str | None:
        p, t = self._canon(predicted), self._canon(truth)
        if p == t:
            return SAME
        if p in self._ancestors(t):
            return PARENT
        if t in self._ancestors(p):
            return CHILD
        return None

    def in_scope(self, truth: str) -> bool:
        if self.vocabulary is None:
            return True
        return any(self.relation(v, truth) in (SAME, CHILD) for v in self.vocabulary)


@dataclass
class Judged:
    """One emitted instance and what it was judged."""

    label: str
    start: float
    end: float
    confidence: float
    verdict: str
    truth_label: str | None = None
    iou: float = 0.0


@dataclass
class TruthInstance:
    label: str
    start: float
    end: float
    in_scope: bool
    found_by: str | None = None
    iou: float = 0.0

    @property
    def found(self) -> bool:
        return self.found_by is not None


@dataclass
class ClipResult:
    clip: str
    group: str
    instances: list[Judged] = field(default_factory=list)
    truth: list[TruthInstance] = field(default_factory=list)
    #: emitted label -> RIGHT | ACCEPTABLE | WRONG
    clip_labels: dict[str, str] = field(default_factory=dict)
    #: in-scope truth label -> whether it (a synonym or a child) was emitted anywhere
    clip_truth: dict[str, bool] = field(default_factory=dict)
    out_of_scope: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


Predictions = Mapping[str, Sequence[tuple[float, float, float]]]
"""emitted label name -> [(start, end, confidence), ...]"""


def _accepted(taxonomy: Taxonomy, label: str, acceptable: Sequence[str]) -> bool:
    return any(taxonomy.relation(label, ok) in (SAME, PARENT) for ok in acceptable)


def evaluate_clip(
    truth: ClipTruth,
    predicted: Predictions,
    taxonomy: Taxonomy,
    *,
    iou_threshold: float = 0.5,
    group: str | None = None,
) -> ClipResult:
    result = ClipResult(clip=truth.clip, group=group or truth.source)
    relations = {
        (p, t): taxonomy.relation(p, t) for p in predicted for t in truth.spans
    }
    # -- emitted instances -----------------------------------------------------------
    for label, instances in predicted.items():
        related = [t for t in truth.spans if relations[(label, t)] is not None]
        accepted = _accepted(taxonomy, label, truth.acceptable)
        for start, end, confidence in instances:
            best_iou, best_label = 0.0, None
            for t in related:
                for span in truth.spans[t]:
                    value = iou((start, end), span)
                    if value > best_iou:
                        best_iou, best_label = value, t
            if best_iou >= iou_threshold:
                verdict = CORRECT
            elif accepted:
                verdict = ACCEPTABLE
            elif related:
                verdict = MISTIMED
            else:
                verdict = WRONG
            result.instances.append(Judged(label, start, end, confidence, verdict, best_label, round(best_iou, 4)))
        if related:
            result.clip_labels[label] = RIGHT
        elif accepted:
            result.clip_labels[label] = ACCEPTABLE
        else:
            result.clip_labels[label] = WRONG
    # -- truth instances -------------------------------------------------------------
    for t, spans in truth.spans.items():
        scope = taxonomy.in_scope(t)
        finders = [p for p in predicted if relations[(p, t)] in (SAME, CHILD)]
        if not scope:
            result.out_of_scope.append(t)
        else:
            result.clip_truth[t] = any(predicted[p] for p in finders)
        for span in spans:
            item = TruthInstance(t, span[0], span[1], scope)
            for p in finders:
                for start, end, _ in predicted[p]:
                    value = iou((start, end), span)
                    if value >= iou_threshold and value > item.iou:
                        item.found_by, item.iou = p, round(value, 4)
            result.truth.append(item)
    return result


@dataclass
class Counts:
    correct: int = 0
    mistimed: int = 0
    wrong: int = 0
    acceptable: int = 0
    truth: int = 0
    found: int = 0
    clips_emitted: int = 0
    clips_right: int = 0
    clips_acceptable: int = 0
    clips_wrong: int = 0
    clip_truth: int = 0
    clip_truth_found: int = 0

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def emitted(self) -> int:
        return self.correct + self.mistimed + self.wrong + self.acceptable

    @property
    def judged(self) -> int:
        return self.correct + self.mistimed + self.wrong

    @property
    def precision(self) -> float | None:
        return ratio(self.correct, self.judged)

    @property
    def recall(self) -> float | None:
        return ratio(self.found, self.truth)

    @property
    def f05(self) -> float | None:
        return f_beta(self.precision, self.recall)

    @property
    def clip_precision(self) -> float | None:
        return ratio(self.clips_right + self.clips_acceptable, self.clips_emitted)

    @property
    def clip_recall(self) -> float | None:
        return ratio(self.clip_truth_found, self.clip_truth)

    def to_dict(self) -> dict:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in ("emitted", "judged", "precision", "recall", "f05", "clip_precision", "clip_recall"):
            value = getattr(self, name)
            out[name] = round(value, 4) if isinstance(value, float) else value
        return out


def clip_counts(result: ClipResult) -> dict[str, Counts]:
    """Counts of one clip per label name (emitted names and truth names share rows)."""
    rows: dict[str, Counts] = {}

    def row(name: str) -> Counts:
        return rows.setdefault(name, Counts())

    for item in result.instances:
        c = row(item.label)
        setattr(c, item.verdict, getattr(c, item.verdict) + 1)
    for item in result.truth:
        if item.in_scope:
            c = row(item.label)
            c.truth += 1
            c.found += int(item.found)
    for label, verdict in result.clip_labels.items():
        c = row(label)
        c.clips_emitted += 1
        if verdict == RIGHT:
            c.clips_right += 1
        elif verdict == ACCEPTABLE:
            c.clips_acceptable += 1
        else:
            c.clips_wrong += 1
    for label, found in result.clip_truth.items():
        c = row(label)
        c.clip_truth += 1
        c.clip_truth_found += int(found)
    return rows


@dataclass
class Summary:
    overall: Counts
    groups: dict[str, Counts]
    labels: dict[str, Counts]
    clips: dict[str, Counts]
    out_of_scope: dict[str, list[str]]

    def to_dict(self) -> dict:
        return {
            "overall": self.overall.to_dict(),
            "groups": {k: v.to_dict() for k, v in self.groups.items()},
            "labels": {k: v.to_dict() for k, v in sorted(self.labels.items())},
            "clips": {k: v.to_dict() for k, v in self.clips.items()},
            "out_of_scope": self.out_of_scope,
        }


def summarize(results: Iterable[ClipResult]) -> Summary:
    overall, groups, labels, clips = Counts(), {}, {}, {}
    out_of_scope: dict[str, list[str]] = {}
    for result in results:
        total = Counts()
        for name, c in clip_counts(result).items():
            labels.setdefault(name, Counts()).add(c)
            total.add(c)
        clips[result.clip] = total
        groups.setdefault(result.group, Counts()).add(total)
        overall.add(total)
        for name in result.out_of_scope:
            out_of_scope.setdefault(name, []).append(result.clip)
    return Summary(overall, groups, labels, clips, out_of_scope)


def worst_labels(summary: Summary, n: int = 10) -> list[tuple[str, Counts]]:
    """Labels with the most false instances (mistimed + wrong), then the lowest precision."""
    rows = [(k, c) for k, c in summary.labels.items() if c.mistimed + c.wrong > 0 or c.clips_wrong > 0]
    rows.sort(key=lambda kc: (-(kc[1].mistimed + kc[1].wrong + kc[1].clips_wrong), kc[1].precision or 0.0, kc[0]))
    return rows[:n]
