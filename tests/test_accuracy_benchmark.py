"""The accuracy benchmark's matching and metrics (benchmarks/accuracy), on hand-made inputs.

These check the arithmetic and the matching rules, not the models: no video is indexed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from accuracy.matching import (  # noqa: E402
    ACCEPTABLE,
    CHILD,
    CORRECT,
    MISTIMED,
    PARENT,
    RIGHT,
    SAME,
    WRONG,
    Counts,
    SimpleTaxonomy,
    best_iou,
    evaluate_clip,
    f_beta,
    iou,
    region_iou,
    summarize,
    to_region,
)
from accuracy.truth import ClipTruth, TruthError, format_truth, load_truth_dir, parse_truth  # noqa: E402

TAXONOMY = SimpleTaxonomy(
    parents={
        "car": "vehicle", "sports car": "car", "minivan": "car", "bicycle": "vehicle",
        "hen": "bird", "duck": "bird", "bird": "animal", "dog": "animal",
    },
    synonyms={"automobile": "car"},
    vocabulary=["car", "sports car", "minivan", "vehicle", "bicycle", "hen", "duck", "bird", "animal", "dog", "person"],
)


def clip(spans: dict[str, list[tuple[float, float]]], acceptable=(), name="c.mp4") -> ClipTruth:
    truth = ClipTruth(clip=name, source="synthetic")
    for label, items in spans.items():
        for s, e in items:
            truth.add(label, s, e)
    for label in acceptable:
        truth.allow(label)
    return truth


def verdicts(result):
    return [(j.label, j.verdict) for j in result.instances]


# ----------------------------------------------------------------------------- IoU


def test_iou_of_intervals():
    assert iou((0, 10), (0, 10)) == 1.0
    assert iou((0, 10), (10, 20)) == 0.0
    assert iou((0, 10), (20, 30)) == 0.0
    assert iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert iou((2, 4), (0, 10)) == pytest.approx(0.2)


def test_sample_grid_regions():
    times = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    # an instance seen at samples 1..3 ends one frame after the last: 1.0 - 3.04
    assert to_region((1.0, 3.04), times) == frozenset({1, 2, 3})
    # a truth span 0.6 - 3.5 holds the same samples: IoU 1 on the grid
    assert region_iou(to_region((1.0, 3.04), times), to_region((0.6, 3.5), times)) == 1.0
    # the end is exclusive, the start inclusive
    assert to_region((2.0, 4.0), times) == frozenset({2, 3})
    # shorter than the sampling period, between samples: nothing to see
    assert to_region((1.2, 1.9), times) == frozenset()
    # continuous mode without sample times
    assert to_region((1.0, 2.0), None) == ((1.0, 2.0),)


def test_best_iou_takes_overlapping_truth_together():
    times = [float(t) for t in range(31)]
    bird = to_region((17, 29.04), times)  # 17..29, bridging the empty sample 23
    hen, duck = to_region((16.4, 22.6), times), to_region((24, 30), times)  # 17..22, 24..29
    assert region_iou(bird, hen) < 0.5 and region_iou(bird, duck) < 0.5
    assert best_iou(bird, [hen, duck]) == pytest.approx(12 / 13)
    # continuous mode: the same rule on intervals
    assert best_iou(((0.0, 10.0),), [((0.0, 4.0),), ((5.0, 10.0),)]) == pytest.approx(0.9)
    assert best_iou(((0.0, 10.0),), [((20.0, 30.0),)]) == 0.0


# ----------------------------------------------------------------------------- relations


def test_simple_taxonomy_relations():
    assert TAXONOMY.relation("car", "car") == SAME
    assert TAXONOMY.relation("automobile", "car") == SAME
    assert TAXONOMY.relation("vehicle", "minivan") == PARENT
    assert TAXONOMY.relation("sports car", "car") == CHILD
    assert TAXONOMY.relation("dog", "car") is None
    assert TAXONOMY.in_scope("car") and TAXONOMY.in_scope("animal")
    assert not TAXONOMY.in_scope("skyscraper")


# ----------------------------------------------------------------------------- judging


def test_correct_mistimed_wrong():
    truth = clip({"car": [(0, 10)], "dog": [(20, 30)]})
    result = evaluate_clip(truth, {
        "car": [(0.0, 9.0, 0.9)],        # IoU 0.9
        "dog": [(20.0, 22.0, 0.8),       # IoU 0.2: right thing, wrong extent
                (5.0, 8.0, 0.7)],        # no dog then
        "cat": [(0.0, 30.0, 0.6)],       # no cat at all
    }, TAXONOMY)
    assert verdicts(result) == [("car", CORRECT), ("dog", MISTIMED), ("dog", WRONG), ("cat", WRONG)]
    assert result.clip_labels == {"car": RIGHT, "dog": RIGHT, "cat": WRONG}
    c = summarize([result]).overall
    assert (c.correct, c.mistimed, c.wrong, c.judged) == (1, 1, 2, 4)
    assert c.precision == pytest.approx(0.25)
    assert (c.found, c.truth) == (1, 2) and c.recall == pytest.approx(0.5)
    assert c.clip_precision == pytest.approx(2 / 3)
    assert c.clip_recall == pytest.approx(1.0)


def test_parent_counts_for_precision_not_recall_child_for_both():
    truth = clip({"car": [(0, 10)]})
    by_parent = evaluate_clip(truth, {"vehicle": [(0.0, 10.0, 0.9)]}, TAXONOMY)
    assert verdicts(by_parent) == [("vehicle", CORRECT)]
    assert not by_parent.truth[0].found  # "vehicle" does not find the car
    by_child = evaluate_clip(truth, {"sports car": [(0.0, 10.0, 0.9)]}, TAXONOMY)
    assert verdicts(by_child) == [("sports car", CORRECT)]
    assert by_child.truth[0].found_by == "sports car"
    synonym = evaluate_clip(truth, {"automobile": [(1.0, 10.0, 0.9)]}, TAXONOMY)
    assert verdicts(synonym) == [("automobile", CORRECT)] and synonym.truth[0].found


def test_parent_over_several_children_bridging_a_gap():
    times = [float(t) for t in range(31)]
    truth = clip({"hen": [(16.4, 22.6)], "duck": [(24, 30)]})
    result = evaluate_clip(truth, {"bird": [(17.0, 29.04, 0.9)]}, TAXONOMY, times=times)
    assert verdicts(result) == [("bird", CORRECT)]


def test_split_instance_still_finds_the_truth():
    truth = clip({"car": [(0, 100)]})
    result = evaluate_clip(truth, {"car": [(0.0, 45.0, 0.9), (48.0, 100.0, 0.9)]}, TAXONOMY)
    assert result.truth[0].found
    # each half alone is under IoU 0.5 with the whole: the first is mistimed
    assert [j.verdict for j in result.instances] == [MISTIMED, CORRECT]


def test_acceptable_labels_are_neutral():
    truth = clip({"car": [(0, 10)]}, acceptable=["minivan", "bird"])
    result = evaluate_clip(truth, {
        "minivan": [(3.0, 5.0, 0.7)],    # acceptable itself: neutral although mistimed for "car"
        "animal": [(0.0, 10.0, 0.6)],    # a parent of an acceptable label, unrelated to the truth
        "bird": [(0.0, 2.0, 0.6)],
    }, TAXONOMY)
    assert verdicts(result) == [("minivan", ACCEPTABLE), ("animal", ACCEPTABLE), ("bird", ACCEPTABLE)]
    c = summarize([result]).overall
    assert c.judged == 0 and c.precision is None and c.acceptable == 3
    assert c.clip_precision == 1.0
    assert result.clip_labels == {"minivan": RIGHT, "animal": ACCEPTABLE, "bird": ACCEPTABLE}


def test_acceptable_child_does_not_excuse_a_truth_label():
    # "minivan" acceptable does not make a badly timed "car" (its parent, and a truth label) neutral
    truth = clip({"car": [(0, 10)]}, acceptable=["minivan"])
    result = evaluate_clip(truth, {"car": [(0.0, 2.0, 0.9)], "vehicle": [(20.0, 30.0, 0.9)]}, TAXONOMY)
    assert verdicts(result) == [("car", MISTIMED), ("vehicle", WRONG)]
    # a child of an acceptable label is not acceptable
    truth = clip({"dog": [(0, 10)]}, acceptable=["vehicle"])
    result = evaluate_clip(truth, {"minivan": [(0.0, 10.0, 0.9)]}, TAXONOMY)
    assert verdicts(result) == [("minivan", WRONG)]


def test_out_of_scope_and_unsampled_truth_do_not_count_for_recall():
    times = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    truth = clip({"skyscraper": [(0, 6)], "car": [(0, 6)], "dog": [(2.2, 2.8)]})
    result = evaluate_clip(truth, {"car": [(0.0, 5.04, 0.9)]}, TAXONOMY, times=times)
    assert result.out_of_scope == ["skyscraper"]
    c = summarize([result]).overall
    assert (c.found, c.truth, c.unsampled) == (1, 1, 1)
    assert c.recall == 1.0
    assert "skyscraper" not in result.clip_truth


def test_counts_and_f_beta():
    c = Counts(correct=6, mistimed=1, wrong=3, acceptable=2, truth=12, found=6)
    assert c.emitted == 12 and c.judged == 10
    assert c.precision == pytest.approx(0.6)
    assert c.recall == pytest.approx(0.5)
    assert c.f05 == pytest.approx(1.25 * 0.6 * 0.5 / (0.25 * 0.6 + 0.5))
    assert f_beta(1.0, 1.0) == 1.0 and f_beta(0.0, 0.0) == 0.0 and f_beta(None, 0.5) is None
    assert Counts().precision is None and Counts().recall is None


def test_summary_per_label_and_group():
    a = evaluate_clip(clip({"car": [(0, 10)]}, name="a"), {"car": [(0.0, 10.0, 0.9)]}, TAXONOMY, group="media")
    b = evaluate_clip(clip({"dog": [(0, 10)]}, name="b"), {"car": [(0.0, 10.0, 0.9)]}, TAXONOMY, group="synthetic")
    s = summarize([a, b])
    assert s.labels["car"].correct == 1 and s.labels["car"].wrong == 1
    assert s.labels["car"].clips_emitted == 2 and s.labels["car"].clips_wrong == 1
    assert s.labels["dog"].truth == 1 and s.labels["dog"].found == 0
    assert s.groups["media"].precision == 1.0 and s.groups["synthetic"].precision == 0.0
    assert s.overall.precision == 0.5


# ----------------------------------------------------------------------------- truth files

GOOD = """# clip: x.mp4
# source: media
# duration: 20
kind\tlabel\tstart\tend\tnote
truth\tcar\t0\t5\tred
truth\tcar\t4\t8\t
truth\tcar\t12\t15\t
ok\twheel\t\t\t
"""


def test_truth_parsing_merges_and_round_trips():
    truth = parse_truth(GOOD)
    assert truth.clip == "x.mp4" and truth.source == "media" and truth.duration == 20
    assert truth.spans == {"car": [(0.0, 8.0), (12.0, 15.0)]}
    assert truth.acceptable == ["wheel"]
    again = parse_truth(format_truth(truth))
    assert again.spans == truth.spans and again.acceptable == truth.acceptable


@pytest.mark.parametrize(
    "text",
    [
        GOOD.replace("# clip: x.mp4\n", ""),
        GOOD.replace("truth\tcar\t0\t5", "truth\tcar\t5\t0"),
        GOOD.replace("ok\twheel\t\t", "ok\twheel\t1\t2"),
        GOOD.replace("ok\twheel", "ok\tcar"),
        GOOD.replace("truth\tcar\t12", "maybe\tcar\t12"),
        GOOD.replace("kind\tlabel", "label\tkind"),
    ],
)
def test_bad_truth_files_are_refused(text):
    with pytest.raises(TruthError):
        parse_truth(text)


# ----------------------------------------------------------------------------- with the real vocabulary


@pytest.fixture(scope="module")
def vocab_taxonomy():
    from accuracy.taxonomy import VocabularyTaxonomy

    return VocabularyTaxonomy()


def test_vocabulary_relations(vocab_taxonomy):
    tx = vocab_taxonomy
    assert tx.relation("vehicle", "car") == PARENT
    assert tx.relation("sports car", "car") == CHILD
    assert tx.relation("minivan", "car") == CHILD
    assert tx.relation("ox", "cattle") == CHILD  # WordNet: an ox is cattle
    assert tx.relation("drake", "duck") == CHILD  # "duck" is not a label: found in the stored WordNet graph
    assert tx.relation("bird", "hen") == PARENT
    assert tx.relation("crane (bird)", "crane_bird") == SAME  # by key
    assert tx.relation("crane", "crane (bird)") is None  # the machine is not the bird
    assert tx.relation("car", "truck") is None
    assert tx.relation("rabbit@02324045-n", "wood rabbit") == PARENT
    assert tx.in_scope("car") and tx.in_scope("rabbit")  # rabbit: via wood rabbit, angora rabbit
    assert not tx.in_scope("skyscraper")


def test_committed_truth_files_parse_and_resolve(vocab_taxonomy):
    truths = load_truth_dir(ROOT / "benchmarks" / "accuracy" / "truth")
    assert len(truths) >= 20
    for truth in truths:
        for label in list(truth.spans) + truth.acceptable:
            assert not vocab_taxonomy.ambiguous(label), f"{truth.clip}: {label!r} is ambiguous; write name@synset"


def test_synthetic_truth_files_match_the_builder():
    from accuracy import build_videos

    if not (build_videos.DEFAULT_DATA_DIR / "images" / "stamps").is_dir():
        pytest.skip("shared data (stamps) not available")
    for scene in build_videos.SCENES:
        placements = build_videos.plan(scene, build_videos.DEFAULT_DATA_DIR)
        truth = build_videos.scene_truth(scene, placements)
        committed = build_videos.TRUTH_DIR / f"{scene.name}.tsv"
        assert committed.exists(), f"run benchmarks/accuracy/build_videos.py to write {committed.name}"
        written = parse_truth(committed.read_text(encoding="utf-8"))
        assert written.spans == parse_truth(format_truth(truth)).spans, scene.name
        assert written.acceptable == truth.acceptable, scene.name


def test_scenes_and_activities_are_summed_on_their_own():
    """The derived labels' own line: how many are right whenever they are emitted."""
    from accuracy.matching import Counts
    from accuracy.run import scenes_activities
    from videolabels.vocabulary import Vocabulary

    labels = {
        "outdoor": Counts(correct=2, mistimed=3, clips_emitted=2),
        "cycling": Counts(correct=1, clips_emitted=1),
        "beach": Counts(wrong=1, clips_emitted=1, clips_wrong=1),
        "farm": Counts(acceptable=1, clips_emitted=1),  # neutral only: not wrong, not judged
        "dog": Counts(correct=4, clips_emitted=2),  # an object: not counted here
    }
    out = scenes_activities(labels, Vocabulary.load())
    assert out["overall"]["correct"] == 3 and out["overall"]["wrong"] == 1 and out["overall"]["mistimed"] == 3
    assert out["emitted"] == ["beach", "cycling", "farm", "outdoor"]
    assert out["right_when_emitted"] == ["cycling", "farm", "outdoor"]
    assert out["all_instances_correct"] == ["cycling"]
    assert out["derived_labels"] >= 40
