"""Tests for the insights layer, checked against four real Video Indexer documents.

The samples (shared/data/azure-vi-samples, MIT, from microsoft/Video-Indexer-Processor)
are the ground truth for the document's shape and for the undocumented summarization
rules; tests that need them are skipped where the shared data is not mounted.
"""

from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from videolabels.insights import (
    SCHEMA_PATH,
    TIMESPAN_PATTERN,
    Instance,
    LabelTrack,
    VideoIndex,
    build_index,
    format_timespan,
    index_json_schema,
    parse_timespan,
    summarize_label_insight,
    summarize_labels,
    validate_index,
)
from videolabels.insights.timespan import format_ticks, parse_ticks

REPO = Path(__file__).resolve().parents[1]


def _samples_dir() -> Path | None:
    shipped = REPO / "tests" / "data" / "azure-vi-samples"
    if shipped.is_dir():
        return shipped
    for base in (REPO, *REPO.parents):
        candidate = base / "shared" / "data" / "azure-vi-samples"
        if candidate.is_dir():
            return candidate
    return None


SAMPLES_DIR = _samples_dir()
SAMPLE_NAMES = [
    "sunglasses_people_12s.json",
    "outdoor_lighthouse.json",
    "tennis_97s.json",
    "newsroom_131s_29_97fps.json",
]
needs_samples = pytest.mark.skipif(SAMPLES_DIR is None, reason="shared/data/azure-vi-samples not available")


def load_sample(name: str) -> dict[str, Any]:
    assert SAMPLES_DIR is not None
    return json.loads((SAMPLES_DIR / name).read_text(encoding="utf-8"))


CREATED = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def sample_tracks() -> list[LabelTrack]:
    # Deliberately out of order: build_index must order labels and instances itself.
    return [
        LabelTrack(
            key="coco:person",
            name="person",
            reference_id="person",
            instances=[Instance(9.0, 11.04, 0.9776), Instance(0.0, 6.04, 0.99236)],
        ),
        LabelTrack(key="imagenet:n1", name="outdoor", reference_id=None, instances=[Instance(4.0, 4.04, 0.9749)]),
        LabelTrack(
            key="imagenet:n2",
            name="sunglasses",
            reference_id="device/optical instrument/sunglasses",
            synset="n04356056",
            instances=[Instance(0.0, 0.04, 0.9889), Instance(3.0, 5.04, 0.9724)],
        ),
    ]


def build(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"name": "clip.mp4", "duration": 12.0, "created": CREATED}
    kwargs.update(overrides)
    labels = kwargs.pop("labels", None)
    return build_index(sample_tracks() if labels is None else labels, **kwargs)


# ---------------------------------------------------------------------- timespan


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00:00"),
        (5.0, "0:00:05"),
        (4.04, "0:00:04.04"),
        (6.04, "0:00:06.04"),
        (70.1033666, "0:01:10.1033666"),
        (3725.5, "1:02:05.5"),
        (0.0000001, "0:00:00.0000001"),
        (0.1 + 0.2, "0:00:00.3"),  # 0.30000000000000004: float noise must not show
        (59.99999999, "0:01:00"),  # rounds to ticks first, then carries
        (86399.9999999, "23:59:59.9999999"),
        (86400, "1:0:00:00"),  # .NET "g": days then unpadded hours
        (93784.5, "1:2:03:04.5"),
        (360000, "4:4:00:00"),
    ],
)
def test_format_timespan(seconds: float, text: str) -> None:
    assert format_timespan(seconds) == text


def test_format_timespan_accepts_numpy_scalars() -> None:
    np = pytest.importorskip("numpy")
    assert format_timespan(np.float64(4.04)) == "0:00:04.04"
    assert format_timespan(np.float32(4.04)) == "0:00:04.04"


@pytest.mark.parametrize("bad", [-0.5, float("nan"), float("inf")])
def test_format_timespan_rejects(bad: float) -> None:
    with pytest.raises(ValueError):
        format_timespan(bad)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:00:04.04", 4.04),
        ("00:00:04.0400000", 4.04),
        ("0:00:04.0400", 4.04),
        ("0:01:10.1033666", 70.1033666),
        ("1:02:05.5", 3725.5),
        ("1.02:03:04", 93784.0),  # "c" format days
        ("1:2:03:04", 93784.0),  # "g" format days
        ("23:59:59.9999999", 86399.9999999),
        ("0:00:00.1", 0.1),
    ],
)
def test_parse_timespan(text: str, seconds: float) -> None:
    assert parse_timespan(text) == seconds


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "5",
        "0:05",
        "0:00:5",
        "0:60:00",
        "0:00:60",
        "24:00:00",
        "0:00:05.",
        "0:00:05.12345678",
        "-0:00:01",
        " 0:00:05",
        "0:00:05\n",
        "0:00:05,5",
        "1.2.03:04:05",
        "abc",
        "\u0661:00:00",  # Arabic-Indic digit: \d would accept it
    ],
)
def test_parse_timespan_rejects_junk(junk: str) -> None:
    with pytest.raises(ValueError):
        parse_timespan(junk)


def test_parse_timespan_rejects_non_strings() -> None:
    with pytest.raises(ValueError):
        parse_timespan(4.04)  # type: ignore[arg-type]


def test_timespan_round_trip_0_to_100_hours() -> None:
    """Every 7-digit time in 0..100 h survives format -> parse -> format unchanged.

    (hypothesis is not a project dependency; a seeded sweep of random tick counts plus
    the awkward ones does the same job deterministically.)
    """
    rng = random.Random(20240506)
    top = 100 * 3600 * 10_000_000
    ticks = [0, 1, 9_999_999, 10_000_000, 864_000_000_000 - 1, 864_000_000_000, top]
    ticks += [rng.randrange(top + 1) for _ in range(20_000)]
    ticks += [rng.randrange(600 * 10_000_000) for _ in range(5_000)]  # short clips, dense
    ticks += [s * 10_000_000 + f for s in range(0, 400, 7) for f in (400_000, 333_667, 1, 9_999_999)]
    for t in ticks:
        seconds = t / 10_000_000
        text = format_timespan(seconds)
        assert parse_ticks(text) == t, (t, text)
        assert parse_timespan(text) == seconds, (t, text)
        assert format_timespan(parse_timespan(text)) == text
        # .NET "c" spelling of the same value parses to the same ticks
        days, rest = divmod(t, 864_000_000_000)
        h, rest = divmod(rest, 36_000_000_000)
        m, rest = divmod(rest, 600_000_000)
        s, f = divmod(rest, 10_000_000)
        c_text = (f"{days}." if days else "") + f"{h:02d}:{m:02d}:{s:02d}" + (f".{f:07d}" if f else "")
        assert parse_ticks(c_text) == t


@needs_samples
@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_sample_time_strings_parse_and_format_back(sample: str) -> None:
    """Every time string in the real documents (labels and all other kinds) parses, and
    our formatter writes it back character for character."""
    found = 0

    def walk(node: Any) -> None:
        nonlocal found
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and re.fullmatch(r"[0-9.:]+", node) and node.count(":") >= 2:
            found += 1
            assert format_ticks(parse_ticks(node)) == node
            assert re.search(TIMESPAN_PATTERN, node)

    walk(load_sample(sample))
    assert found > 20


# ------------------------------------------------------------------------ schema


def test_committed_schema_is_generated_from_models() -> None:
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == index_json_schema(), "run: PYTHONPATH=src python tools/build_schema.py"
    assert SCHEMA_PATH.read_text(encoding="utf-8").endswith("}\n")


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$defs"]["TimeSpan"]["pattern"] == TIMESPAN_PATTERN


@needs_samples
@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_real_sample_validates(sample: str) -> None:
    doc = load_sample(sample)
    validate_index(doc)
    # the pydantic models accept the real document too, and lose nothing of it
    model = VideoIndex.model_validate(doc)
    assert len(model.videos[0].insights.labels) == len(doc["videos"][0]["insights"]["labels"])
    assert model.model_dump(mode="json") == doc


def test_our_documents_validate() -> None:
    for doc in (
        build(),
        build(include_summarized_insights=True),
        build(labels=[]),
        build(labels=[], include_summarized_insights=True, description="d", external_id="x", thumbnail_id="t"),
        build(duration=93784.5, state="Processing", processing_progress="40%"),
    ):
        validate_index(doc)
        json.dumps(doc, allow_nan=False)  # plain JSON, no NaN


def _set(doc: dict[str, Any], path: list[Any], value: Any) -> None:
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _delete(doc: dict[str, Any], path: list[Any]) -> None:
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


LABEL0 = ["videos", 0, "insights", "labels", 0]
INST0 = [*LABEL0, "instances", 0]
APP0 = ["summarizedInsights", "labels", 0, "appearances", 0]


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: _delete(d, [*LABEL0, "instances"]), "'instances' is a required property"),
        (lambda d: _set(d, [*INST0, "start"], "0:0:05"), "does not match"),
        (lambda d: _set(d, [*INST0, "end"], "00:00:06,04"), "does not match"),
        (lambda d: _set(d, [*INST0, "confidence"], 1.5), "greater than the maximum"),
        (lambda d: _set(d, [*INST0, "confidence"], -0.1), "less than the minimum"),
        (lambda d: _set(d, [*INST0, "confidence"], "0.9"), "is not of type 'number'"),
        (lambda d: _set(d, [*LABEL0, "id"], 0), "less than the minimum"),
        (lambda d: _set(d, [*LABEL0, "id"], "1"), "is not of type 'integer'"),
        (lambda d: _set(d, [*LABEL0, "instances"], []), "should be non-empty"),
        (lambda d: _set(d, [*LABEL0, "referenceId"], None), "is not of type 'string'"),
        (lambda d: _set(d, [*LABEL0, "wordnetId"], "n1"), "Additional properties"),
        (lambda d: _set(d, [*LABEL0, "synset"], "n1"), "does not match"),  # label detail: a real synset id
        (lambda d: _set(d, [*LABEL0, "kind"], "object"), "is not one of"),
        (lambda d: _delete(d, [*INST0, "adjustedEnd"]), "'adjustedEnd' is a required property"),
        (lambda d: _set(d, ["videos", 0, "insights", "duration"], "12"), "does not match"),
        (lambda d: _delete(d, ["videos", 0, "insights", "labels"]), "'labels' is a required property"),
        (lambda d: _set(d, [*INST0, "start"], "0:00:07"), "is before start"),
        (lambda d: _set(d, ["videos", 0, "insights", "labels", 1, "id"], 1), "duplicate label id"),
        (lambda d: _set(d, [*APP0, "confidence"], 1.5), "greater than the maximum"),
        (lambda d: _set(d, [*APP0, "endTime"], "later"), "does not match"),
        (lambda d: _set(d, ["durationInSeconds"], 12.5), "is not of type 'integer'"),
        (lambda d: _set(d, ["state"], "processed"), "is not one of"),
        (lambda d: _set(d, ["created"], "2024-05-06 07:08:09"), "does not match"),
    ],
)
def test_broken_documents_fail(mutate: Any, where: str) -> None:
    doc = build(include_summarized_insights=True)
    validate_index(doc)
    mutate(doc)
    with pytest.raises(jsonschema.ValidationError) as info:
        validate_index(doc)
    assert where in info.value.message
    assert info.value.message.startswith("$")  # says where in the document


# ------------------------------------------------------------------------- build


def test_document_shape_matches_real_documents() -> None:
    doc = build(include_summarized_insights=True)
    if SAMPLES_DIR is None:
        pytest.skip("shared/data/azure-vi-samples not available")
    real = load_sample("sunglasses_people_12s.json")
    assert list(doc) == list(real)
    assert list(doc["videos"][0]) == list(real["videos"][0])
    assert list(doc["summarizedInsights"]) == list(real["summarizedInsights"])
    assert list(doc["videosRanges"][0]) == list(real["videosRanges"][0])
    ours, theirs = doc["videos"][0]["insights"], real["videos"][0]["insights"]
    assert list(ours) == [key for key in theirs if key in ours]
    label = ours["labels"][0]
    assert list(label) == list(theirs["labels"][0])  # both have a referenceId
    assert list(label["instances"][0]) == list(theirs["labels"][0]["instances"][0])
    app = doc["summarizedInsights"]["labels"][0]["appearances"][0]
    assert list(app) == list(real["summarizedInsights"]["labels"][0]["appearances"][0])
    for key in ("moderationState", "reviewState", "failureCode", "failureMessage", "linguisticModelId"):
        assert doc["videos"][0][key] == real["videos"][0][key]


def test_labels_numbered_and_ordered() -> None:
    labels = build()["videos"][0]["insights"]["labels"]
    # first appearance (0 s: sunglasses 0.9889 and person 0.9924 -> higher confidence first)
    assert [(label["id"], label["name"]) for label in labels] == [(1, "person"), (2, "sunglasses"), (3, "outdoor")]
    person = labels[0]
    assert [i["start"] for i in person["instances"]] == ["0:00:00", "0:00:09"]
    assert person["instances"][0] == {
        "confidence": 0.9924,  # rounded to 4 decimals
        "adjustedStart": "0:00:00",
        "adjustedEnd": "0:00:06.04",
        "start": "0:00:00",
        "end": "0:00:06.04",
    }
    assert person["referenceId"] == "person" and person["language"] == "en-US"
    assert "referenceId" not in labels[2]  # omitted, not null, as Video Indexer does


def test_label_order_ties_are_total() -> None:
    tracks = [
        LabelTrack(key=k, name=n, reference_id=None, instances=[Instance(1.0, 2.0, 0.9)])
        for k, n in [("b", "beta"), ("a", "Alpha"), ("c", "alpha")]
    ]
    names = [label["name"] for label in build(labels=tracks)["videos"][0]["insights"]["labels"]]
    assert names == ["Alpha", "alpha", "beta"]
    assert names == [label["name"] for label in build(labels=tracks[::-1])["videos"][0]["insights"]["labels"]]


def test_envelope_values() -> None:
    doc = build(duration=97.88, description="test-video.mp4", external_id="ext", thumbnail_id="thumb")
    assert doc["durationInSeconds"] == 97  # truncated like the tennis sample (97.88 -> 97)
    assert doc["partition"] is None and doc["privacyMode"] == "Private" and doc["state"] == "Processed"
    assert doc["created"] == "2024-05-06T07:08:09.1234560+00:00"
    assert re.fullmatch(r"[0-9a-f]{10}", doc["id"])
    assert doc["id"] == build(duration=1)["id"]  # same name + created -> same id
    assert doc["id"] != build(name="other.mp4")["id"]
    video = doc["videos"][0]
    assert video["id"] == doc["id"] and video["externalId"] == "ext" and video["thumbnailId"] == "thumb"
    assert video["insights"]["duration"] == "0:01:37.88"
    assert video["insights"]["version"] == "1.0.0.0"
    assert video["publishedUrl"] is None and video["viewToken"] is None
    assert doc["videosRanges"] == [{"videoId": doc["id"], "range": {"start": "0:00:00", "end": "0:01:37.88"}}]
    # only labels among the insight kinds: the service omits kinds it did not produce
    assert set(video["insights"]) == {"version", "duration", "sourceLanguage", "sourceLanguages", "language", "languages", "labels"}


def test_build_index_parameters() -> None:
    doc = build(
        video_id="abc1234567",
        account_id="11111111-2222-3333-4444-555555555555",
        language="fr-FR",
        source_language="en-US",
        created=datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
    )
    assert doc["id"] == doc["videos"][0]["id"] == "abc1234567"
    assert doc["accountId"] == doc["videos"][0]["accountId"] == "11111111-2222-3333-4444-555555555555"
    assert doc["created"] == "2024-01-01T10:00:00.0000000+00:00"  # always UTC, as the service writes
    insights = doc["videos"][0]["insights"]
    assert (insights["language"], insights["languages"], insights["sourceLanguages"]) == ("fr-FR", ["fr-FR"], ["en-US"])
    assert {label["language"] for label in insights["labels"]} == {"fr-FR"}
    assert build(created=datetime(2024, 1, 1))["created"] == "2024-01-01T00:00:00.0000000+00:00"  # naive = UTC
    assert re.fullmatch(r"[0-9a-f]{10}", build_index([], name="x", duration=1)["id"])  # created defaults to now


def test_without_summarized_insights_has_no_key() -> None:
    assert "summarizedInsights" not in build()
    assert "summarizedInsights" not in build(include_summarized_insights=False)
    assert "summarizedInsights" in build(include_summarized_insights=True)


def test_summarized_insights_block() -> None:
    doc = build(duration=88.08, include_summarized_insights=True)
    summary = doc["summarizedInsights"]
    assert summary["duration"] == {"time": "0:01:28.08", "seconds": 88.1}
    assert summary["id"] == summary["thumbnailVideoId"] == doc["id"]
    for kind in ("faces", "keywords", "sentiments", "emotions", "audioEffects", "framePatterns", "brands", "namedLocations", "namedPeople", "topics"):
        assert summary[kind] == []
    assert summary["statistics"]["correspondenceCount"] == 0
    # person merges (gap 2.96 s), sunglasses merges (gap 2.96 s); person is longest
    assert summary["labels"] == [
        {
            "id": 1,
            "name": "person",
            "appearances": [
                {"confidence": 0.9776, "startTime": "0:00:00", "endTime": "0:00:11.04", "startSeconds": 0, "endSeconds": 11}
            ],
        },
        {
            "id": 2,
            "name": "sunglasses",
            "appearances": [
                {"confidence": 0.9724, "startTime": "0:00:00", "endTime": "0:00:05.04", "startSeconds": 0, "endSeconds": 5}
            ],
        },
        {
            "id": 3,
            "name": "outdoor",
            "appearances": [
                {"confidence": 0.9749, "startTime": "0:00:04", "endTime": "0:00:04.04", "startSeconds": 4, "endSeconds": 4}
            ],
        },
    ]
    assert summarize_labels(sample_tracks(), 88.08) == summary["labels"]
    assert json.dumps(summary["duration"]) == '{"time": "0:01:28.08", "seconds": 88.1}'
    assert json.dumps(summary["labels"][0]["appearances"][0]).endswith('"startSeconds": 0, "endSeconds": 11}')


def test_times_clipped_to_duration() -> None:
    tracks = [
        LabelTrack(key="a", name="a", reference_id=None, instances=[Instance(9.0, 10.04, 0.96), Instance(10.0, 10.0, 0.97)]),
        LabelTrack(key="b", name="b", reference_id=None, instances=[Instance(10.5, 10.54, 0.96)]),
    ]
    labels = build(labels=tracks, duration=10.0)["videos"][0]["insights"]["labels"]
    assert [(label["name"], [(i["start"], i["end"]) for i in label["instances"]]) for label in labels] == [
        ("a", [("0:00:09", "0:00:10")])
    ]


def test_duck_typed_instances_accepted() -> None:
    @dataclass(frozen=True)
    class Span:  # like the timeline layer's own type
        start: float
        end: float
        confidence: float
        first_sample: int = 0

    track = LabelTrack(key="k", name="n", reference_id="", instances=[Span(1.0, 2.04, 0.95)])  # type: ignore[list-item]
    label = build(labels=[track])["videos"][0]["insights"]["labels"][0]
    assert label["instances"][0]["end"] == "0:00:02.04"
    assert "referenceId" not in label  # empty reference id is no reference id
    with pytest.raises(ValueError):
        build(labels=[LabelTrack(key="k", name="n", reference_id=None, instances=[Span(2.0, 1.0, 0.95)])])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "args",
    [(-1.0, 1.0, 0.9), (2.0, 1.0, 0.9), (0.0, 1.0, 1.5), (0.0, 1.0, -0.1), (float("nan"), 1.0, 0.9), (0.0, 1.0, float("inf"))],
)
def test_instance_rejects_bad_values(args: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError):
        Instance(*args)


def test_instance_tolerates_rounding_above_one() -> None:
    assert Instance(0.0, 1.0, 1.0000001).confidence == 1.0


def test_build_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        build(duration=-1)
    with pytest.raises(ValueError):
        build(duration=float("nan"))
    twice = [LabelTrack(key="k", name="n", reference_id=None, instances=[Instance(0, 1, 0.9)])] * 2
    with pytest.raises(ValueError, match="two tracks"):
        build(labels=twice)
    with pytest.raises(ValueError):
        build(state="Done")


def test_our_document_round_trips_through_models() -> None:
    doc = build(include_summarized_insights=True)
    assert VideoIndex.model_validate(doc).model_dump(mode="json") == doc


# ------------------------------------------------------------ summarization rule


@needs_samples
@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_summarization_reproduces_real_samples(sample: str) -> None:
    """Recompute summarizedInsights.labels from insights.labels with our rule (merge gaps
    < 3 s, confidence of the last merged instance, seconds rounded half-even to 0.1,
    longest rounded total first, ties by id) and get exactly what the service wrote."""
    doc = load_sample(sample)
    assert summarize_label_insight(doc["videos"][0]["insights"]["labels"]) == doc["summarizedInsights"]["labels"]


@needs_samples
def test_lowest_confidence_rule_does_not_match_samples() -> None:
    """Evidence for choosing "last" over the "lowest merged confidence" rule: in merged
    appearances the service's confidence is often not the minimum."""
    misses = merged = 0
    for sample in SAMPLE_NAMES:
        doc = load_sample(sample)
        by_id = {label["id"]: label for label in doc["videos"][0]["insights"]["labels"]}
        for entry in doc["summarizedInsights"]["labels"]:
            for app in entry["appearances"]:
                lo, hi = parse_ticks(app["startTime"]), parse_ticks(app["endTime"])
                confs = [
                    inst["confidence"]
                    for inst in by_id[entry["id"]]["instances"]
                    if lo <= parse_ticks(inst["start"]) and parse_ticks(inst["end"]) <= hi
                ]
                if len(confs) > 1:
                    merged += 1
                    misses += min(confs) != app["confidence"]
                    assert confs[-1] == app["confidence"]
    assert (merged, misses) == (39, 18)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
