#!/usr/bin/env python3
"""Generate ``src/videolabels/vocabulary/data/vocabulary.json``.

The vocabulary turns recognizer classes (ImageNet-1k wnids, COCO class names, the face
detector's ``face``) into Video Indexer-style labels: one English display name per
concept, its WordNet 3.0 synset and a ``referenceId`` category path.  It also adds the
labels no class maps to: parent labels (the category anchors marked ``parent = yes``
above a label: "dog", "animal", "vehicle") and the derived scene and activity labels with
their rules (``derived_labels.tsv``, ``derived.tsv``); see docs/taxonomy.md.  Everything a
person decided (category anchors, display names, merges, COCO synsets, deliberately
unmapped classes, the paths Video Indexer itself shows, derived rules) lives in the small
tables under ``tools/vocabulary/``; this script only combines them with WordNet and the
class lists, and refuses to write a vocabulary that breaks one of the rules checked in
``validate`` (or a rule cycle, an unknown evidence label, ...).

Run ``python tools/build_vocabulary.py`` from the repository root (``--check`` compares
with the committed file instead of writing it).  The output is byte-for-byte
deterministic for the same inputs, which is what lets the test suite prove the committed
JSON is reproducible.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CURATED_DIR = REPO / "tools" / "vocabulary"
DEFAULT_LABELSETS = REPO.parent / "shared" / "data" / "labelsets"
DEFAULT_WORDNET = Path("/usr/share/wordnet")
DEFAULT_OUTPUT = REPO / "src" / "videolabels" / "vocabulary" / "data" / "vocabulary.json"

GENERATOR = "tools/build_vocabulary.py"
FORMAT_VERSION = 1
# Video Indexer's paths are short ("device/optical instrument/sunglasses"); a category
# path may therefore have at most MAX_SEGMENTS - 1 segments, the label name is the last.
MAX_SEGMENTS = 4

IMAGENET_NAMES = "classification_classes_ILSVRC2012.txt"
IMAGENET_WNIDS = "imagenet1k_wnids.txt"
COCO_NAMES = "object_detection_classes_coco.txt"

# Namespaces whose class keys are not WordNet ids and so need the curated class table.
TABLE_NAMESPACES = ("coco", "face")
NAMESPACES = ("imagenet",) + TABLE_NAMESPACES

NO_SYNSET = "-"
DERIVED_KINDS = ("scene", "activity")
DERIVED_ROLES = ("evidence", "requires", "excludes", "implied_by")
SYNSET_RE = re.compile(r"^\d{8}-n$")


class BuildError(Exception):
    """A curated table or input file contradicts itself or WordNet; fix the data."""


# --------------------------------------------------------------------------- tables


def read_tsv(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Read a curated table: ``#`` comment lines, one header line, tab-separated rows.

    The header is checked against ``columns`` so a reordered or renamed column fails
    loudly instead of silently shifting meaning.
    """
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = [cell.strip() for cell in raw.split("\t")]
        if header is None:
            header = cells
            if tuple(header) != columns:
                raise BuildError(f"{path.name}: header {header} != expected {list(columns)}")
            continue
        if len(cells) < len(columns):
            cells += [""] * (len(columns) - len(cells))
        if len(cells) != len(columns):
            raise BuildError(f"{path.name}:{number}: {len(cells)} cells, expected {len(columns)}")
        rows.append(dict(zip(columns, cells, strict=True)))
    if header is None:
        raise BuildError(f"{path.name}: no header line")
    return rows


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# -------------------------------------------------------------------------- WordNet


@dataclass(frozen=True)
class Synset:
    """The parts of a WordNet noun synset the vocabulary needs."""

    id: str  # "04356056-n"
    lemmas: tuple[str, ...]  # WordNet spelling, underscores kept
    hypernyms: tuple[str, ...]  # "@" and "@i" pointers, in file order


class WordNet:
    """Just enough of WordNet's ``data.noun`` (offsets, lemmas, hypernym pointers).

    Parsed directly rather than through NLTK so the generator has no extra dependency and
    reads exactly the Debian ``wordnet-base`` files the tests name.
    """

    def __init__(self, directory: Path) -> None:
        data = directory / "data.noun"
        if not data.is_file():
            raise BuildError(f"WordNet data file not found: {data} (apt-get install wordnet-base)")
        self.version = ""
        self.synsets: dict[str, Synset] = {}
        with data.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("  "):
                    match = re.search(r"WordNet (\d+\.\d+)", line)
                    if match and not self.version:
                        self.version = match.group(1)
                    continue
                synset = self._parse(line)
                self.synsets[synset.id] = synset
        if self.version != "3.0":
            raise BuildError(f"expected WordNet 3.0 data, found version {self.version!r}")

    @staticmethod
    def _parse(line: str) -> Synset:
        fields = line.split(" | ", 1)[0].split()
        offset = fields[0]
        count = int(fields[3], 16)
        lemmas = tuple(fields[4 + 2 * i] for i in range(count))
        at = 4 + 2 * count
        pointers = int(fields[at])
        at += 1
        hypernyms = []
        for _ in range(pointers):
            symbol, target, pos = fields[at], fields[at + 1], fields[at + 2]
            at += 4
            if symbol in ("@", "@i") and pos == "n":
                hypernyms.append(f"{target}-n")
        return Synset(f"{offset}-n", lemmas, tuple(hypernyms))

    def get(self, synset_id: str) -> Synset:
        try:
            return self.synsets[synset_id]
        except KeyError:
            raise BuildError(f"synset {synset_id} is not in WordNet {self.version} data.noun") from None

    def ancestors(self, synset_id: str) -> list[str]:
        """All hypernyms, transitively, breadth-first (nearest first, pointer order)."""
        seen: dict[str, None] = {}
        queue = deque(self.get(synset_id).hypernyms)
        while queue:
            current = queue.popleft()
            if current not in seen:
                seen[current] = None
                queue.extend(self.get(current).hypernyms)
        return list(seen)


def lemma_text(lemma: str) -> str:
    """WordNet spelling -> display text ("Labrador_retriever" -> "labrador retriever")."""
    return lemma.replace("_", " ").lower()


def check_lemma(wordnet: WordNet, synset_id: str, lemma: str, where: str) -> None:
    """Curated tables repeat the synset's first lemma so a mistyped offset cannot slip by."""
    first = wordnet.get(synset_id).lemmas[0]
    if lemma != first:
        raise BuildError(f"{where}: synset {synset_id} is {first!r}, table says {lemma!r}")


def check_synset_id(value: str, where: str) -> None:
    if not SYNSET_RE.match(value):
        raise BuildError(f"{where}: {value!r} is not a noun synset id like 04356056-n")


# ------------------------------------------------------------------- curated inputs


@dataclass
class Curated:
    """The human decisions, read from ``tools/vocabulary/*.tsv``."""

    sources: list[dict[str, str]]
    anchors: dict[str, str]  # synset -> category path
    display_names: dict[str, str]  # synset -> display name
    merges: dict[tuple[str, str], str]  # (namespace, class key) -> synset of the label
    class_synsets: dict[tuple[str, str], dict[str, str]]  # (namespace, class key) -> row
    unmapped: dict[tuple[str, str], str]  # (namespace, class key) -> reason
    video_indexer: dict[str, str | None]  # synset -> referenceId Video Indexer shows
    parent_paths: set[str] = field(default_factory=set)  # anchor paths that are parent labels
    derived_labels: list[dict[str, str]] = field(default_factory=list)  # derived_labels.tsv rows
    derived_rules: list[dict[str, str]] = field(default_factory=list)  # derived.tsv rows
    lookalikes: list[dict[str, str]] = field(default_factory=list)  # lookalikes.tsv rows
    files: list[Path] = field(default_factory=list)


def load_curated(directory: Path, wordnet: WordNet) -> Curated:
    files: list[Path] = []

    def table(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
        path = directory / name
        files.append(path)
        return read_tsv(path, columns)

    sources = table("sources.tsv", ("input", "what", "origin", "licence"))

    anchors: dict[str, str] = {}
    parent_flags: dict[str, str] = {}
    for row in table("anchors.tsv", ("synset", "wordnet_lemma", "path", "parent", "note")):
        where = f"anchors.tsv {row['synset']}"
        check_synset_id(row["synset"], where)
        check_lemma(wordnet, row["synset"], row["wordnet_lemma"], where)
        if row["synset"] in anchors:
            raise BuildError(f"{where}: listed twice")
        if row["parent"] not in ("yes", "no"):
            raise BuildError(f"{where}: parent must be yes or no, not {row['parent']!r}")
        if parent_flags.setdefault(row["path"], row["parent"]) != row["parent"]:
            raise BuildError(f"{where}: rows of path {row['path']!r} disagree on parent")
        if row["parent"] == "no" and "not a parent label" not in row["note"]:
            raise BuildError(f"{where}: a path-only anchor needs a note saying why it is not a parent label")
        anchors[row["synset"]] = row["path"]
    parent_paths = {path for path, flag in parent_flags.items() if flag == "yes"}

    display_names: dict[str, str] = {}
    for row in table("display_names.tsv", ("synset", "wordnet_lemma", "name", "reason")):
        where = f"display_names.tsv {row['synset']}"
        check_synset_id(row["synset"], where)
        check_lemma(wordnet, row["synset"], row["wordnet_lemma"], where)
        if not row["reason"]:
            raise BuildError(f"{where}: a display-name override needs a reason")
        display_names[row["synset"]] = row["name"]

    merges: dict[tuple[str, str], str] = {}
    for row in table("merges.tsv", ("namespace", "class_key", "into_synset", "into_lemma", "reason")):
        where = f"merges.tsv {row['namespace']} {row['class_key']}"
        if row["namespace"] != "imagenet":
            raise BuildError(f"{where}: only ImageNet classes merge here; map COCO/face in class_synsets.tsv")
        check_synset_id(row["into_synset"], where)
        check_lemma(wordnet, row["into_synset"], row["into_lemma"], where)
        if not row["reason"]:
            raise BuildError(f"{where}: a merge needs a reason")
        merges[(row["namespace"], row["class_key"])] = row["into_synset"]

    class_synsets: dict[tuple[str, str], dict[str, str]] = {}
    for row in table("class_synsets.tsv", ("namespace", "class_key", "synset", "wordnet_lemma", "hypernym", "note")):
        where = f"class_synsets.tsv {row['namespace']} {row['class_key']}"
        if row["namespace"] not in TABLE_NAMESPACES:
            raise BuildError(f"{where}: namespace must be one of {TABLE_NAMESPACES}")
        if row["synset"] == NO_SYNSET:
            check_synset_id(row["hypernym"], where)
            if not row["note"]:
                raise BuildError(f"{where}: a class without a synset needs a note saying why")
        else:
            check_synset_id(row["synset"], where)
            check_lemma(wordnet, row["synset"], row["wordnet_lemma"], where)
        class_synsets[(row["namespace"], row["class_key"])] = row

    unmapped: dict[tuple[str, str], str] = {}
    for row in table("unmapped.tsv", ("namespace", "class_key", "reason")):
        if not row["reason"]:
            raise BuildError(f"unmapped.tsv {row['namespace']} {row['class_key']}: needs a reason")
        unmapped[(row["namespace"], row["class_key"])] = row["reason"]

    video_indexer: dict[str, str | None] = {}
    for row in table("video_indexer_reference_ids.tsv", ("name", "reference_id", "synset", "wordnet_lemma", "sample")):
        if not row["synset"]:
            continue  # seen in Video Indexer output but no WordNet concept fits
        where = f"video_indexer_reference_ids.tsv {row['name']}"
        check_synset_id(row["synset"], where)
        check_lemma(wordnet, row["synset"], row["wordnet_lemma"], where)
        video_indexer[row["synset"]] = row["reference_id"] or None

    derived_labels: list[dict[str, str]] = []
    seen_derived: set[str] = set()
    for row in table("derived_labels.tsv", ("name", "kind", "synset", "wordnet_lemma", "hypernym", "window", "note")):
        where = f"derived_labels.tsv {row['name']}"
        if row["name"] in seen_derived:
            raise BuildError(f"{where}: listed twice")
        seen_derived.add(row["name"])
        if row["kind"] not in DERIVED_KINDS:
            raise BuildError(f"{where}: kind must be one of {DERIVED_KINDS}")
        if row["synset"] == NO_SYNSET:
            check_synset_id(row["hypernym"], where)
            wordnet.get(row["hypernym"])
            if not row["note"]:
                raise BuildError(f"{where}: a label without a synset needs a note saying why")
        else:
            check_synset_id(row["synset"], where)
            check_lemma(wordnet, row["synset"], row["wordnet_lemma"], where)
        try:
            window = float(row["window"])
        except ValueError:
            raise BuildError(f"{where}: window {row['window']!r} is not a number of seconds") from None
        if not 0 <= window <= 60:
            raise BuildError(f"{where}: window must be 0..60 seconds")
        derived_labels.append(row)

    derived_rules = table("derived.tsv", ("label", "role", "evidence", "weight", "note"))
    for number, row in enumerate(derived_rules, 1):
        where = f"derived.tsv rule {number} ({row['label']} {row['role']} {row['evidence']})"
        if row["label"] not in seen_derived:
            raise BuildError(f"{where}: {row['label']!r} is not in derived_labels.tsv")
        if row["role"] not in DERIVED_ROLES:
            raise BuildError(f"{where}: role must be one of {DERIVED_ROLES}")
        if not row["evidence"] or any(not name for name in row["evidence"].split("|")):
            raise BuildError(f"{where}: no evidence label")
        if row["role"] in ("requires", "implied_by"):
            if row["weight"]:
                raise BuildError(f"{where}: {row['role']} takes no weight")
            if row["role"] == "implied_by" and "|" in row["evidence"]:
                raise BuildError(f"{where}: only requires may list alternatives")
        else:
            if "|" in row["evidence"]:
                raise BuildError(f"{where}: only requires may list alternatives")
            try:
                weight = float(row["weight"])
            except ValueError:
                raise BuildError(f"{where}: weight {row['weight']!r} is not a number") from None
            if not 0 < weight <= 1:
                raise BuildError(f"{where}: weight must be in (0, 1]")

    lookalikes = table("lookalikes.tsv", ("label", "instead", "needs", "weight", "note"))
    seen_lookalikes: set[str] = set()
    for number, row in enumerate(lookalikes, 1):
        where = f"lookalikes.tsv row {number} ({row['label']})"
        if row["label"] in seen_lookalikes:
            raise BuildError(f"{where}: listed twice")
        seen_lookalikes.add(row["label"])
        if not row["note"]:
            raise BuildError(f"{where}: a look-alike needs a note with the evidence")
        if not row["instead"] and not row["needs"]:
            raise BuildError(f"{where}: neither instead nor needs: the row does nothing")
        if row["needs"]:
            if any(not name for name in row["needs"].split("|")):
                raise BuildError(f"{where}: an empty name in needs")
            try:
                weight = float(row["weight"])
            except ValueError:
                raise BuildError(f"{where}: weight {row['weight']!r} is not a number") from None
            if not 0 < weight < 1:
                raise BuildError(f"{where}: weight must be in (0, 1)")
        elif row["weight"]:
            raise BuildError(f"{where}: a weight without needs")

    return Curated(
        sources,
        anchors,
        display_names,
        merges,
        class_synsets,
        unmapped,
        video_indexer,
        parent_paths,
        derived_labels,
        derived_rules,
        lookalikes,
        files,
    )


# ---------------------------------------------------------------------------- build


@dataclass
class Concept:
    """One label before it gets its key: a synset, or a named class WordNet lacks."""

    synset: str | None
    name: str
    hypernyms: tuple[str, ...] = ()  # only for a synset-less concept: where it hangs in WordNet


def slug(name: str) -> str:
    """Label key from the display name: stable, ASCII, readable in logs and URLs."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower().replace("'", "")).strip("_")


def category_for(wordnet: WordNet, anchors: dict[str, str], concept: Concept) -> str | None:
    """The anchor a concept files under: the most specific one among its ancestors.

    Most specific (longest category path) rather than merely nearest, because WordNet's
    secondary hypernyms are often broad: a greyhound is also a "racer" (an animal that
    races), which would otherwise file Italian greyhounds under "animal" instead of
    "animal/mammal/dog".  Equally specific anchors (multiple inheritance) are broken by
    distance, nearest first, then by WordNet's pointer order.
    """
    start = [concept.synset] if concept.synset is not None else list(concept.hypernyms)
    best: tuple[int, int, int] | None = None
    chosen: str | None = None
    order = 0
    level, seen, distance = start, set(start), 0
    while level:
        for synset in level:
            if synset in anchors:
                rank = (-anchors[synset].count("/"), distance, order)
                if best is None or rank < best:
                    best, chosen = rank, synset
            order += 1
        following: list[str] = []
        for synset in level:
            for parent in wordnet.get(synset).hypernyms:
                if parent not in seen:
                    seen.add(parent)
                    following.append(parent)
        level, distance = following, distance + 1
    return chosen


def reference_id_for(concept: Concept, category: str | None, anchors: dict[str, str]) -> str | None:
    if category is None:
        return concept.name
    path = anchors[category]
    if category == concept.synset:
        return path  # the concept is itself a category ("animal/mammal/dog")
    return f"{path}/{concept.name}"


# ---------------------------------------------------------- parents and derived labels


def path_prefixes(path: str) -> list[str]:
    """"animal/mammal/dog" -> ["animal/mammal/dog", "animal/mammal", "animal"]."""
    segments = path.split("/")
    return ["/".join(segments[:depth]) for depth in range(len(segments), 0, -1)]


def position(concept: Concept, category: str | None, anchors: dict[str, str]) -> str | None:
    """A concept's place in the category tree: its category path, plus its own name unless
    it is the category itself. Unlike the referenceId, Video Indexer's overrides do not
    apply: the tree is the anchors' (a Video Indexer label without a path still has parents)."""
    if category is None:
        return None
    path = anchors[category]
    return path if category == concept.synset else f"{path}/{concept.name}"


def add_derived_concepts(curated: Curated, concepts: dict[str, Concept]) -> dict[str, str]:
    """Concepts for the scene and activity labels; returns derived name -> concept identity.

    A derived label whose synset is already a recognized label (ImageNet's "stage") is that
    label: the rule adds evidence to it rather than making a second label.
    """
    identities: dict[str, str] = {}
    for row in curated.derived_labels:
        where = f"derived_labels.tsv {row['name']}"
        if row["synset"] == NO_SYNSET:
            identity = f"{NO_SYNSET}:{row['name']}"
            if identity in concepts:
                raise BuildError(f"{where}: a recognizer class already has this name")
            concepts[identity] = Concept(None, row["name"], (row["hypernym"],))
        elif row["synset"] in concepts:
            identity = row["synset"]
            if concepts[identity].name != row["name"]:
                raise BuildError(
                    f"{where}: synset {identity} is already the label {concepts[identity].name!r}; use that name"
                )
        else:
            identity = row["synset"]
            concepts[identity] = Concept(identity, row["name"])
        identities[row["name"]] = identity
    return identities


def add_parent_concepts(
    wordnet: WordNet, curated: Curated, concepts: dict[str, Concept], categories: dict[str, str | None]
) -> dict[str, str]:
    """Concepts for the parent labels; returns anchor path -> concept identity.

    Every anchor path marked parent=yes above some label becomes a label: the existing one
    when a label has one of the path's synsets ("dog"), else a new one named after the last
    path segment with the synset of the path's first anchors.tsv row ("vehicle").
    """
    synsets_of: dict[str, list[str]] = {}
    for synset_id, path in curated.anchors.items():
        synsets_of.setdefault(path, []).append(synset_id)
    needed: set[str] = set()
    for identity, concept in concepts.items():
        place = position(concept, categories[identity], curated.anchors)
        if place is not None:
            needed |= {path for path in path_prefixes(place)[1:] if path in curated.parent_paths}
    path_identity: dict[str, str] = {}
    for path in sorted(needed):
        existing = [synset_id for synset_id in synsets_of[path] if synset_id in concepts]
        identity = existing[0] if existing else synsets_of[path][0]
        if not existing:
            concepts[identity] = Concept(identity, path.rsplit("/", 1)[-1])
            categories[identity] = category_for(wordnet, curated.anchors, concepts[identity])
        if position(concepts[identity], categories[identity], curated.anchors) != path:
            raise BuildError(f"parent label {concepts[identity].name!r} does not file under its own path {path!r}")
        path_identity[path] = identity
    return path_identity


def derived_rules(
    curated: Curated, identities: dict[str, str], key_of: dict[str, str], labels: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """derived.tsv resolved to label keys: key -> {kind, window, evidence, requires, excludes}."""
    key_by_name = {entry["name"]: key for key, entry in labels.items()}
    section: dict[str, dict[str, Any]] = {}
    for row in curated.derived_labels:
        section[key_of[identities[row["name"]]]] = {
            "kind": row["kind"],
            "window": float(row["window"]),
            "evidence": [],
            "requires": [],
            "excludes": [],
            "implied_by": [],
        }
    for number, row in enumerate(curated.derived_rules, 1):
        where = f"derived.tsv rule {number} ({row['label']} {row['role']} {row['evidence']})"
        key = key_of[identities[row["label"]]]
        names = row["evidence"].split("|")
        unknown = [name for name in names if name not in key_by_name]
        if unknown:
            raise BuildError(f"{where}: no label is named {unknown}")
        keys = [key_by_name[name] for name in names]
        if key in keys:
            raise BuildError(f"{where}: a label cannot be its own evidence")
        rule = section[key]
        if row["role"] == "requires":
            rule["requires"].append(keys)
        else:
            listed = {item[0] for item in rule["evidence"] + rule["excludes"]} | set(rule["implied_by"])
            if keys[0] in listed:
                raise BuildError(f"{where}: {names[0]!r} is listed twice for {row['label']!r}")
            if row["role"] == "implied_by":
                rule["implied_by"].append(keys[0])
            else:
                rule["evidence" if row["role"] == "evidence" else "excludes"].append([keys[0], float(row["weight"])])
    for key, rule in section.items():
        if not rule["evidence"]:
            raise BuildError(f"derived label {key}: no evidence row in derived.tsv")
        if not rule["implied_by"]:
            del rule["implied_by"]  # the common case: no key in vocabulary.json
    return section


def lookalike_rules(curated: Curated, labels: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """lookalikes.tsv resolved to label keys: key -> {instead, needs, weight}."""
    key_by_name = {entry["name"]: key for key, entry in labels.items()}

    def ancestors(key: str) -> set[str]:
        # A label's parents are every parent label up its category path, already transitive.
        return set(labels[key].get("parents", []))

    section: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(curated.lookalikes, 1):
        where = f"lookalikes.tsv row {number} ({row['label']})"
        names = [row["label"], *([row["instead"]] if row["instead"] else []), *(row["needs"].split("|") if row["needs"] else [])]
        unknown = [name for name in names if name not in key_by_name]
        if unknown:
            raise BuildError(f"{where}: no label is named {unknown}")
        key = key_by_name[row["label"]]
        if labels[key].get("kind"):
            raise BuildError(f"{where}: a derived label has rules of its own (derived.tsv)")
        rule: dict[str, Any] = {"instead": None, "needs": [], "weight": 1.0}
        if row["instead"]:
            instead = key_by_name[row["instead"]]
            # Moving a score up or down its own branch would count it twice or not at all.
            if instead == key or instead in ancestors(key) or key in ancestors(instead):
                raise BuildError(f"{where}: instead must not be the label, a parent or a child of it")
            rule["instead"] = instead
        if row["needs"]:
            needs = [key_by_name[name] for name in row["needs"].split("|")]
            if key in needs:
                raise BuildError(f"{where}: a label cannot be needed by itself")
            rule["needs"] = needs
            rule["weight"] = float(row["weight"])
        section[key] = rule
    return section


def expansion_order(labels: dict[str, dict[str, Any]], derived: dict[str, dict[str, Any]]) -> list[str]:
    """The computed labels (parents and derived) in an order where each comes after
    everything it is computed from; a BuildError names a cycle.

    Mirrors ``videolabels.vocabulary.model.expansion_order``, which the run time uses.
    """
    depends: dict[str, set[str]] = {}
    for key, entry in labels.items():
        parents = entry.get("parents", [])
        if parents:
            depends.setdefault(parents[0], set()).add(key)
    for key, rule in derived.items():
        needs = depends.setdefault(key, set())
        needs |= {item[0] for item in rule["evidence"] + rule["excludes"]} | set(rule.get("implied_by", []))
        needs |= {name for group in rule["requires"] for name in group}
    order: list[str] = []
    state: dict[str, int] = {}  # 1: being visited, 2: done

    def visit(key: str, trail: list[str]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            cycle = trail[trail.index(key):] + [key]
            raise BuildError("derived/parent labels form a cycle: " + " -> ".join(cycle))
        state[key] = 1
        for needed in sorted(depends.get(key, ())):
            visit(needed, trail + [key])
        state[key] = 2
        if key in depends:
            order.append(key)

    for key in sorted(depends):
        visit(key, [])
    return order


def build(labelsets: Path, wordnet_dir: Path, curated_dir: Path = CURATED_DIR) -> dict[str, Any]:
    """Combine the inputs into the vocabulary document (a JSON-ready dict)."""
    wordnet = WordNet(wordnet_dir)
    curated = load_curated(curated_dir, wordnet)
    validate_anchors(curated.anchors)

    inputs = {
        "imagenet_names": labelsets / IMAGENET_NAMES,
        "imagenet_wnids": labelsets / IMAGENET_WNIDS,
        "coco": labelsets / COCO_NAMES,
    }
    for path in inputs.values():
        if not path.is_file():
            raise BuildError(f"input not found: {path}")
    wnids = read_lines(inputs["imagenet_wnids"])
    imagenet_names = read_lines(inputs["imagenet_names"])
    coco_classes = read_lines(inputs["coco"])
    if len(wnids) != len(imagenet_names):
        raise BuildError("ImageNet names and wnids files differ in length")

    # namespace -> class key -> concept identity ("04356056-n", or "-:<name>" for none)
    class_concepts: dict[str, dict[str, str]] = {namespace: {} for namespace in NAMESPACES}
    concepts: dict[str, Concept] = {}
    unmapped: dict[str, dict[str, str]] = {namespace: {} for namespace in NAMESPACES}

    def concept_for_synset(synset_id: str) -> str:
        if synset_id not in concepts:
            synset = wordnet.get(synset_id)
            name = curated.display_names.get(synset_id, lemma_text(synset.lemmas[0]))
            concepts[synset_id] = Concept(synset_id, name)
        return synset_id

    for wnid, class_name in zip(wnids, imagenet_names, strict=True):
        synset_id = f"{wnid[1:]}-n"
        lemmas = wordnet.get(synset_id).lemmas
        if class_name != ", ".join(lemma.replace("_", " ") for lemma in lemmas):
            # The two files are only usable together if they line up row by row.
            raise BuildError(f"ImageNet row {wnid} {class_name!r} does not match WordNet {lemmas}")
        key = ("imagenet", wnid)
        if key in curated.unmapped:
            if key in curated.merges:
                raise BuildError(f"imagenet {wnid} is both merged and unmapped")
            unmapped["imagenet"][wnid] = curated.unmapped[key]
            continue
        class_concepts["imagenet"][wnid] = concept_for_synset(curated.merges.get(key, synset_id))

    table_classes = {"coco": coco_classes, "face": ["face"]}
    for namespace, classes in table_classes.items():
        if len(set(classes)) != len(classes):
            raise BuildError(f"{namespace} class list has duplicates")
        for class_key in classes:
            key = (namespace, class_key)
            if key in curated.unmapped:
                if key in curated.class_synsets:
                    raise BuildError(f"{namespace} {class_key!r} is both in class_synsets.tsv and unmapped")
                unmapped[namespace][class_key] = curated.unmapped[key]
                continue
            row = curated.class_synsets.get(key)
            if row is None:
                raise BuildError(f"{namespace} class {class_key!r}: not in class_synsets.tsv nor unmapped.tsv")
            if row["synset"] == NO_SYNSET:
                identity = f"{NO_SYNSET}:{class_key}"
                if identity not in concepts:
                    concepts[identity] = Concept(None, lemma_text(class_key), (row["hypernym"],))
            else:
                identity = concept_for_synset(row["synset"])
            class_concepts[namespace][class_key] = identity

    known = {(ns, key) for ns, keys in (("imagenet", wnids), *table_classes.items()) for key in keys}
    for table_name, table_keys in (
        ("merges.tsv", curated.merges),
        ("class_synsets.tsv", curated.class_synsets),
        ("unmapped.tsv", curated.unmapped),
    ):
        stale = sorted(set(table_keys) - known)
        if stale:
            raise BuildError(f"{table_name} names classes no input list has: {stale}")
    for (_namespace, class_key), target in curated.merges.items():
        if target == f"{class_key[1:]}-n":
            raise BuildError(f"merges.tsv {class_key}: merges into its own synset")
    stale_names = sorted(set(curated.display_names) - set(concepts))
    if stale_names:
        raise BuildError(f"display_names.tsv overrides synsets that are no label: {stale_names}")

    derived_identity = add_derived_concepts(curated, concepts)
    categories = {identity: category_for(wordnet, curated.anchors, concept) for identity, concept in concepts.items()}
    path_identity = add_parent_concepts(wordnet, curated, concepts, categories)
    derived_concepts = set(derived_identity.values()) - set(
        identity for mapping in class_concepts.values() for identity in mapping.values()
    )

    labels: dict[str, dict[str, Any]] = {}
    key_of: dict[str, str] = {}
    derived_disagreements: list[str] = []
    for identity, concept in sorted(concepts.items()):
        category = categories[identity]
        derived = reference_id_for(concept, category, curated.anchors)
        reference_id, source = derived, "wordnet anchors"
        if concept.synset in curated.video_indexer:
            reference_id, source = curated.video_indexer[concept.synset], "video indexer sample"
            if reference_id is not None and reference_id != derived and identity not in derived_concepts:
                # Derived activities are exempt: Video Indexer files "tennis" under
                # activity/game but "sport" under event/act, which no one tree reproduces.
                derived_disagreements.append(f"{concept.name}: {derived} (Video Indexer: {reference_id})")
        key = slug(concept.name)
        if key in labels:
            raise BuildError(
                f"display name clash: {concept.name!r} for {identity} and {labels[key]['synset']};"
                " add a display_names.tsv override"
            )
        key_of[identity] = key
        entry: dict[str, Any] = {
            "name": concept.name,
            "synset": concept.synset,
            "reference_id": reference_id,
            "reference_id_from": source,
            "category": category,
        }
        if concept.synset is None:
            entry["hypernyms"] = list(concept.hypernyms)
        else:
            entry["lemmas"] = [lemma.replace("_", " ") for lemma in wordnet.get(concept.synset).lemmas]
        labels[key] = entry

    # Parents and category paths, now that every concept has its key.
    for identity, concept in concepts.items():
        place = position(concept, categories[identity], curated.anchors)
        if place is None:
            continue
        above = path_prefixes(place)[1:]
        entry = labels[key_of[identity]]
        if above:
            entry["categories"] = above
        parents = [key_of[path_identity[path]] for path in above if path in curated.parent_paths]
        if parents:
            entry["parents"] = parents
    for key, entry in labels.items():
        if key in entry.get("parents", []):
            raise BuildError(f"label {key} is its own parent; check anchors.tsv")

    derived_section = derived_rules(curated, derived_identity, key_of, labels)
    for key, rule in derived_section.items():
        labels[key]["kind"] = rule["kind"]
    expansion_order(labels, derived_section)  # refuses cycles
    lookalike_section = lookalike_rules(curated, labels)

    if derived_disagreements:
        # The anchors are meant to reproduce every path Video Indexer shows; a disagreement
        # means an anchor is missing or misplaced, not that the sample is wrong.
        raise BuildError("anchors disagree with Video Indexer paths:\n  " + "\n  ".join(derived_disagreements))
    check_video_indexer_anchors(curated)

    namespaces = {
        namespace: {class_key: key_of[identity] for class_key, identity in sorted(mapping.items())}
        for namespace, mapping in class_concepts.items()
    }

    # The hypernym graph above every label and category, so parents/roll-ups can be added
    # later from this file alone, without WordNet installed at run time.
    graph_roots = {entry["synset"] for entry in labels.values() if entry["synset"]}
    graph_roots |= {h for entry in labels.values() for h in entry.get("hypernyms", [])}
    graph_roots |= set(curated.anchors)
    graph: dict[str, dict[str, Any]] = {}
    for synset_id in sorted(graph_roots):
        for member in [synset_id, *wordnet.ancestors(synset_id)]:
            if member not in graph:
                synset = wordnet.get(member)
                graph[member] = {"lemma": synset.lemmas[0].replace("_", " "), "hypernyms": list(synset.hypernyms)}

    document = {
        "about": about(curated, inputs, wordnet),
        "categories": dict(sorted(curated.anchors.items())),
        "derived": dict(sorted(derived_section.items())),
        "labels": dict(sorted(labels.items())),
        "lookalikes": dict(sorted(lookalike_section.items())),
        "namespaces": namespaces,
        "unmapped": {namespace: dict(sorted(reasons.items())) for namespace, reasons in unmapped.items()},
        "wordnet": dict(sorted(graph.items())),
    }
    validate(document)
    return document


def about(curated: Curated, inputs: dict[str, Path], wordnet: WordNet) -> dict[str, Any]:
    """Provenance block: what the file was generated from and under which licences.

    Class lists and curated tables carry a SHA-256 so a reader can tell exactly which
    version produced the file; WordNet is identified by its version only, because any
    faithful copy of WordNet 3.0 (Debian's or Princeton's) yields the same vocabulary.
    """
    input_paths = {path.name: path for path in inputs.values()}
    missing = sorted(set(input_paths) - {row["input"] for row in curated.sources})
    if missing:
        raise BuildError(f"sources.tsv has no licence row for {missing}")
    listed: list[dict[str, str]] = []
    for row in curated.sources:
        entry = {"file": row["input"], "what": row["what"], "origin": row["origin"], "licence": row["licence"]}
        if row["input"] in input_paths:
            entry["file"] = f"labelsets/{row['input']}"
            entry["sha256"] = sha256(input_paths[row["input"]])
        listed.append(entry)
    for path in curated.files:
        listed.append(
            {
                "file": f"tools/vocabulary/{path.name}",
                "sha256": sha256(path),
                "what": "curated table (its header says what each column means)",
                "origin": "this repository",
                "licence": "Apache-2.0",
            }
        )
    return {
        "generator": GENERATOR,
        "format": FORMAT_VERSION,
        "wordnet_version": wordnet.version,
        "max_reference_id_segments": MAX_SEGMENTS,
        "inputs": listed,
    }


# ------------------------------------------------------------------------ validation


def validate_anchors(anchors: dict[str, str]) -> None:
    """Anchor paths must form a tree whose every inner node is itself an anchor.

    That keeps every referenceId segment backed by a synset, which is what a later
    parents/roll-up step needs ("dog" -> "mammal" -> "animal").
    """
    paths = set(anchors.values())
    for synset_id, path in anchors.items():
        segments = path.split("/")
        if any(not s or s != s.strip() or s != s.lower() for s in segments):
            raise BuildError(f"anchor {synset_id}: bad path {path!r}")
        if len(segments) > MAX_SEGMENTS - 1:
            raise BuildError(f"anchor {synset_id}: {path!r} leaves no room for a label name")
        for depth in range(1, len(segments)):
            prefix = "/".join(segments[:depth])
            if prefix not in paths:
                raise BuildError(f"anchor {synset_id}: parent category {prefix!r} is not an anchor")


def check_video_indexer_anchors(curated: Curated) -> None:
    """Every Video Indexer path that names a category must be that anchor's path."""
    for synset_id, reference_id in curated.video_indexer.items():
        if synset_id in curated.anchors and reference_id is not None:
            if curated.anchors[synset_id] != reference_id:
                raise BuildError(
                    f"anchor {synset_id} path {curated.anchors[synset_id]!r} != Video Indexer {reference_id!r}"
                )


def validate(document: dict[str, Any]) -> None:
    names: dict[str, str] = {}
    for key, entry in document["labels"].items():
        name = entry["name"]
        if name != name.lower() or "_" in name or "," in name or name != name.strip():
            raise BuildError(f"label {key}: display name {name!r} is not a lowercase English name")
        if name in names:
            raise BuildError(f"labels {key} and {names[name]} share the name {name!r}")
        names[name] = key
        reference_id = entry["reference_id"]
        if reference_id is not None:
            segments = reference_id.split("/")
            if len(segments) > MAX_SEGMENTS:
                raise BuildError(f"label {key}: referenceId {reference_id!r} is too long")
            if segments[-1] != name:
                raise BuildError(f"label {key}: referenceId {reference_id!r} does not end with its name")
    used = {key for mapping in document["namespaces"].values() for key in mapping.values()}
    used |= {parent for entry in document["labels"].values() for parent in entry.get("parents", [])}
    used |= set(document["derived"])
    orphans = sorted(set(document["labels"]) - used)
    if orphans:
        raise BuildError(f"labels no class maps to and no rule derives: {orphans}")


# ---------------------------------------------------------------------------- output


def dumps(document: dict[str, Any]) -> str:
    """Stable, diff-friendly JSON: one label / class / synset per line, keys sorted."""

    def line(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    def block(mapping: dict[str, Any], indent: str, depth: int) -> list[str]:
        out: list[str] = []
        items = sorted(mapping.items())
        for index, (key, value) in enumerate(items):
            comma = "," if index < len(items) - 1 else ""
            if depth > 0 and isinstance(value, dict):
                out.append(f"{indent}{line(key)}: {{")
                out.extend(block(value, indent + "  ", depth - 1))
                out.append(f"{indent}}}{comma}")
            else:
                out.append(f"{indent}{line(key)}: {line(value)}{comma}")
        return out

    depths = {"about": 0, "categories": 0, "derived": 0, "labels": 0, "lookalikes": 0, "namespaces": 1, "unmapped": 1, "wordnet": 0}
    lines = ["{"]
    sections = sorted(document.items())
    for index, (section, value) in enumerate(sections):
        comma = "," if index < len(sections) - 1 else ""
        if section == "about":
            nested = json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            lines.append(f"  {line(section)}: {nested}{comma}")
            continue
        lines.append(f"  {line(section)}: {{")
        lines.extend(block(value, "    ", depths[section]))
        lines.append(f"  }}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--labelsets",
        type=Path,
        default=DEFAULT_LABELSETS,
        help=f"folder with the class lists (default: {DEFAULT_LABELSETS})",
    )
    parser.add_argument(
        "--wordnet",
        type=Path,
        default=DEFAULT_WORDNET,
        help=f"WordNet 3.0 dict folder with data.noun (default: {DEFAULT_WORDNET})",
    )
    parser.add_argument("--curated", type=Path, default=CURATED_DIR, help=argparse.SUPPRESS)
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="where to write vocabulary.json (default: the packaged data file)",
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the output file differs from a fresh build"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        text = dumps(build(args.labelsets, args.wordnet, args.curated))
    except BuildError as error:
        print(f"build_vocabulary: {error}", file=sys.stderr)
        return 2
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"build_vocabulary: {args.output} is out of date", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    document = json.loads(text)
    print(f"wrote {args.output} ({len(document['labels'])} labels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
