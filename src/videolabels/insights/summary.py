"""summarizedInsights: the per-video digest Video Indexer puts above the full index.

The rules are not documented by the vendor; they were recovered from the four real
documents in ``shared/data/azure-vi-samples`` and are checked against all four by
``tests/test_insights.py`` (every label, every appearance, every number):

- Appearances: a label's instances, sorted by start, are merged while the gap from the
  end of the appearance so far to the next start is < 3 s. (The samples merge gaps of
  2.96 and 2.97 s and never merge 3.96 or 3.97 s, so any limit in (2.97, 3.96] fits;
  3 s is the round number in between.)
- An appearance's confidence is that of its *last* merged instance. Of the 39
  appearances in the samples that merge several instances, "last" matches all 39;
  "lowest" misses 18, and highest, first and mean miss more.
- ``startSeconds``/``endSeconds``: the exact tick value rounded to 0.1 s, half to even
  (matches all 702 appearance times of every kind in the samples; half-up misses 7).
- Labels are ordered by total appearance time, longest first, where the total adds up
  ``endSeconds - startSeconds`` of the *rounded* values (so a label seen on one frame
  counts 0 s, and ties are common), ties broken by label id. Exact (unrounded) merged
  durations mis-order two of the samples; summed instance durations all four.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from .models import LabelTrack, SummarizedInsights, json_number, label_entries
from .timespan import format_ticks, parse_ticks, round_ticks_to_tenths, to_ticks

__all__ = [
    "MERGE_GAP_SECONDS",
    "summarize_label_insight",
    "summarize_labels",
    "summarized_insights",
]

MERGE_GAP_SECONDS = 3
_MERGE_GAP_TICKS = MERGE_GAP_SECONDS * 10_000_000

# Kinds Video Indexer always writes in summarizedInsights, empty when it found nothing.
# We produce labels only; the rest stay empty so clients can read any of them.
_EMPTY_STATISTICS: dict[str, Any] = {
    "correspondenceCount": 0,
    "speakerTalkToListenRatio": {},
    "speakerLongestMonolog": {},
    "speakerNumberOfFragments": {},
    "speakerWordCount": {},
}


def _appearances(instances: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Merge one label's instances (Video Indexer shape: time strings) into appearances.

    Also returns the label's total appearance time in whole tenths of a second, the
    ordering key, computed on integers so that float sums cannot break ties.
    """
    spans = sorted(
        (parse_ticks(inst["start"]), parse_ticks(inst["end"]), inst["confidence"]) for inst in instances
    )
    merged: list[list[Any]] = []  # [start, end, confidence of the last merged instance]
    for start, end, confidence in spans:
        if merged and start - merged[-1][1] < _MERGE_GAP_TICKS:
            last = merged[-1]
            last[1] = max(last[1], end)
            last[2] = confidence
        else:
            merged.append([start, end, confidence])
    appearances = []
    total_tenths = 0
    for start, end, confidence in merged:
        start_tenths, end_tenths = round_ticks_to_tenths(start), round_ticks_to_tenths(end)
        total_tenths += end_tenths - start_tenths
        appearances.append(
            {
                "confidence": json_number(confidence),
                "startTime": format_ticks(start),
                "endTime": format_ticks(end),
                "startSeconds": json_number(start_tenths / 10),
                "endSeconds": json_number(end_tenths / 10),
            }
        )
    return appearances, total_tenths


def summarize_label_insight(labels: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``insights.labels`` (Video Indexer shape) -> ``summarizedInsights.labels``.

    Works on the document form rather than on our tracks so that the very same code can
    be run on real Video Indexer documents and compared with what the service wrote.
    """
    ranked = []
    for label in labels:
        appearances, total_tenths = _appearances(label["instances"])
        ranked.append((-total_tenths, label["id"], {"id": label["id"], "name": label["name"], "appearances": appearances}))
    ranked.sort(key=lambda item: item[:2])
    return [entry for _, _, entry in ranked]


def summarize_labels(labels: list[LabelTrack], duration: float) -> list[dict[str, Any]]:
    """Label tracks -> ``summarizedInsights.labels``, with the same ids ``build_index``
    gives them (the ids link the summary to ``insights.labels``)."""
    entries = label_entries(labels, language="", duration=duration)
    return summarize_label_insight(entry.model_dump(mode="json") for entry in entries)


def summarized_insights(
    label_summary: list[dict[str, Any]],
    *,
    name: str,
    video_id: str,
    duration: float,
    thumbnail_id: str | None,
    privacy_mode: str = "Private",
) -> SummarizedInsights:
    """The whole ``summarizedInsights`` block around an already computed label summary."""
    ticks = to_ticks(duration)
    return SummarizedInsights.model_validate(
        {
            "name": name,
            "id": video_id,
            "privacyMode": privacy_mode,
            "duration": {"time": format_ticks(ticks), "seconds": round_ticks_to_tenths(ticks) / 10},
            "thumbnailVideoId": video_id,
            "thumbnailId": thumbnail_id,
            "faces": [],
            "keywords": [],
            "sentiments": [],
            "emotions": [],
            "audioEffects": [],
            "labels": label_summary,
            "framePatterns": [],
            "brands": [],
            "namedLocations": [],
            "namedPeople": [],
            "statistics": copy.deepcopy(_EMPTY_STATISTICS),
            "topics": [],
        }
    )
