"""Insights layer: label tracks in, Azure AI Video Indexer "Get Video Index" document out.

Everything a caller needs is re-exported here; the submodules are
``timespan`` (.NET TimeSpan text), ``models`` (inputs and the document's pydantic
models), ``summary`` (summarizedInsights) and ``document`` (building and validation).
"""

from .document import SCHEMA_PATH, build_index, format_created, validate_index
from .models import Instance, LabelTrack, VideoIndex, index_json_schema
from .summary import summarize_label_insight, summarize_labels
from .timespan import TIMESPAN_PATTERN, format_timespan, parse_timespan

__all__ = [
    "SCHEMA_PATH",
    "TIMESPAN_PATTERN",
    "Instance",
    "LabelTrack",
    "VideoIndex",
    "build_index",
    "format_created",
    "format_timespan",
    "index_json_schema",
    "parse_timespan",
    "summarize_label_insight",
    "summarize_labels",
    "validate_index",
]
