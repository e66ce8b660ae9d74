"""Taxonomy: parent labels and their roll-up scores, derived scene and activity labels, and
the optional label detail in the output (docs/taxonomy.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from videobuild import encode_timeline, fit, photo
from vocabulary_generator import LABELSETS, WORDNET, load_generator, needs_generator_inputs
from videolabels.insights import parse_timespan, validate_index
from videolabels.pipeline import IndexOptions, Indexer
from videolabels.vocabulary import DerivedRule, Vocabulary, expand_scores
from videolabels.vocabulary.expand import _expand
from videolabels.vocabulary.derived import EVIDENCE_FLOOR, Windows, rule_score

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"
CURATED = TOOLS / "vocabulary"
PHOTOS = Path(__file__).resolve().parent / "data" / "photos"
DATA = Path(__file__).resolve().parent / "data"

# Label keys of the docs' examples.
BREEDS = ("labrador_retriever", "eskimo_dog", "siberian_husky", "beagle")


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load()


def _names(vocab: Vocabulary, keys) -> tuple[str, ...]:
    return tuple(vocab.labels[key].name for key in keys)


# ----------------------------------------------------------------- the category tree


def test_dog_breeds_have_dog_mammal_animal_as_parents(vocab):
    breeds = [key for key in vocab.labels if vocab.parents(key)[:1] == ("dog",)]
    assert len(breeds) == 118  # ImageNet-1k's dog classes, all of them and only them
    assert "red_fox" not in breeds and "timber_wolf" not in breeds  # canines, not dogs
    assert _names(vocab, vocab.parents("labrador_retriever")) == ("dog", "mammal", "animal")
    assert vocab.categories("labrador_retriever") == ("animal/mammal/dog", "animal/mammal", "animal")
    assert vocab.parents("dog") == ("mammal", "animal")
    assert vocab.parents("animal") == ()
    label = vocab.labels["labrador_retriever"]
    assert (label.synset, label.reference_id) == ("02099712-n", "animal/mammal/dog/labrador retriever")


@pytest.mark.parametrize(
    "key,parents",
    [
        ("sports_car", ("car", "vehicle")),
        ("taxi", ("car", "vehicle")),  # ImageNet "cab"
        ("minivan", ("car", "vehicle")),
        ("suit", ("clothing",)),
        ("t_shirt", ("clothing",)),  # ImageNet "jersey, T-shirt"
        ("jeans", ("clothing",)),  # ImageNet "jean"; Video Indexer shows it without a path
        ("scuba_diver", ("person",)),
        ("canoe", ("boat", "watercraft", "vehicle")),
        ("granny_smith", ("apple", "fruit", "food")),
        ("swimming", ("sport",)),  # derived labels file into the tree too
    ],
)
def test_specific_labels_have_their_general_parents(vocab, key, parents):
    assert _names(vocab, vocab.parents(key)) == parents


def test_only_searchable_levels_are_labels(vocab):
    names = {label.name for label in vocab.labels.values()}
    # WordNet levels nobody searches video for, and path-only categories.
    noise = {"placental", "whole", "canine", "carnivore", "vertebrate", "organism", "artifact", "instrumentality",
             "device", "structure", "consumer goods", "container", "geological formation", "event", "act",
             "invertebrate", "arachnid", "headdress", "plumbing fixture", "toiletry"}
    assert not names & noise
    parents = {p for key in vocab.labels for p in vocab.parents(key)}
    assert {"dog", "mammal", "animal", "car", "vehicle", "clothing", "food", "furniture", "sport"} <= parents
    for key in parents:
        label = vocab.labels[key]
        assert label.synset, label  # every parent is a WordNet concept (translatable)
        # a parent label is the category it names: its name ends its category path
        child = vocab.descendants(key)[0]
        assert any(path.rsplit("/", 1)[-1] == label.name for path in vocab.categories(child)), (key, child)


def test_parents_are_ancestors_in_the_category_paths(vocab):
    for key in vocab.labels:
        paths = vocab.categories(key)
        for parent in vocab.parents(key):
            assert any(path.rsplit("/", 1)[-1] == vocab.labels[parent].name for path in paths), (key, parent)
        for near, far in zip(paths, paths[1:]):
            assert near.startswith(far + "/"), (key, paths)


# ------------------------------------------------------------ scenes and activities


REQUESTED_SCENES = {"beach", "underwater", "indoor", "outdoor", "stage", "kitchen", "road", "snow"}
REQUESTED_ACTIVITIES = {"swimming", "cycling", "skiing", "surfing", "playing guitar", "dining", "driving"}


def test_scene_and_activity_labels(vocab):
    kinds = {vocab.labels[key].name: rule.kind for key, rule in vocab.derived.items()}
    assert len(kinds) >= 40
    assert {name for name, kind in kinds.items() if kind == "scene"} >= REQUESTED_SCENES
    assert {name for name, kind in kinds.items() if kind == "activity"} >= REQUESTED_ACTIVITIES
    assert vocab.kind("beach") == "scene" and vocab.kind("cycling") == "activity" and vocab.kind("dog") is None


def test_derived_labels_have_synsets_and_reference_ids(vocab):
    without = []
    for key in vocab.derived:
        label = vocab.labels[key]
        if label.synset is None:
            without.append(label.name)
    # Only concepts WordNet has no noun for ("underwater", "playing guitar", ...).
    assert all(name == "underwater" or name.startswith("playing ") for name in without), without
    assert vocab.labels["swimming"].synset == "00442115-n"
    assert vocab.labels["beach"].synset == "09217230-n"
    assert vocab.labels["swimming"].reference_id == "event/act/sport/swimming"
    assert vocab.labels["tennis"].reference_id == "activity/game/tennis"  # as Video Indexer writes it
    assert vocab.labels["outdoor"].reference_id is None  # Video Indexer shows none for outdoor / interior
    assert vocab.labels["indoor"].reference_id is None


def test_derived_labels_are_translated_by_synset():
    from videolabels.localize import label_name

    assert label_name("swimming", "fr-FR")[1] and label_name("swimming", "fr-FR")[0] != "swimming"
    assert label_name("beach", "de-DE") == ("Strand", True)
    assert label_name("outdoor", "fr-FR") == ("extérieur", True)


def test_rules_need_strong_or_agreeing_evidence(vocab):
    """Precision first: a single weak piece of evidence never reaches 0.5 on its own."""
    for key, rule in vocab.derived.items():
        strongest = max(weight for _, weight in rule.evidence)
        assert 0.5 <= strongest <= 0.95, (key, strongest)  # every rule can fire, none on a hunch
        assert rule.window > 0
    # Activities done by people require one.
    for key in ("swimming", "cycling", "skiing", "surfing", "playing_guitar", "dining", "driving"):
        assert ("person",) in vocab.derived[key].requires, key
    assert ("bicycle",) in vocab.derived["cycling"].requires


# -------------------------------------------------------------------- roll-up scores


def _scores(n: int, **values) -> dict[str, np.ndarray]:
    out = {}
    for key, value in values.items():
        out[key] = np.asarray(value if np.ndim(value) else [value] * n, dtype=np.float32)
    return out


def test_softmax_children_add_up_and_parents_never_trail_children(vocab):
    inputs = _scores(2, labrador_retriever=[0.4, 0.0], golden_retriever=[0.3, 0.0], beagle=[0.2, 0.0])
    out = expand_scores(vocab, [0.0, 1.0], inputs)
    assert out["dog"][0] == pytest.approx(0.9, abs=1e-6)  # P(dog) = sum of P(breed)
    assert out["mammal"][0] >= out["dog"][0] and out["animal"][0] >= out["mammal"][0]
    assert out["dog"][1] == 0 and out["animal"][1] == 0
    assert out["labrador_retriever"] is inputs["labrador_retriever"]  # inputs pass through untouched


def test_detector_evidence_joins_by_max_not_noisy_or(vocab):
    # ImageNet breeds 0.4 in all, COCO's dog detector 0.4: two doubtful looks, still doubtful.
    inputs = _scores(1, beagle=0.25, basset_hound=0.15, dog=0.4)
    assert expand_scores(vocab, [0.0], inputs)["dog"][0] == pytest.approx(0.4)
    # Detector classes are not exclusive: two boxes at 0.3 do not make a 0.6 vehicle.
    inputs = _scores(1, car=0.3, truck=0.3)
    assert expand_scores(vocab, [0.0], inputs)["vehicle"][0] == pytest.approx(0.3)
    # The summed breeds win over a weaker detector, capped at 1.
    inputs = _scores(1, beagle=0.7, basset_hound=0.5, dog=0.6)
    assert expand_scores(vocab, [0.0], inputs)["dog"][0] == pytest.approx(1.0)


def test_parent_is_at_least_every_child_on_random_scores(vocab):
    rng = np.random.default_rng(7)
    keys = sorted(vocab.recognized())
    n = 6
    softmax = rng.dirichlet(np.full(len(keys), 0.05), size=n).T  # mostly one class per sample
    inputs = {key: softmax[i].astype(np.float32) for i, key in enumerate(keys)}
    for key in ("person", "car", "dog", "cup", "bicycle"):  # detector-like extras
        inputs[key] = rng.random(n).astype(np.float32)
    out = expand_scores(vocab, [float(t) for t in range(n)], inputs)
    for key in out:
        for parent in vocab.parents(key):
            assert np.all(out[parent] >= out[key] - 1e-6), (key, parent)
        assert np.all((out[key] >= 0) & (out[key] <= 1.0 + 1e-6)), key


def test_a_partial_expansion_orders_everything_its_labels_read(vocab):
    """The look-alike rules are judged on a few labels, expanded alone: every computed
    label they read must come before them, and the scores must be the full expansion's."""
    order = vocab.expansion_order
    computed = set(order)
    for keys in ({"bird", "bicycle", "person"}, {"beach"}, {"animal", "sport"}):
        part = vocab.expansion_order_for(keys)
        assert computed & keys <= set(part)
        assert list(part) == [key for key in order if key in part]  # a subsequence, same order
        for key in part:
            rule = vocab.derived.get(key)
            reads = set(vocab.children(key)) | (rule.inputs() if rule else set())
            assert reads & computed <= set(part), key
    rng = np.random.default_rng(3)
    n = 5
    inputs = {key: (rng.random(n) * (rng.random() < 0.2)).astype(np.float32) for key in sorted(vocab.recognized())}
    times = [float(t) for t in range(n)]
    full = _expand(vocab, n, times, inputs, vocab.exclusive_labels())
    keys = {"beach", "animal", "sport", "bird"}
    part = _expand(vocab, n, times, inputs, vocab.exclusive_labels(), vocab.expansion_order_for(keys))
    for key in keys:
        assert np.array_equal(part[key], full[key]), key
    assert set(part) < set(full)


def test_expand_checks_lengths(vocab):
    with pytest.raises(ValueError, match="scores"):
        expand_scores(vocab, [0.0, 1.0], {"person": np.zeros(3, dtype=np.float32)})


# -------------------------------------------------------------------- derived scores


def test_requires_caps_the_score(vocab):
    times = [0.0, 1.0, 2.0, 3.0]
    bike_only = expand_scores(vocab, times, _scores(4, mountain_bike=0.95))
    assert bike_only["cycling"].max() == 0  # a bicycle and nobody on it
    with_rider = expand_scores(vocab, times, _scores(4, mountain_bike=0.95, person=0.9))
    assert with_rider["cycling"].min() >= 0.75
    assert with_rider["sport"].min() >= with_rider["cycling"].min()  # derived labels roll up too


def test_seashore_makes_beach_and_outdoor(vocab):
    out = expand_scores(vocab, [0.0, 1.0], _scores(2, seashore=0.9))
    assert out["beach"].min() >= 0.8 and out["outdoor"].min() >= 0.75
    assert out["indoor"].max() == 0 and out["underwater"].max() == 0


def test_evidence_from_neighbouring_samples_counts(vocab):
    """A jellyfish at 3 s and a sea slug at 4 s: neither alone says underwater, together they do."""
    times = [float(t) for t in range(8)]
    jelly = np.zeros(8, dtype=np.float32)
    slug = np.zeros(8, dtype=np.float32)
    jelly[3], slug[4] = 0.75, 0.8
    alone = expand_scores(vocab, times, {"jellyfish": jelly})["underwater"]
    assert alone.max() < 0.5
    both = expand_scores(vocab, times, {"jellyfish": jelly, "sea_slug": slug})["underwater"]
    assert both[3] >= 0.5 and both[4] >= 0.5
    assert both[:3].max() == 0 and both[5:].max() == 0  # nothing where neither is on screen


def test_a_scene_does_not_spill_past_a_cut(vocab):
    times = [float(t) for t in range(10)]
    shore = np.array([0.95] * 5 + [0.0] * 5, dtype=np.float32)
    beach = expand_scores(vocab, times, {"seashore": shore})["beach"]
    assert beach[:5].min() >= 0.8
    assert beach[5:].max() < 0.2


def test_short_dropouts_are_bridged_but_window_is_in_seconds(vocab):
    rule = DerivedRule(key="x", kind="scene", window=2.0, evidence=(("a", 0.9),), requires=(("b",),))
    b = np.array([1, 1, 0, 1, 1], dtype=np.float32)  # the required label missed one sample
    a = np.full(5, 0.9, dtype=np.float32)
    score = rule_score(rule, Windows([0, 1, 2, 3, 4], {"a": a, "b": b}), exclusive={"a"})
    assert score.min() == pytest.approx(0.81)
    # Sampled every 5 s, a 2 s window reaches no neighbour: the dropout stays.
    score = rule_score(rule, Windows([0, 5, 10, 15, 20], {"a": a, "b": b}), exclusive={"a"})
    assert score[2] == 0 and score[1] == pytest.approx(0.81)


def test_a_kind_of_a_scene_implies_it(vocab):
    """A lake is water: "water" scores at least what "lake" does at every sample, even
    where as weighed evidence (0.9 at most) a lake at 0.52 would have left it under 0.5;
    and no more than that where nothing else speaks for water."""
    times = [0.0, 1.0, 2.0, 3.0, 4.0]
    lakeside = np.array([0.0, 0.58, 0.6, 0.58, 0.0], dtype=np.float32)
    out = expand_scores(vocab, times, {"lakeside": lakeside})
    assert out["lake"][2] > 0.5
    assert np.all(out["water"] >= out["lake"] - 1e-6)
    assert out["water"][2] == pytest.approx(out["lake"][2], abs=1e-6)
    assert out["water"][0] == 0 and out["water"][4] == 0
    assert "lake" in vocab.derived["water"].implied_by and "lake" in vocab.derived["water"].inputs()


def test_many_faint_detections_do_not_add_up_to_a_scene(vocab):
    faint = EVIDENCE_FLOOR - 0.05
    inputs = {key: np.full(3, faint, dtype=np.float32) for key in
              ("bed", "couch", "toilet", "microwave", "oven", "refrigerator", "sink", "dining_table", "chair",
               "television", "computer_keyboard", "remote_control", "book", "clock", "vase", "laptop")}
    out = expand_scores(vocab, [0.0, 1.0, 2.0], inputs)
    for key in ("indoor", "kitchen", "bathroom", "bedroom", "living_room", "office"):
        assert out[key].max() < 0.1, key


def test_faint_softmax_classes_add_up(vocab):
    # A classifier torn between three coast classes is sure about the coast.
    out = expand_scores(vocab, [0.0], _scores(1, seashore=0.4, sandbar=0.3, promontory=0.2))
    assert out["beach"][0] == pytest.approx(0.9 * 0.4 + 0.85 * 0.3 + 0.55 * 0.2, abs=1e-5)
    assert out["beach"][0] > 0.7


# ---------------------------------------------------------------------- generator


@pytest.mark.parametrize(
    "table,line,error",
    [
        ("derived.tsv", "beach\tevidence\toutdoor\t0.5\t\n", "cycle"),
        ("derived.tsv", "beach\tevidence\tsandcastle\t0.5\t\n", "no label is named"),
        ("derived.tsv", "beach\tevidence\tseashore\t0.5\t\n", "listed twice"),
        ("derived.tsv", "beach\tevidence\tbikini\t1.5\t\n", "weight"),
        ("derived.tsv", "beach\trequires\tperson\t0.5\t\n", "requires takes no weight"),
        ("derived.tsv", "water\timplied_by\tharbor\t0.5\t\n", "implied_by takes no weight"),
        ("derived.tsv", "water\timplied_by\tlake|sea\t\t\n", "only requires may list alternatives"),
        ("derived.tsv", "water\timplied_by\tlake\t\t\n", "listed twice"),
        ("derived.tsv", "lake\timplied_by\twater\t\t\n", "cycle"),
        ("derived_labels.tsv", "fire\tscene\t-\t\t08630039-n\t2\t\n", "needs a note"),
        ("derived_labels.tsv", "alp\tscene\t09193705-n\talp\t\t2\t\n", "already the label"),
        ("anchors.tsv", "09359803-n\tmountain\tgeological formation/mountain range\tno\tx\n", "needs a note"),
        ("lookalikes.tsv", "tricycle\tbicycle\t\t\t\n", "needs a note"),
        ("lookalikes.tsv", "tricycle\t\t\t\tseen somewhere\n", "does nothing"),
        ("lookalikes.tsv", "tricycle\tvelocipede\t\t\tseen somewhere\n", "no label is named"),
        ("lookalikes.tsv", "tricycle\tvehicle\t\t\tseen somewhere\n", "parent or a child"),
        ("lookalikes.tsv", "tricycle\t\tperson\t1.5\tseen somewhere\n", "weight"),
        ("lookalikes.tsv", "tricycle\t\tperson\t\tseen somewhere\n", "not a number"),
        ("lookalikes.tsv", "rickshaw\tbicycle\t\t\tagain\n", "listed twice"),
    ],
)
def test_generator_refuses_bad_tables(tmp_path, table, line, error):
    needs_generator_inputs()
    generator = load_generator()
    curated = tmp_path / "vocabulary"
    shutil.copytree(CURATED, curated)
    with (curated / table).open("a", encoding="utf-8") as handle:
        handle.write(line)
    with pytest.raises(generator.BuildError, match=error):
        generator.build(LABELSETS, WORDNET, curated)


# ---------------------------------------------------------------------- look-alikes


def _columns(**columns: list[float]) -> dict[str, np.ndarray]:
    return {key: np.asarray(values, dtype=np.float32) for key, values in columns.items()}


def test_a_lookalike_goes_to_what_the_other_model_sees(vocab):
    """EfficientNet's "rickshaw" on a parked bicycle: where the detector sees the bicycle,
    the score is the bicycle's; without a bicycle or a person it is halved."""
    rule = vocab.lookalikes["rickshaw"]
    assert (rule.instead, rule.needs, rule.weight) == ("bicycle", ("person",), 0.5)
    times = [0.0, 1.0, 2.0, 3.0]
    out = expand_scores(vocab, times, _columns(rickshaw=[0.9, 0.9, 0.9, 0.9], bicycle=[0.3, 0.0, 0.0, 0.0],
                                             person=[0.0, 0.0, 0.8, 0.1]))
    assert out["bicycle"][0] == pytest.approx(0.9)  # the classifier's confidence, on the right label
    assert out["rickshaw"].tolist() == pytest.approx([0.0, 0.45, 0.9, 0.45])  # no bicycle: needs a person
    assert out["bicycle"][1:].tolist() == [0.0, 0.0, 0.0]
    assert out["vehicle"].min() >= 0.45  # still a vehicle either way


def test_a_lookalike_is_judged_on_rolled_up_parents(vocab):
    """The detector's "kite" is a bird where the classifier sees any bird species; the toy
    it would roll up into goes with it."""
    times = [0.0, 1.0]
    out = expand_scores(vocab, times, _columns(kite=[0.7, 0.7], magpie=[0.6, 0.0]))
    assert out["kite"].tolist() == pytest.approx([0.0, 0.7])
    assert out["toy"].tolist() == pytest.approx([0.0, 0.7])
    assert out["bird"][0] >= 0.7


def test_lookalike_rules_name_real_labels_and_are_documented(vocab):
    assert {"rickshaw", "unicycle", "kite"} <= set(vocab.lookalikes)
    for key, rule in vocab.lookalikes.items():
        assert rule.inputs() <= set(vocab.labels)
        assert rule.instead is not None or rule.needs
        assert 0 < rule.weight <= 1
    docs = (REPO / "docs" / "taxonomy.md").read_text(encoding="utf-8")
    assert "lookalikes.tsv" in docs


def test_the_quick_start_bicycles_are_not_a_rickshaw(indexer):
    """bikes.mp4 (README's quick start): a bicycle locked to a railing, then one against a
    wall. EfficientNet calls both a rickshaw at 0.9; the detector sees the second one."""
    doc = indexer.index(DATA / "bikes.mp4", IndexOptions())
    assert not spans(doc, "rickshaw")
    bicycle = spans(doc, "bicycle")
    assert bicycle and all(7.0 <= start and end <= 10.0 for start, end, _ in bicycle), bicycle


def test_a_path_only_anchor_is_not_a_label(tmp_path):
    needs_generator_inputs()
    generator = load_generator()
    curated = tmp_path / "vocabulary"
    shutil.copytree(CURATED, curated)
    anchors = curated / "anchors.tsv"
    text = anchors.read_text(encoding="utf-8").replace(
        "01861778-n\tmammal\tanimal/mammal\tyes\t", "01861778-n\tmammal\tanimal/mammal\tno\tnot a parent label: test"
    )
    anchors.write_text(text, encoding="utf-8")
    built = Vocabulary(json.loads(generator.dumps(generator.build(LABELSETS, WORDNET, curated))))
    assert "mammal" not in built.labels
    assert _names(built, built.parents("labrador_retriever")) == ("dog", "animal")
    assert built.categories("labrador_retriever") == ("animal/mammal/dog", "animal/mammal", "animal")


# --------------------------------------------------------------- on real pictures


def stamp(name: str, background=(128, 128, 128)) -> np.ndarray:
    """A Tux Paint stamp (RGBA cut-out) on a plain background, as RGB."""
    image = cv2.imread(str(PHOTOS / name), cv2.IMREAD_UNCHANGED)
    alpha = image[..., 3:4] / 255.0
    rgb = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2RGB)
    return (rgb * alpha + np.array(background) * (1 - alpha)).astype(np.uint8)


def beside(left: np.ndarray, name: str, height: int = 340) -> np.ndarray:
    """A 640x360 frame: the middle of a photo on the left, a stamp in the centre-right."""
    canvas = np.full((360, 640, 3), 128, dtype=np.uint8)
    scaled = cv2.resize(left, (round(left.shape[1] * 360 / left.shape[0]), 360), interpolation=cv2.INTER_AREA)
    width = min(scaled.shape[1], 300)
    offset = (scaled.shape[1] - width) // 2
    canvas[:, :width] = scaled[:, offset : offset + width]
    item = cv2.imread(str(PHOTOS / name), cv2.IMREAD_UNCHANGED)
    item = cv2.resize(item, (round(item.shape[1] * height / item.shape[0]), height), interpolation=cv2.INTER_AREA)
    top, x = (360 - height) // 2, 250
    region = canvas[top : top + height, x : x + item.shape[1]]
    item = item[:, : region.shape[1]]
    alpha = item[..., 3:4] / 255.0
    region[:] = (cv2.cvtColor(item[..., :3], cv2.COLOR_BGR2RGB) * alpha + region * (1 - alpha)).astype(np.uint8)
    return canvas


def labels_of(doc) -> dict[str, dict]:
    return {label["name"]: label for label in doc["videos"][0]["insights"]["labels"]}


def spans(doc, name) -> list[tuple[float, float, float]]:
    label = labels_of(doc).get(name)
    if label is None:
        return []
    return [(parse_timespan(i["start"]), parse_timespan(i["end"]), i["confidence"]) for i in label["instances"]]


def within(found, start, end, slack=0.1) -> bool:
    return bool(found) and all(s >= start - slack and e <= end + slack for s, e, _ in found)


@pytest.fixture(scope="module")
def indexer():
    return Indexer()


@pytest.fixture(scope="module")
def dog_video(tmp_path_factory):
    """grey 2 s, the dog stamp (a husky-like dog) 3 s, grey 2 s."""
    grey = np.full((360, 640, 3), 128, dtype=np.uint8)
    path = tmp_path_factory.mktemp("taxonomy") / "dog.mp4"
    return encode_timeline(path, [(grey, 2), (stamp("dog.png"), 3), (grey, 2)])


def test_breeds_roll_up_into_dog_and_animal_on_a_real_photo(dog_video):
    """The classifier spreads the stamp over several husky-like breeds, none of them
    confident; their sum is a confident dog. ImageNet alone (no dog detector) shows it."""
    from videolabels.recognizers import load

    imagenet_only = Indexer(recognizers=[load("imagenet")])
    doc = imagenet_only.index(dog_video, IndexOptions(min_confidence=0.3), label_detail=True)
    validate_index(doc)
    labels = labels_of(doc)
    breed = labels["eskimo dog"]
    assert breed["parents"] == ["dog", "mammal", "animal"]
    assert breed["categories"] == ["animal/mammal/dog", "animal/mammal", "animal"]
    assert breed["synset"] == "02109961-n"
    breed_spans = spans(doc, "eskimo dog")
    for parent in ("dog", "mammal", "animal"):
        found = spans(doc, parent)
        assert within(found, 2.0, 5.0), (parent, found)
        assert found[0][2] >= max(conf for _, _, conf in breed_spans) + 0.2, (parent, found, breed_spans)
        assert found[0][2] >= 0.7
    # At the default threshold only the general labels survive.
    plain = imagenet_only.index(dog_video, IndexOptions())
    assert {"dog", "mammal", "animal"} <= set(labels_of(plain)) and "eskimo dog" not in labels_of(plain)


def test_dog_with_all_models(indexer, dog_video):
    doc = indexer.index(dog_video, IndexOptions(min_confidence=0.3))
    dog, animal = spans(doc, "dog"), spans(doc, "animal")
    assert within(dog, 2.0, 5.0) and within(animal, 2.0, 5.0)
    assert animal[0][2] >= dog[0][2] >= max(c for _, _, c in spans(doc, "eskimo dog"))


@pytest.fixture(scope="module")
def activity_doc(indexer, tmp_path_factory):
    """coffee 0-3 s, a footballer with the ball 3-7 s, a guitar alone 7-10 s, a man beside
    a guitar 10-13 s, a cat 13-16 s."""
    segments = [
        (photo("coffee"), 3),
        (photo("messi5.jpg"), 4),
        (fit(stamp("guitar_classical.png"), 640, 360), 3),
        (beside(photo("camera"), "guitar_classical.png"), 3),
        (photo("chelsea"), 3),
    ]
    path = encode_timeline(tmp_path_factory.mktemp("taxonomy") / "activities.mp4", segments)
    doc = indexer.index(path, IndexOptions(), label_detail=True)
    validate_index(doc)
    return doc


def test_soccer_only_while_the_footballer_is_on_screen(activity_doc):
    soccer = spans(activity_doc, "soccer")
    assert within(soccer, 3.0, 7.0) and soccer[0][0] == 3.0 and soccer[-1][1] >= 6.0, soccer
    label = labels_of(activity_doc)["soccer"]
    assert label["kind"] == "activity" and label["synset"] == "00478262-n" and label["parents"] == ["sport"]
    sport = spans(activity_doc, "sport")
    assert within(sport, 3.0, 7.0) and sport[0][2] >= soccer[0][2]


def test_playing_guitar_needs_the_person(activity_doc):
    guitar = spans(activity_doc, "acoustic guitar")
    assert guitar and guitar[0][0] <= 7.0 and guitar[-1][1] >= 12.0  # seen alone and beside the man
    playing = spans(activity_doc, "playing guitar")
    assert within(playing, 10.0, 13.0), playing  # not while the guitar is alone
    assert labels_of(activity_doc)["playing guitar"]["kind"] == "activity"
    assert within(spans(activity_doc, "musical instrument"), 7.0, 13.0)


def test_no_activity_where_there_is_none(activity_doc):
    names = set(labels_of(activity_doc))
    assert "dining" not in names  # a cup of coffee on a table, nobody at it
    derived = {name for name, label in labels_of(activity_doc).items() if label.get("kind")}
    assert derived <= {"soccer", "playing guitar"}, derived


@pytest.mark.parametrize("clip", ["bikes.mp4", "vtest_20s.avi"])
def test_street_footage_is_outdoor(indexer, clip):
    doc = indexer.index(DATA / clip, IndexOptions())
    assert spans(doc, "outdoor")
    assert not spans(doc, "indoor")
    assert spans(doc, "vehicle")  # cars roll up


def test_a_photo_of_a_lake_is_a_lake_and_water(indexer, tmp_path):
    """A real photo of a lake at dusk (the accuracy benchmark's lake-dusk.jpg, a Plasma
    wallpaper): ImageNet's "lakeside" makes the scenes lake, water and outdoor, for the
    whole shot, and nothing indoor."""
    image = cv2.cvtColor(cv2.imread(str(REPO / "benchmarks" / "accuracy" / "photos" / "lake-dusk.jpg")), cv2.COLOR_BGR2RGB)
    path = encode_timeline(tmp_path / "lake.mp4", [(fit(image, 640, 360), 4.0)])
    doc = indexer.index(path, IndexOptions())
    for scene in ("lake", "water", "outdoor"):
        assert within(spans(doc, scene), 0.0, 4.0) and spans(doc, scene)[0][0] == 0.0, scene
    assert not spans(doc, "indoor")
    validate_index(doc)


def test_suit_and_ties_are_clothing(indexer):
    """carphone: a man in a suit with a bow tie; ImageNet splits it between suit and ties."""
    doc = indexer.index(DATA / "carphone_pristine.mp4", IndexOptions())
    clothing = spans(doc, "clothing")
    assert clothing and clothing[0][0] == 0.0 and clothing[-1][1] >= 3.0
    analysis = indexer.last_analysis
    scores = expand_scores(indexer.vocabulary, analysis.times, analysis.label_scores)
    garments = ("suit", "necktie", "bow_tie", "windsor_tie")
    for key in garments:  # sample by sample, the parent is at least each child
        assert np.all(scores["clothing"] >= scores[key] - 1e-6), key
    # ... and more than any of them where the classifier splits the outfit between them.
    assert np.any(scores["clothing"] > np.max([scores[key] for key in garments], axis=0) + 0.05)


# ------------------------------------------------------------------ document output


VI_LABEL_KEYS = {"id", "name", "referenceId", "language", "instances"}
DETAIL_KEYS = {"synset", "kind", "parents", "categories"}


def test_label_detail_from_the_command_line():
    video = DATA / "carphone_pristine.mp4"
    detailed = subprocess.run(
        [sys.executable, "-m", "videolabels", "index", str(video), "--label-detail"],
        capture_output=True, text=True, timeout=300, check=True,
    )
    doc = json.loads(detailed.stdout)
    validate_index(doc)
    labels = labels_of(doc)
    for label in labels.values():
        assert set(label) <= VI_LABEL_KEYS | DETAIL_KEYS
        assert isinstance(label["parents"], list) and isinstance(label["categories"], list)
        assert list(label)[:4] == ["id", "name", "referenceId", "language"] or "referenceId" not in label
    assert labels["necktie"]["parents"] == ["clothing"]
    assert labels["necktie"]["categories"] == ["consumer goods/clothing", "consumer goods"]
    assert labels["necktie"]["synset"] == "03815615-n"
    assert labels["clothing"]["parents"] == [] and labels["clothing"]["categories"] == ["consumer goods"]
    assert labels["person"]["synset"] == "00007846-n" and labels["person"]["parents"] == []
    assert "kind" not in labels["necktie"]

    plain = subprocess.run(
        [sys.executable, "-m", "videolabels", "index", str(video)], capture_output=True, text=True, timeout=300,
        check=True,
    )
    plain_doc = json.loads(plain.stdout)
    validate_index(plain_doc)
    for label in labels_of(plain_doc).values():
        assert set(label) <= VI_LABEL_KEYS, label  # no extra keys unless asked for
    assert set(labels_of(plain_doc)) == set(labels)  # the same labels either way


def test_detail_keys_are_optional_in_the_schema(activity_doc):
    schema = json.loads((REPO / "src" / "videolabels" / "insights" / "schema" / "video-index.schema.json").read_text())
    label = schema["$defs"]["Label"]
    assert DETAIL_KEYS <= set(label["properties"]) and not DETAIL_KEYS & set(label["required"])
    validate_index(activity_doc)
    bad = json.loads(json.dumps(activity_doc))
    bad["videos"][0]["insights"]["labels"][0]["parents"] = "dog"
    with pytest.raises(Exception, match="is not of type 'array'"):
        validate_index(bad)


def test_jellyfish_under_water_then_a_lake_scenes_follow_the_cut(indexer, tmp_path):
    """Two real photos, 4 s each (the accuracy benchmark's jellyfish.jpg, a Tux Paint
    template, then lake-dusk.jpg): "underwater" (from the jellyfish) holds over the first
    shot only, "lake" over the second only, "water" over both; a reef-like underwater
    shot is not a beach."""
    photos = REPO / "benchmarks" / "accuracy" / "photos"
    shots = [
        (fit(cv2.cvtColor(cv2.imread(str(photos / name)), cv2.COLOR_BGR2RGB), 640, 360), 4.0)
        for name in ("jellyfish.jpg", "lake-dusk.jpg")
    ]
    doc = indexer.index(encode_timeline(tmp_path / "jelly_lake.mp4", shots), IndexOptions())
    for label in ("jellyfish", "underwater"):
        assert spans(doc, label) and within(spans(doc, label), 0.0, 4.0), label
    assert spans(doc, "lake") and within(spans(doc, "lake"), 4.0, 8.0)
    assert spans(doc, "water")[0][0] == 0.0 and spans(doc, "water")[-1][1] >= 7.0
    assert not spans(doc, "beach") and not spans(doc, "indoor")
    validate_index(doc)


@pytest.mark.parametrize("name", ["mountain-autumn.jpg", "mountain-trail.jpg"])
def test_photos_of_mountains_are_mountain_and_outdoor(indexer, tmp_path, name):
    """Real photos of mountain ranges (the accuracy benchmark's, from Debian's Lomiri
    wallpapers): "mountain" and "outdoor" over the whole shot, nothing indoor."""
    image = cv2.cvtColor(cv2.imread(str(REPO / "benchmarks" / "accuracy" / "photos" / name)), cv2.COLOR_BGR2RGB)
    doc = indexer.index(encode_timeline(tmp_path / "mountain.mp4", [(fit(image, 640, 360), 4.0)]), IndexOptions())
    for scene in ("mountain", "outdoor"):
        assert within(spans(doc, scene), 0.0, 4.0) and spans(doc, scene)[0][0] == 0.0, scene
    assert not spans(doc, "indoor")
