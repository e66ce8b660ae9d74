"""The data of the insights layer: what comes in (label tracks) and what goes out (the
Video Indexer "Get Video Index" document, as pydantic models).

The document models are the single source of truth for the document's shape: the
builder serializes through them (so field names, order and omissions are defined once),
and ``insights/schema/video-index.schema.json`` is generated from them by
``tools/build_schema.py`` (a test keeps the committed file equal to the generated one).

Strictness is deliberate and uneven:

- The labels part (``insights.labels``, ``summarizedInsights.labels``) is strict --
  required keys, no unknown keys, TimeSpan pattern, confidence in 0..1, ids >= 1 --
  because it is what we produce and what our clients read.
- Everything around it allows unknown keys, because real Video Indexer documents carry
  many more insight kinds (transcript, ocr, faces, ...) and we want one schema that
  accepts them as well as ours.

Field order follows the real documents: clients diff and eyeball these files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from collections.abc import Iterable
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic.alias_generators import to_camel
from pydantic.json_schema import GenerateJsonSchema, SkipJsonSchema

from .timespan import TIMESPAN_PATTERN, format_ticks, to_ticks

__all__ = [
    "Appearance",
    "Insights",
    "Instance",
    "InstanceLike",
    "Label",
    "LabelInstance",
    "LabelTrack",
    "Range",
    "SummarizedDuration",
    "SummarizedInsights",
    "SummarizedLabel",
    "Video",
    "VideoIndex",
    "VideosRange",
    "SCHEMA_ID",
    "index_json_schema",
    "json_number",
    "label_entries",
]

# Tolerated excess over 1.0 in an input confidence: summing float32 softmax scores of
# synonym classes can land a hair above 1, which is rounding, not a bug upstream.
_CONFIDENCE_SLACK = 1e-6


# --------------------------------------------------------------------------- inputs


class InstanceLike(Protocol):
    """Anything with start/end/confidence: the timeline's own span type works as is,
    so the timeline layer need not import from this layer (it sits to its left)."""

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...

    @property
    def confidence(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Instance:
    """One time range where a label holds, in seconds from the video start.

    Validated on construction so that a bad range fails where it is made, not deep
    inside document building.
    """

    start: float
    end: float
    confidence: float

    def __post_init__(self) -> None:
        for name in ("start", "end", "confidence"):
            value = getattr(self, name)
            if isinstance(value, bool):
                raise TypeError(f"Instance.{name} must be a number, got {value!r}")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"Instance.{name} must be a number, got {value!r}") from None
            if not math.isfinite(number):
                raise ValueError(f"Instance.{name} must be finite, got {value!r}")
            # numpy scalars in, plain floats out: json and pydantic both want floats.
            object.__setattr__(self, name, number)
        if self.start < 0:
            raise ValueError(f"Instance.start must be >= 0, got {self.start!r}")
        if self.end < self.start:
            raise ValueError(f"Instance.end ({self.end!r}) is before its start ({self.start!r})")
        if not 0.0 <= self.confidence <= 1.0 + _CONFIDENCE_SLACK:
            raise ValueError(f"Instance.confidence must be in [0, 1], got {self.confidence!r}")
        if self.confidence > 1.0:
            object.__setattr__(self, "confidence", 1.0)


@dataclass(slots=True)
class LabelTrack:
    """Everything the document needs about one label: its vocabulary identity and the
    ranges where it holds. ``key`` and ``synset`` are ours (Video Indexer has no place
    for them); they only serve ordering ties and tracing back to the vocabulary."""

    key: str
    name: str
    reference_id: str | None
    instances: list[Instance] = field(default_factory=list)
    synset: str | None = None
    #: Names of the label's parent labels, nearest first ("dog", "mammal", "animal"), and
    #: the category paths it files under; written only when a document is built with
    #: ``label_detail`` (docs/taxonomy.md).
    parents: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    #: "scene" or "activity" for a derived label, else None.
    kind: str | None = None


# ------------------------------------------------------------------ output helpers


def json_number(value: float) -> int | float:
    """Whole numbers as ints: .NET writes ``1`` and ``11``, not ``1.0`` and ``11.0``,
    and Python clients that compare ``type(...)`` or print values see the difference."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_Number = PlainSerializer(json_number)  # return type int | float, from the annotation

# TimeSpan and Confidence appear a dozen times in the schema; they are written once under
# $defs (see index_json_schema) and referenced, so the rule a client reads is in one place.
# (pydantic resolves every "$ref" it sees, so a marker stands in until index_json_schema.)
_DEF_MARKER = "x-videolabels-def"
_TIMESPAN_DEF: dict[str, Any] = {
    "type": "string",
    "pattern": TIMESPAN_PATTERN,
    "description": ".NET TimeSpan text as Video Indexer writes it: [d:]h:mm:ss[.FFFFFFF], "
    "trailing zeros dropped (0:00:05, 0:00:04.04, 0:01:10.1033666).",
}
_CONFIDENCE_DEF: dict[str, Any] = {
    "type": "number",
    "minimum": 0,
    "maximum": 1,
    "description": "0..1, rounded to 4 decimals.",
}
TimeSpan = Annotated[
    str,
    Field(pattern=TIMESPAN_PATTERN),
    WithJsonSchema({_DEF_MARKER: "TimeSpan"}),
]
Confidence = Annotated[
    float,
    Field(ge=0, le=1),
    _Number,
    WithJsonSchema({_DEF_MARKER: "Confidence"}),
]
Seconds = Annotated[float, Field(ge=0), _Number]
LabelId = Annotated[int, Field(ge=1, description="1..n within the document")]
# .NET round-trip ("o") date-time: seven fractional digits and a numeric offset.
CREATED_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,7})?(?:Z|[+-][0-9]{2}:[0-9]{2})$"
)


class _Strict(BaseModel):
    """Labels part: unknown keys are an error (a typo in our output, or drift)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class _Open(BaseModel):
    """Envelope parts: unknown keys are kept (real documents have many more)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
    )


# ------------------------------------------------------------------ insights.labels


class LabelInstance(_Strict):
    """A time range where the label holds. adjustedStart/adjustedEnd equal start/end:
    videolabels never trims or re-bases a video (Video Indexer differs only for edited
    projects)."""

    confidence: Confidence
    adjusted_start: TimeSpan
    adjusted_end: TimeSpan
    start: TimeSpan
    end: TimeSpan
    #: A JPEG frame of the instance, served by the HTTP service's Thumbnails route (as
    #: Video Indexer does for faces); absent in documents the CLI writes.
    thumbnail_id: Annotated[str, Field(min_length=1)] | SkipJsonSchema[None] = Field(
        default=None, exclude_if=lambda value: value is None, json_schema_extra=lambda s: s.pop("default", None)
    )


class Label(_Strict):
    """One label of insights.labels. referenceId (a category path such as
    device/optical instrument/sunglasses) is absent, not null, when the label has none:
    that is what Video Indexer writes."""

    id: LabelId
    name: Annotated[str, Field(min_length=1)]
    reference_id: Annotated[str, Field(min_length=1)] | SkipJsonSchema[None] = Field(
        default=None, exclude_if=lambda value: value is None, json_schema_extra=lambda s: s.pop("default", None)
    )
    language: str
    instances: Annotated[list[LabelInstance], Field(min_length=1)]
    # Label detail (``videolabels index --label-detail``): videolabels' own keys, after
    # Video Indexer's, absent unless asked for. See docs/taxonomy.md.
    synset: (
        Annotated[
            str,
            Field(pattern=r"^[0-9]{8}-n$", description="WordNet 3.0 noun synset of the label (label detail)."),
        ]
        | SkipJsonSchema[None]
    ) = Field(default=None, exclude_if=lambda value: value is None, json_schema_extra=lambda s: s.pop("default", None))
    kind: (
        Annotated[
            Literal["scene", "activity"],
            Field(description="Set for labels derived from other labels: a scene or an activity (label detail)."),
        ]
        | SkipJsonSchema[None]
    ) = Field(default=None, exclude_if=lambda value: value is None, json_schema_extra=lambda s: s.pop("default", None))
    parents: (
        Annotated[
            list[Annotated[str, Field(min_length=1)]],
            Field(description="Names of the label's parent labels, nearest first (label detail)."),
        ]
        | SkipJsonSchema[None]
    ) = Field(default=None, exclude_if=lambda value: value is None, json_schema_extra=lambda s: s.pop("default", None))
    categories: (
        Annotated[
            list[Annotated[str, Field(min_length=1)]],
            Field(description="Category paths the label files under, most specific first (label detail)."),
        ]
        | SkipJsonSchema[None]
    ) = Field(default=None, exclude_if=lambda value: value is None, json_schema_extra=lambda s: s.pop("default", None))


class Insights(_Open):
    """videos[].insights. labels is the kind videolabels produces; other insight kinds
    (from real Video Indexer documents) are allowed and not checked."""

    version: str
    duration: TimeSpan
    source_language: str
    source_languages: list[str]
    language: str
    languages: list[str]
    labels: list[Label]


# -------------------------------------------------------------- summarizedInsights


class Appearance(_Strict):
    """Instances of a label less than 3 s apart, merged; confidence is that of the
    last merged instance, seconds are rounded to 0.1."""

    confidence: Confidence
    start_time: TimeSpan
    end_time: TimeSpan
    start_seconds: Seconds
    end_seconds: Seconds


class SummarizedLabel(_Strict):
    id: LabelId
    name: Annotated[str, Field(min_length=1)]
    appearances: Annotated[list[Appearance], Field(min_length=1)]


class SummarizedDuration(_Open):
    time: TimeSpan
    seconds: Seconds


class SummarizedInsights(_Open):
    """summarizedInsights. Every kind is present, empty when nothing was found, as
    Video Indexer writes it, so clients can read any kind without a membership test."""

    name: str
    id: str
    privacy_mode: str
    duration: SummarizedDuration
    thumbnail_video_id: str
    thumbnail_id: str | None
    faces: list[Any]
    keywords: list[Any]
    sentiments: list[Any]
    emotions: list[Any]
    audio_effects: list[Any]
    labels: list[SummarizedLabel]
    frame_patterns: list[Any]
    brands: list[Any]
    named_locations: list[Any]
    named_people: list[Any]
    statistics: dict[str, Any]
    topics: list[Any]


# --------------------------------------------------------------------- envelope


class Video(_Open):
    """One entry of videos. Values an offline indexer cannot have (streaming URL, view
    token) are null rather than invented; Video Indexer writes null in these places
    too (externalUrl, publishedProxyUrl)."""

    account_id: str
    id: str
    state: str
    moderation_state: str
    review_state: str
    privacy_mode: str
    processing_progress: Annotated[str, Field(pattern=r"^[0-9]{1,3}%$")]
    failure_code: str
    failure_message: str
    external_id: str | None
    external_url: str | None
    metadata: str | None
    insights: Insights
    thumbnail_id: str | None
    detect_source_language: bool
    language_auto_detect_mode: str
    source_language: str
    source_languages: list[str]
    language: str
    languages: list[str]
    indexing_preset: str
    linguistic_model_id: str
    person_model_id: str
    is_adult: bool
    published_url: str | None
    published_proxy_url: str | None
    view_token: str | None


class Range(_Open):
    start: TimeSpan
    end: TimeSpan


class VideosRange(_Open):
    video_id: str
    range: Range


class VideoIndex(_Open):
    """Azure AI Video Indexer "Get Video Index" document, as written by videolabels
    (labels insight); real Video Indexer documents validate as well."""

    partition: str | None
    description: str | None
    privacy_mode: str
    state: Literal["Uploaded", "Processing", "Processed", "Failed", "Quarantined"]
    account_id: str
    id: str
    name: str
    user_name: str
    created: Annotated[str, Field(pattern=CREATED_PATTERN)]
    is_owned: bool
    is_editable: bool
    is_base: bool
    duration_in_seconds: Annotated[int, Field(ge=0)]
    summarized_insights: SummarizedInsights | SkipJsonSchema[None] = Field(
        default=None, exclude_if=lambda value: value is None, json_schema_extra=lambda s: s.pop("default", None)
    )
    videos: Annotated[list[Video], Field(min_length=1)]
    videos_ranges: list[VideosRange]


# ------------------------------------------------------------- tracks -> labels


def label_entries(
    tracks: Iterable[LabelTrack], *, language: str, duration: float, detail: bool = False
) -> list[Label]:
    """Number and order label tracks into ``insights.labels`` entries.

    Shared by the document and the summary, which must agree on ids.

    Order: by first appearance (as in every real document: ids follow the first
    instance's start), ties by the higher confidence of that first instance (what the
    real documents mostly do at a tie), then by name and key so the order is total.

    Times are clipped to the video: an instance ends one frame after its last sampled
    frame, which can overshoot the container's reported duration, so ends are capped at
    ``duration``; an instance that starts at or after ``duration`` describes nothing in
    the video and is dropped, and a track left without instances is dropped with it.
    Instances are sorted by start; confidences are rounded to 4 decimals as Video
    Indexer writes them. ``detail`` adds each label's synset, kind, parents and category
    paths after Video Indexer's keys (always the two lists, the others where there are).
    """
    duration_ticks = to_ticks(duration)
    prepared: list[tuple[list[tuple[int, int, float]], LabelTrack]] = []
    seen: set[str] = set()
    for track in tracks:
        if track.key in seen:
            raise ValueError(f"label key {track.key!r} appears in two tracks; merge them first")
        seen.add(track.key)
        spans: list[tuple[int, int, float]] = []
        for raw in track.instances:
            # Instances from other layers (duck-typed) get the same checks as ours.
            inst = raw if isinstance(raw, Instance) else Instance(raw.start, raw.end, raw.confidence)
            start, end = to_ticks(inst.start), to_ticks(inst.end)
            if start >= duration_ticks:
                continue
            spans.append((start, min(end, duration_ticks), round(inst.confidence, 4)))
        if spans:
            spans.sort()
            prepared.append((spans, track))
    prepared.sort(key=lambda item: (item[0][0][0], -item[0][0][2], item[1].name.casefold(), item[1].name, item[1].key))
    return [
        Label(
            id=number,
            name=track.name,
            reference_id=track.reference_id or None,
            language=language,
            instances=[
                LabelInstance(
                    confidence=confidence,
                    adjusted_start=format_ticks(start),
                    adjusted_end=format_ticks(end),
                    start=format_ticks(start),
                    end=format_ticks(end),
                )
                for start, end, confidence in spans
            ],
            **(_detail(track) if detail else {}),
        )
        for number, (spans, track) in enumerate(prepared, start=1)
    ]


def _detail(track: LabelTrack) -> dict[str, Any]:
    return {
        "synset": track.synset or None,
        "kind": track.kind or None,
        "parents": list(track.parents),
        "categories": list(track.categories),
    }


# ------------------------------------------------------------------- JSON Schema

SCHEMA_ID = "https://videolabels.invalid/schema/video-index.schema.json"


class _SchemaGenerator(GenerateJsonSchema):
    """Pydantic's generator minus per-field titles (noise that repeats the key)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _resolve_markers(node: Any) -> Any:
    """Replace ``{_DEF_MARKER: name}`` placeholders with ``{"$ref": "#/$defs/name"}``."""
    if isinstance(node, dict):
        if set(node) == {_DEF_MARKER}:
            return {"$ref": f"#/$defs/{node[_DEF_MARKER]}"}
        return {key: _resolve_markers(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_markers(value) for value in node]
    return node


def index_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the document, as committed in
    ``insights/schema/video-index.schema.json``."""
    body = _resolve_markers(
        VideoIndex.model_json_schema(by_alias=True, mode="validation", schema_generator=_SchemaGenerator)
    )
    defs = {**body.pop("$defs", {}), "TimeSpan": _TIMESPAN_DEF, "Confidence": _CONFIDENCE_DEF}
    body.pop("title", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Video Indexer video index (labels insight)",
        "$comment": "Generated by tools/build_schema.py from videolabels.insights.models; do not edit.",
        **body,
        "$defs": dict(sorted(defs.items())),
    }
