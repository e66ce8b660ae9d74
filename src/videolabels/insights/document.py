"""Build and validate the "Get Video Index" document.

The envelope copies what the real service writes (see the four samples in
``shared/data/azure-vi-samples``) so that Video Indexer clients read our files
unchanged. Where we have no real value we write the value the service writes for "none"
(``failureCode: "None"``, ``reviewState: "None"``, the all-zero model GUIDs) or null
where the service itself can write null (``externalUrl``, ``publishedProxyUrl``); we
never invent a streaming URL or a view token.

Insight kinds: real documents *omit* the kinds the service did not produce (one sample
has no ``faces``, another no ``ocr``), so ``insights`` carries only ``labels`` -- always,
even when empty, because it is the kind this document exists for and clients index it
directly. ``summarizedInsights``, by contrast, lists every kind in all four samples
(empty ones as ``[]``), so when it is asked for we write them all.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from .models import Insights, LabelTrack, Range, Video, VideoIndex, VideosRange, label_entries
from .summary import summarize_label_insight, summarized_insights
from .timespan import format_ticks, parse_ticks, to_ticks

__all__ = ["SCHEMA_PATH", "build_index", "format_created", "validate_index"]

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "video-index.schema.json"

_ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_TICKS_PER_SECOND = 10_000_000


def format_created(created: datetime) -> str:
    """A datetime as .NET's round-trip ("o") text in UTC, the way ``created`` looks in
    the real documents: ``2022-03-08T17:00:35.0726044+00:00`` (seven fractional digits;
    Python has six, so the last is always 0). Naive datetimes are taken as UTC."""
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    created = created.astimezone(UTC)
    return f"{created:%Y-%m-%dT%H:%M:%S}.{created.microsecond:06d}0+00:00"


def _default_video_id(name: str, created_text: str) -> str:
    """Ten hex digits like the service's ids, derived from name and creation time so
    that rebuilding a document with the same inputs gives the same id."""
    return hashlib.sha256(f"{name}\n{created_text}".encode()).hexdigest()[:10]


def build_index(
    labels: list[LabelTrack],
    *,
    name: str,
    duration: float,
    video_id: str | None = None,
    account_id: str = _ZERO_GUID,
    language: str = "en-US",
    source_language: str = "en-US",
    created: datetime | None = None,
    description: str | None = None,
    include_summarized_insights: bool = False,
    external_id: str | None = None,
    thumbnail_id: str | None = None,
    state: str = "Processed",
    processing_progress: str = "100%",
    label_detail: bool = False,
) -> dict[str, Any]:
    """The Video Indexer index document for one video, as a JSON-ready dict.

    ``labels`` order does not matter: entries are numbered 1..n by first appearance
    (see ``models.label_entries``). ``duration`` is the video's length in seconds; label
    times past it are clipped. ``summarizedInsights`` is written only when asked for, as
    the service does for ``includeSummarizedInsights=false``. ``label_detail`` adds
    videolabels' own keys to each label (synset, kind, parents, categories; see
    docs/taxonomy.md); without it the labels carry Video Indexer's keys only.
    """
    if isinstance(duration, bool) or not math.isfinite(float(duration)) or duration < 0:
        raise ValueError(f"duration must be a finite number >= 0, got {duration!r}")
    created_text = format_created(created or datetime.now(UTC))
    video_id = video_id or _default_video_id(name, created_text)
    duration_ticks = to_ticks(duration)
    duration_text = format_ticks(duration_ticks)

    entries = label_entries(labels, language=language, duration=duration, detail=label_detail)
    insights = Insights(
        version="1.0.0.0",
        duration=duration_text,
        source_language=source_language,
        source_languages=[source_language],
        language=language,
        languages=[language],
        labels=entries,
    )
    video = Video(
        account_id=account_id,
        id=video_id,
        state=state,
        moderation_state="OK",
        review_state="None",
        privacy_mode="Private",
        processing_progress=processing_progress,
        failure_code="None",
        failure_message="",
        external_id=external_id,
        external_url=None,
        metadata=None,
        insights=insights,
        thumbnail_id=thumbnail_id,
        detect_source_language=False,
        language_auto_detect_mode="None",
        source_language=source_language,
        source_languages=[source_language],
        language=language,
        languages=[language],
        indexing_preset="Default",
        linguistic_model_id=_ZERO_GUID,
        person_model_id=_ZERO_GUID,
        is_adult=False,
        published_url=None,
        published_proxy_url=None,
        view_token=None,
    )
    summary = None
    if include_summarized_insights:
        summary = summarized_insights(
            summarize_label_insight(entry.model_dump(mode="json") for entry in entries),
            name=name,
            video_id=video_id,
            duration=duration,
            thumbnail_id=thumbnail_id,
        )
    index = VideoIndex(
        partition=None,
        description=description,
        privacy_mode="Private",
        state=state,
        account_id=account_id,
        id=video_id,
        name=name,
        # What the service writes for an upload made through the API (3 of 4 samples).
        user_name=" ",
        created=created_text,
        is_owned=True,
        is_editable=True,
        is_base=True,
        # Truncated, not rounded: 97.88 s -> 97 in the tennis sample.
        duration_in_seconds=duration_ticks // _TICKS_PER_SECOND,
        summarized_insights=summary,
        videos=[video],
        videos_ranges=[VideosRange(video_id=video_id, range=Range(start=format_ticks(0), end=duration_text))],
    )
    return index.model_dump(mode="json")


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _semantic_errors(doc: dict[str, Any]) -> list[ValidationError]:
    """Rules JSON Schema cannot state: ids unique, no range ending before it starts."""
    errors: list[ValidationError] = []
    for v, video in enumerate(doc.get("videos", [])):
        labels = video.get("insights", {}).get("labels", [])
        seen: set[int] = set()
        for i, label in enumerate(labels):
            path = ["videos", v, "insights", "labels", i]
            if label["id"] in seen:
                errors.append(ValidationError(f"duplicate label id {label['id']}", path=[*path, "id"]))
            seen.add(label["id"])
            for k, inst in enumerate(label["instances"]):
                for start_key, end_key in (("start", "end"), ("adjustedStart", "adjustedEnd")):
                    if parse_ticks(inst[end_key]) < parse_ticks(inst[start_key]):
                        errors.append(
                            ValidationError(
                                f"{end_key} {inst[end_key]!r} is before {start_key} {inst[start_key]!r}",
                                path=[*path, "instances", k, end_key],
                            )
                        )
    return errors


def validate_index(doc: dict[str, Any]) -> None:
    """Check a document against ``SCHEMA_PATH`` (and the few rules a schema cannot say).

    Raises ``jsonschema.ValidationError`` for the most relevant problem, its message
    prefixed with where it is (``$.videos[0].insights.labels[2]: 'instances' is a
    required property``) because a bare message is useless in a 300 kB document.
    """
    error = best_match(_validator().iter_errors(doc))
    if error is None:
        semantic = _semantic_errors(doc)
        error = semantic[0] if semantic else None
    if error is not None:
        error.message = f"{error.json_path}: {error.message}"
        raise error
