"""Vocabulary: the generated labels, their mapping from recognizer classes, and the
generator that must reproduce the committed data file exactly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from vocabulary_generator import LABELSETS, WORDNET, load_generator, needs_generator_inputs
from videolabels.vocabulary import Label, Vocabulary

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"
CURATED = TOOLS / "vocabulary"
DATA_FILE = REPO / "src" / "videolabels" / "vocabulary" / "data" / "vocabulary.json"
VI_SAMPLES = REPO / "tests" / "data" / "azure-vi-samples"
RECOGNIZER_DATA = REPO / "src" / "videolabels" / "recognizers" / "data"


def _tsv(name: str) -> list[dict[str, str]]:
    """A curated table as dicts (comment lines skipped, short rows padded)."""
    text = (CURATED / name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        cells = line.split("\t")
        rows.append(dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True)))
    return rows


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load()


# ------------------------------------------------------------------------ generator


def test_generator_reproduces_committed_json() -> None:
    needs_generator_inputs()
    generator = load_generator()
    fresh = generator.dumps(generator.build(LABELSETS, WORDNET))
    assert fresh == DATA_FILE.read_text(encoding="utf-8"), "run: python tools/build_vocabulary.py"


def test_generator_records_provenance(vocab: Vocabulary) -> None:
    about = vocab.about
    assert about["generator"] == "tools/build_vocabulary.py"
    assert about["wordnet_version"] == "3.0"
    files = {entry["file"]: entry for entry in about["inputs"]}
    for name in ("imagenet1k_wnids.txt", "classification_classes_ILSVRC2012.txt", "object_detection_classes_coco.txt"):
        entry = files[f"labelsets/{name}"]
        assert entry["licence"] and len(entry["sha256"]) == 64
    assert any("wordnet" in name and entry["licence"] for name, entry in files.items())


def test_unmapped_table_removes_a_class(tmp_path: Path) -> None:
    needs_generator_inputs()
    generator = load_generator()
    curated = tmp_path / "vocabulary"
    shutil.copytree(CURATED, curated)
    with (curated / "unmapped.tsv").open("a", encoding="utf-8") as handle:
        handle.write("imagenet\tn01443537\ttest: too obscure\n")
    document = generator.build(LABELSETS, WORDNET, curated)
    built = Vocabulary(json.loads(generator.dumps(document)))
    assert built.label_key("imagenet", "n01443537") is None
    assert built.unmapped("imagenet") == {"n01443537": "test: too obscure"}
    assert "goldfish" not in built.labels  # no class left to report it (and no rule uses it)


def test_display_name_clash_is_refused(tmp_path: Path) -> None:
    needs_generator_inputs()
    generator = load_generator()
    curated = tmp_path / "vocabulary"
    shutil.copytree(CURATED, curated)
    names = curated / "display_names.tsv"
    lines = [line for line in names.read_text(encoding="utf-8").splitlines() if "crane (bird)" not in line]
    names.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(generator.BuildError, match="crane"):
        generator.build(LABELSETS, WORDNET, curated)


# ------------------------------------------------------------------------- concepts


def test_sunglass_and_sunglasses_are_one_label(vocab: Vocabulary) -> None:
    one = vocab.label_key("imagenet", "n04355933")
    other = vocab.label_key("imagenet", "n04356056")
    assert one is not None and one == other
    assert vocab.labels[one] == Label(
        key=one, name="sunglasses", synset="04356056-n", reference_id="device/optical instrument/sunglasses"
    )


def test_dog_breed_files_under_dog(vocab: Vocabulary) -> None:
    label = vocab.label("imagenet", "n02099712")
    assert label is not None and label.name == "labrador retriever"
    assert label.synset == "02099712-n"
    assert label.reference_id is not None
    assert label.reference_id.startswith("animal/") and label.reference_id.endswith("/dog/labrador retriever")
    assert vocab.category_path(vocab.category(label.key) or "") == "animal/mammal/dog"


def test_coco_person_is_video_indexers_person(vocab: Vocabulary) -> None:
    label = vocab.label("coco", "person")
    assert label is not None
    assert (label.name, label.synset, label.reference_id) == ("person", "00007846-n", "person")


def test_face_is_human_face_without_reference_id(vocab: Vocabulary) -> None:
    label = vocab.label("face", "face")
    assert label is not None
    assert (label.name, label.synset, label.reference_id) == ("human face", "05600637-n", None)


def test_coco_and_imagenet_share_labels_for_one_concept(vocab: Vocabulary) -> None:
    assert vocab.label_key("coco", "zebra") == vocab.label_key("imagenet", "n02391049")
    assert vocab.label_key("coco", "laptop") == vocab.label_key("imagenet", "n03832673")  # notebook
    assert vocab.label_key("coco", "cup") == vocab.label_key("imagenet", "n07930864")
    assert vocab.label_key("coco", "dog") != vocab.label_key("imagenet", "n02099712")


def test_homonyms_stay_apart(vocab: Vocabulary) -> None:
    bird = vocab.label("imagenet", "n02012849")
    machine = vocab.label("imagenet", "n03126707")
    assert bird is not None and machine is not None and bird.key != machine.key and bird.name != machine.name
    assert bird.reference_id is not None and bird.reference_id.startswith("animal/bird/")
    kite_bird = vocab.label("imagenet", "n01608432")
    kite_toy = vocab.label("coco", "kite")
    assert kite_bird is not None and kite_toy is not None and kite_bird.key != kite_toy.key


def test_display_names_are_lowercase_common_lemmas(vocab: Vocabulary) -> None:
    assert vocab.label("imagenet", "n03594945").name == "jeep"  # "jeep, landrover"
    assert vocab.label("imagenet", "n01440764").name == "tench"  # "tench, Tinca tinca"
    assert vocab.label("imagenet", "n02113186").name == "cardigan welsh corgi"  # not the sweater
    for label in vocab.labels.values():
        assert label.name == label.name.lower().strip(), label
        assert "_" not in label.name and "," not in label.name, label


def test_label_keys_and_names_are_unique() -> None:
    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), [key for key in keys if keys.count(key) > 1]
        return dict(pairs)

    document = json.loads(DATA_FILE.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)
    names = [entry["name"] for entry in document["labels"].values()]
    assert len(names) == len(set(names))
    vocab = Vocabulary(document)
    assert all(key == label.key for key, label in vocab.labels.items())


def test_reference_ids_are_short_paths_ending_in_the_name(vocab: Vocabulary) -> None:
    for label in vocab.labels.values():
        if label.reference_id is None:
            continue
        segments = label.reference_id.split("/")
        assert len(segments) <= 4 and all(segments), label
        assert segments[-1] == label.name, label


def test_every_label_has_a_synset_or_a_reason(vocab: Vocabulary) -> None:
    without = {label.key for label in vocab.labels.values() if label.synset is None}
    noted = {row["class_key"].replace(" ", "_") for row in _tsv("class_synsets.tsv") if row["synset"] == "-"}
    noted |= {row["name"].replace(" ", "_") for row in _tsv("derived_labels.tsv") if row["synset"] == "-" and row["note"]}
    assert without <= noted


# ------------------------------------------------------------------------- coverage


def _class_lists() -> list[tuple[str, Path]]:
    candidates = [
        ("imagenet", LABELSETS / "imagenet1k_wnids.txt"),
        ("coco", LABELSETS / "object_detection_classes_coco.txt"),
        ("imagenet", RECOGNIZER_DATA / "imagenet_wnids.txt"),
        ("coco", RECOGNIZER_DATA / "coco_ids.txt"),
    ]
    return [(namespace, path) for namespace, path in candidates if path.is_file()]


@pytest.mark.parametrize("namespace,path", _class_lists(), ids=lambda value: getattr(value, "name", value))
def test_every_class_maps_or_is_deliberately_unmapped(vocab: Vocabulary, namespace: str, path: Path) -> None:
    reasons = {row["class_key"]: row["reason"] for row in _tsv("unmapped.tsv") if row["namespace"] == namespace}
    classes = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(classes) >= 80
    for class_key in classes:
        key = vocab.label_key(namespace, class_key)
        if key is None:
            assert reasons.get(class_key), f"{namespace} {class_key!r} has no label and no reason"
        else:
            assert key in vocab.labels and class_key not in reasons
    assert vocab.unmapped(namespace) == reasons


def test_class_lists_were_found() -> None:
    # The coverage test above is parametrized by the lists present; make its absence loud.
    assert _class_lists(), "no recognizer class list found"


def test_every_merge_is_listed_with_a_reason(vocab: Vocabulary) -> None:
    merges = {row["class_key"]: row for row in _tsv("merges.tsv")}
    assert all(row["reason"] for row in merges.values())
    for wnid, key in vocab.classes("imagenet").items():
        own = f"{wnid[1:]}-n"
        if vocab.labels[key].synset != own:
            assert wnid in merges, f"{wnid} maps to {key} ({vocab.labels[key].synset}) without a merges.tsv row"
            assert merges[wnid]["into_synset"] == vocab.labels[key].synset


# ------------------------------------------------------------------- Video Indexer


def test_video_indexer_paths_are_matched_exactly(vocab: Vocabulary) -> None:
    checked = 0
    for row in _tsv("video_indexer_reference_ids.tsv"):
        label = vocab.by_synset(row["synset"]) if row["synset"] else None
        if label is not None:
            assert label.reference_id == (row["reference_id"] or None), (row, label)
            checked += 1
    assert checked >= 6  # person, human face, sunglasses, microphone, clock, racket, ...


def test_video_indexer_table_covers_the_samples() -> None:
    samples = sorted(VI_SAMPLES.glob("*.json"))
    if not samples:
        pytest.skip(f"Video Indexer samples absent: {VI_SAMPLES}")
    table = {(row["name"], row["reference_id"]) for row in _tsv("video_indexer_reference_ids.tsv")}
    for sample in samples:
        for video in json.loads(sample.read_text(encoding="utf-8"))["videos"]:
            for label in video["insights"].get("labels", []):
                assert (label["name"].lower(), label.get("referenceId") or "") in table, (sample.name, label["name"])


# --------------------------------------------------------------------------- loader


def test_load_from_a_path_and_unknown_lookups(tmp_path: Path) -> None:
    copy = tmp_path / "vocabulary.json"
    copy.write_bytes(DATA_FILE.read_bytes())
    vocab = Vocabulary.load(copy)
    assert vocab.label_key("imagenet", "n04356056") == "sunglasses"
    assert vocab.label_key("imagenet", "n00000000") is None
    assert vocab.label_key("no-such-namespace", "face") is None
    assert vocab.label("coco", "no such class") is None
    assert vocab.classes("no-such-namespace") == {}
    assert set(vocab.namespaces) == {"imagenet", "coco", "face"}
    classes = vocab.classes("coco")
    classes["person"] = "changed"
    assert vocab.label_key("coco", "person") == "person"  # callers get a copy


def test_hypernym_graph_reaches_the_categories(vocab: Vocabulary) -> None:
    # The WordNet graph above every label: breed -> ... -> dog -> ... -> animal.
    seen: set[str] = set()
    frontier = ["02099712-n"]
    while frontier:
        synset = frontier.pop()
        if synset not in seen:
            seen.add(synset)
            frontier.extend(vocab.hypernyms(synset))
    assert {"02084071-n", "01861778-n", "00015388-n"} <= seen  # dog, mammal, animal
    assert vocab.category_path("00015388-n") == "animal"


def test_parents_and_derived_rules_are_in_the_file(vocab: Vocabulary) -> None:
    # Parent labels and the scene/activity rules come from anchors.tsv (parent column) and
    # derived*.tsv; tests/test_taxonomy.py covers what they mean.
    document = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    recognized = {key for mapping in document["namespaces"].values() for key in mapping.values()}
    for key, entry in document["labels"].items():
        for parent in entry.get("parents", []):
            assert parent in document["labels"], (key, parent)
        assert key in recognized or entry.get("kind") or any(
            key in other.get("parents", []) for other in document["labels"].values()
        ), key
    assert set(document["derived"]) == {key for key, entry in document["labels"].items() if entry.get("kind")}
    assert vocab.parents("labrador_retriever") == ("dog", "mammal", "animal")
    assert "swimming" in vocab.derived and vocab.labels["swimming"].synset == "00442115-n"
    order = vocab.expansion_order
    assert order.index("dog") < order.index("mammal") < order.index("animal")
    assert order.index("beach") < order.index("outdoor")


def test_refuses_an_unknown_format() -> None:
    document = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    document["about"]["format"] = 999
    with pytest.raises(ValueError, match="format"):
        Vocabulary(document)
