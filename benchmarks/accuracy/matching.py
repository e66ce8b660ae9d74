"""Judging emitted labels against the truth of a clip, and the metrics.

Nothing here knows videolabels: label names are related through a ``Taxonomy``
(``taxonomy.VocabularyTaxonomy`` for the real vocabulary, ``SimpleTaxonomy`` for tests).

Rules (README "Matching rules" says the same in prose):

- Relations: an emitted label P and a truth label T are related when P is T (same name
  or same WordNet synset: a synonym), a *parent* of T (more general: "vehicle" or "car"
  where the truth says "minivan") or a *child* of T (more specific: "sports car" where
  the truth says "car"; "ox" where it says "cattle").
- Overlap is measured on the clip's sampling grid when the sample times are given (the
  pipeline looks once a second: an instance seen at the samples 3..7 and a truth span
  2.4-7.6 s both hold the samples 3..7, IoU 1). Without sample times, on continuous time.
  Truth spans that hold no sample (shorter than the sampling period, between two
  samples) cannot be seen and are left out of recall (counted as ``unsampled``).
- The IoU of an emitted instance is the best of: its IoU with any one truth instance of a
  related label, and its IoU with all the related truth instances it overlaps taken
  together ("bird" from 17 to 29 s over a hen 17-22 s and a duck 24-29 s is right,
  although it bridges the second between them).
- Instances (emitted instance of label P):
    1. ``correct`` if that IoU >= ``iou_threshold`` (0.5);
    2. else ``acceptable`` (neutral: counted in neither precision nor recall) if P is an
       acceptable label of the clip, or a parent of one while P is related to no truth
       label ("vehicle" where a van is acceptable; but where the truth has a bicycle, an
       acceptable "mountain bike" does not excuse a badly timed "bicycle");
    3. else ``mistimed`` if it overlaps a truth instance of a related label (right thing,
       wrong extent: too short, too long, split);
    4. else ``wrong`` (nothing of the kind is visible at that time).
  Instance precision = correct / (correct + mistimed + wrong).
- Recall: a truth instance of T is found when emitted instances of T itself, a synonym
  or a child of T overlap it with IoU >= 0.5 (again the best of one instance and all
  overlapping ones together: a split instance still finds it). A parent says less than
  the truth: "vehicle" does not find the car. Only truth labels the system could emit
  count ("in scope": the vocabulary has T, a synonym or a child of T); the others are
  listed as out of scope.
- Clip level: each label emitted anywhere in a clip is ``right`` if it is related to a
  truth label of the clip, ``acceptable`` if it is acceptable as above, else ``wrong``.
  Clip label precision = (right + acceptable) / emitted: acceptable labels *are*
  visible, so a user reading the list of labels sees nothing false. Clip label recall:
  in-scope truth labels for which T, a synonym or a child was emitted anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol, Union

from .truth import ClipTruth

SAME, PARENT, CHILD = "same", "parent", "child"
CORRECT, ACCEPTABLE, MISTIMED, WRONG = "correct", "acceptable", "mistimed", "wrong"
RIGHT = "right"
#: Seconds of tolerance when deciding whether a sample time lies inside a span.
EPS = 1e-6


class Taxonomy(Protocol):
    def relation(self, predicted: str, truth: str) -> str | None:
        """SAME, PARENT (predicted is more general), CHILD (more specific) or None."""

    def in_scope(self, truth: str) -> bool:
        """Whether the system could emit this truth label (itself, a synonym or a child)."""


# ----------------------------------------------------------------------------- overlap

Region = Union[frozenset, tuple]
"""A stretch of time: a frozenset of sample indices (grid mode) or a tuple of sorted,
disjoint (start, end) intervals (continuous mode)."""


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Intersection over union of two time intervals (0 when they do not overlap)."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def _merge(intervals: Iterable[tuple[float, float]]) -> tuple:
    out: list[tuple[float, float]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)


def _size(region: Region) -> float:
    if isinstance(region, frozenset):
        return float(len(region))
    return sum(e - s for s, e in region)


def _intersection(a: Region, b: Region) -> float:
    if isinstance(a, frozenset):
        return float(len(a & b))
    total = 0.0
    for s1, e1 in a:
        for s2, e2 in b:
            total += max(0.0, min(e1, e2) - max(s1, s2))
    return total


def _union(regions: Sequence[Region]) -> Region:
    if regions and isinstance(regions[0], frozenset):
        return frozenset().union(*regions)
    return _merge(iv for r in regions for iv in r)


def region_iou(a: Region, b: Region) -> float:
    inter = _intersection(a, b)
    if inter <= 0:
        return 0.0
    return inter / (_size(a) + _size(b) - inter)


def best_iou(one: Region, others: Sequence[Region]) -> float:
    """Best IoU of ``one`` with any single region of ``others`` or with all of those it
    overlaps taken together."""
    touching = [r for r in others if _intersection(one, r) > 0]
    if not touching:
        return 0.0
    best = max(region_iou(one, r) for r in touching)
    return max(best, region_iou(one, _union(touching)))


def to_region(span: tuple[float, float], times: Sequence[float] | None) -> Region:
    start, end = span
    if times is None:
        return ((start, end),)
    return frozenset(i for i, t in enumerate(times) if start - EPS <= t < end - EPS)


# ----------------------------------------------------------------------------- taxonomy


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def f_beta(precision: float | None, recall: float | None, beta: float = 0.5) -> float | None:
    """F-beta; beta = 0.5 weighs precision more than recall."""
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
        self.parents = {self._key(k): self._key(v) for k, v in (parents or {}).items()}
        self.synonyms = {self._key(k): self._key(v) for k, v in (synonyms or {}).items()}
        self.vocabulary = None if vocabulary is None else {self._canon(v) for v in vocabulary}

    @staticmethod
    def _key(name: str) -> str:
        return name.casefold()

    def _canon(self, name: str) -> str:
        name = self._key(name)
        return self.synonyms.get(name, name)

    def _ancestors(self, name: str) -> set[str]:
        out: set[str] = set()
        node = self._canon(name)
        while node in self.parents and self._canon(self.parents[node]) not in out:
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


# ----------------------------------------------------------------------------- judging


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
    #: False when no sample falls inside the span (grid mode): it cannot be seen
    sampled: bool = True
    found_by: str | None = None
    iou: float = 0.0

    @property
    def found(self) -> bool:
        return self.found_by is not None

    @property
    def counts(self) -> bool:
        """Whether it counts toward recall."""
        return self.in_scope and self.sampled


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


def is_acceptable(taxonomy: Taxonomy, label: str, acceptable: Sequence[str], truth_labels: Iterable[str]) -> bool:
    """An acceptable label itself (or a synonym), or a parent of one when ``label`` is
    related to none of the clip's truth labels."""
    if any(taxonomy.relation(label, ok) == SAME for ok in acceptable):
        return True
    if any(taxonomy.relation(label, t) is not None for t in truth_labels):
        return False
    return any(taxonomy.relation(label, ok) == PARENT for ok in acceptable)


def evaluate_clip(
    truth: ClipTruth,
    predicted: Predictions,
    taxonomy: Taxonomy,
    *,
    iou_threshold: float = 0.5,
    times: Sequence[float] | None = None,
    group: str | None = None,
) -> ClipResult:
    """Judge one clip's emitted labels; ``times`` are the sample times (grid mode)."""
    result = ClipResult(clip=truth.clip, group=group or truth.source)
    relations = {(p, t): taxonomy.relation(p, t) for p in predicted for t in truth.spans}
    truth_regions = {t: [to_region(s, times) for s in spans] for t, spans in truth.spans.items()}
    pred_regions = {p: [to_region(s[:2], times) for s in spans] for p, spans in predicted.items()}

    # -- emitted instances -----------------------------------------------------------
    for label, instances in predicted.items():
        related = [t for t in truth.spans if relations[(label, t)] is not None]
        accepted = is_acceptable(taxonomy, label, truth.acceptable, truth.spans)
        candidates = [(t, r) for t in related for r in truth_regions[t] if _size(r) > 0]
        for (start, end, confidence), region in zip(instances, pred_regions[label]):
            score = best_iou(region, [r for _, r in candidates])
            overlapping = [(t, region_iou(region, r)) for t, r in candidates if _intersection(region, r) > 0]
            best_label = max(overlapping, key=lambda x: x[1])[0] if overlapping else None
            if score >= iou_threshold:
                verdict = CORRECT
            elif accepted:
                verdict = ACCEPTABLE
            elif overlapping:
                verdict = MISTIMED
            else:
                verdict = WRONG
            result.instances.append(Judged(label, start, end, confidence, verdict, best_label, round(score, 4)))
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
        for span, region in zip(spans, truth_regions[t]):
            item = TruthInstance(t, span[0], span[1], scope, sampled=_size(region) > 0)
            if item.sampled:
                # per finder label: a split instance of one label still finds the truth
                for p in finders:
                    value = best_iou(region, pred_regions[p])
                    if value >= iou_threshold and value > item.iou:
                        item.found_by, item.iou = p, round(value, 4)
            result.truth.append(item)
    return result


# ----------------------------------------------------------------------------- metrics


@dataclass
class Counts:
    correct: int = 0
    mistimed: int = 0
    wrong: int = 0
    acceptable: int = 0
    truth: int = 0
    found: int = 0
    unsampled: int = 0
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
        if not item.in_scope:
            continue
        c = row(item.label)
        if item.sampled:
            c.truth += 1
            c.found += int(item.found)
        else:
            c.unsampled += 1
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
            "groups": {k: v.to_dict() for k, v in sorted(self.groups.items())},
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
    """Labels with the most false instances (mistimed + wrong) and clips, lowest precision first."""
    rows = [(k, c) for k, c in summary.labels.items() if c.mistimed + c.wrong > 0 or c.clips_wrong > 0]
    rows.sort(key=lambda kc: (-(kc[1].mistimed + kc[1].wrong + kc[1].clips_wrong), kc[1].precision or 0.0, kc[0]))
    return rows[:n]
