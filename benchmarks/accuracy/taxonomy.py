"""How label names relate, read from the videolabels vocabulary.

A name is resolved to a *concept*: its WordNet 3.0 synset (when known), the synsets
above it, and the names on its category path. In order:

1. ``name@synset`` as written in a truth file (the synset wins; the name is kept);
2. a vocabulary label, by key ("crane_bird") or display name ("crane (bird)");
3. a synset of the vocabulary's stored WordNet graph (every ancestor of every label is
   there: "fox", "duck", "vehicle", "animal") whose lemma is the name, if only one is;
4. otherwise the bare name, which relates to other names only by being equal to them
   or to a segment of their category path.

Relations (``relation(predicted, truth)``):

- SAME: equal names (case-insensitive) or the same synset (synonyms);
- PARENT: the predicted synset is a WordNet ancestor of the truth's, or the predicted
  name is one of the truth's parent labels or a segment of its category paths /
  referenceId ("vehicle" in "vehicle/car/minivan");
- CHILD: the same, the other way round.

A truth label is *in scope* when some vocabulary label is SAME or CHILD of it: the
pipeline could have said it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .matching import CHILD, PARENT, SAME


@dataclass(frozen=True)
class Concept:
    name: str
    synset: str | None
    ancestors: frozenset[str]
    path: frozenset[str]


def _split_path(path: str | None) -> list[str]:
    return [seg.strip().casefold() for seg in (path or "").split("/") if seg.strip()]


class VocabularyTaxonomy:
    def __init__(self, vocabulary=None) -> None:
        if vocabulary is None:
            from videolabels.vocabulary import Vocabulary

            vocabulary = Vocabulary.load()
        self.vocabulary = vocabulary
        self._by_key = dict(vocabulary.labels)
        self._by_name: dict[str, object] = {}
        for label in vocabulary.labels.values():
            self._by_name.setdefault(label.name.casefold(), label)
        self._lemmas: dict[str, list[str]] = {}
        for synset, lemma in self._graph_lemmas().items():
            self._lemmas.setdefault(lemma.casefold(), []).append(synset)
        self._concept = lru_cache(maxsize=None)(self._resolve)
        self._relation = lru_cache(maxsize=None)(self._relate)
        self._scope = lru_cache(maxsize=None)(self._in_scope)

    def _graph_lemmas(self) -> dict[str, str]:
        """synset -> lemma of the WordNet nodes stored with the vocabulary (may be empty)."""
        try:
            package = type(self.vocabulary).__module__.rsplit(".", 1)[0]
            text = resources.files(package).joinpath("data/vocabulary.json").read_text(encoding="utf-8")
            nodes = json.loads(text).get("wordnet", {})
            return {s: n["lemma"] for s, n in nodes.items() if isinstance(n, dict) and n.get("lemma")}
        except (OSError, ValueError, KeyError, ModuleNotFoundError, TypeError):
            return {}

    def _closure(self, synset: str | None) -> frozenset[str]:
        if synset is None:
            return frozenset()
        seen: set[str] = set()
        todo = list(self.vocabulary.hypernyms(synset))
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(self.vocabulary.hypernyms(node))
        return frozenset(seen)

    def _label_path(self, label) -> frozenset[str]:
        """Names above a label: its referenceId and category paths, and its parent labels
        (whichever of these the vocabulary offers)."""
        vocab = self.vocabulary
        segments = _split_path(label.reference_id)[:-1]
        if hasattr(vocab, "categories"):  # paths of the categories it files under
            for path in vocab.categories(label.key):
                segments += _split_path(path)
        elif hasattr(vocab, "category"):
            anchor = vocab.category(label.key)
            if anchor:
                path = _split_path(vocab.category_path(anchor))
                segments += path[:-1] if anchor == label.synset else path
        if hasattr(vocab, "parents"):
            for key in vocab.parents(label.key):
                parent = self._by_key.get(key)
                segments.append(parent.name.casefold() if parent else key.casefold())
        own = label.name.casefold()
        return frozenset(s for s in segments if s != own)

    def _resolve(self, name: str) -> Concept:
        text, _, synset = name.partition("@")
        text = text.strip()
        label = self._by_key.get(text) or self._by_name.get(text.casefold())
        if synset:
            synset = synset.strip()
            by_synset = self.vocabulary.by_synset(synset)
            path = self._label_path(by_synset) if by_synset else frozenset()
            return Concept(text.casefold(), synset, self._closure(synset), path)
        if label is not None:
            return Concept(label.name.casefold(), label.synset, self._closure(label.synset), self._label_path(label))
        candidates = self._lemmas.get(text.casefold(), [])
        if len(candidates) == 1:
            return Concept(text.casefold(), candidates[0], self._closure(candidates[0]), frozenset())
        return Concept(text.casefold(), None, frozenset(), frozenset())

    def concept(self, name: str) -> Concept:
        return self._concept(name)

    def ambiguous(self, name: str) -> list[str]:
        """Synsets a bare, non-vocabulary name could mean (for checking truth files)."""
        if "@" in name or name in self._by_key or name.casefold() in self._by_name:
            return []
        found = self._lemmas.get(name.casefold(), [])
        return found if len(found) > 1 else []

    def _relate(self, predicted: str, truth: str) -> str | None:
        p, t = self.concept(predicted), self.concept(truth)
        if p.name == t.name or (p.synset is not None and p.synset == t.synset):
            return SAME
        if (p.synset is not None and p.synset in t.ancestors) or p.name in t.path:
            return PARENT
        if (t.synset is not None and t.synset in p.ancestors) or t.name in p.path:
            return CHILD
        return None

    def relation(self, predicted: str, truth: str) -> str | None:
        return self._relation(predicted, truth)

    def _in_scope(self, truth: str) -> bool:
        return any(self.relation(label.key, truth) in (SAME, CHILD) for label in self._by_key.values())

    def in_scope(self, truth: str) -> bool:
        return self._scope(truth)
