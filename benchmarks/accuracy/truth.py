"""Ground truth of one clip, as written in ``truth/*.tsv``.

A truth file is a few ``# key: value`` header comments and a tab-separated table::

    # clip: vtest.avi
    # source: media
    # duration: 79.5
    # what: fixed campus camera; pedestrians, parked cars
    kind	label	start	end	note
    truth	person	0	79.5	3-8 pedestrians walking all the time
    ok	tripod			small, on the lawn

- ``source`` is ``media`` (a real clip, read from ``--media-dir``) or ``synthetic`` (made
  by ``build_videos.py``, which also writes its truth file).
- ``truth`` rows: a label that is visible from ``start`` to ``end`` (seconds from the
  first frame, as the pipeline counts them). Several rows of one label are several
  instances; overlapping or touching rows of one label are merged on reading (Video
  Indexer reports one instance per stretch of time, not one per object).
- ``ok`` rows ("acceptable"): visible, but not worth penalizing if emitted nor missing
  if not (a wheel on a bicycle clip, a building behind the subject). No times.
- ``label`` is a name ("person", "crane (bird)"), a vocabulary key ("crane_bird"), or a
  name with its WordNet 3.0 synset when the name alone is ambiguous or unknown to the
  vocabulary: ``rabbit@02324045-n``.
- Blank lines and lines starting with ``#`` after the header are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ["kind", "label", "start", "end", "note"]
KINDS = ("truth", "ok")


class TruthError(ValueError):
    """A truth file that does not follow the format above."""


@dataclass
class ClipTruth:
    clip: str
    source: str
    #: label -> sorted, merged (start, end) spans
    spans: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    #: labels visible but neither required nor penalized
    acceptable: list[str] = field(default_factory=list)
    duration: float | None = None
    what: str = ""
    #: label -> notes written beside its rows (for the report)
    notes: dict[str, list[str]] = field(default_factory=dict)
    path: Path | None = None

    def add(self, label: str, start: float, end: float, note: str = "") -> None:
        if not end > start:
            raise TruthError(f"{self.clip}: {label} ends ({end}) before it starts ({start})")
        self.spans.setdefault(label, []).append((float(start), float(end)))
        self.spans[label] = merge_spans(self.spans[label])
        if note:
            self.notes.setdefault(label, []).append(note)

    def allow(self, label: str, note: str = "") -> None:
        if label not in self.acceptable:
            self.acceptable.append(label)
        if note:
            self.notes.setdefault(label, []).append(note)


def merge_spans(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted spans with overlapping or touching ones merged."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def parse_truth(text: str, path: Path | None = None) -> ClipTruth:
    where = str(path) if path else "<truth>"
    headers: dict[str, str] = {}
    rows: list[list[str]] = []
    seen_columns = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith("#"):
            if not seen_columns and ":" in line:
                key, value = line[1:].split(":", 1)
                headers.setdefault(key.strip().lower(), value.strip())
            continue
        cells = line.split("\t")
        if not seen_columns:
            if [c.strip() for c in cells[: len(COLUMNS)]] != COLUMNS[: len(cells)] or len(cells) < 4:
                raise TruthError(f"{where}:{number}: expected the column line {'<TAB>'.join(COLUMNS)}")
            seen_columns = True
            continue
        rows.append([c.strip() for c in cells] + [""] * (len(COLUMNS) - len(cells)))
        rows[-1].append(str(number))
    if "clip" not in headers:
        raise TruthError(f"{where}: no '# clip:' header")
    source = headers.get("source", "media")
    if source not in ("media", "synthetic"):
        raise TruthError(f"{where}: source must be media or synthetic, not {source!r}")
    duration = float(headers["duration"]) if headers.get("duration") else None
    truth = ClipTruth(clip=headers["clip"], source=source, duration=duration, what=headers.get("what", ""), path=path)
    for kind, label, start, end, note, *rest in rows:
        number = rest[-1]
        if kind not in KINDS:
            raise TruthError(f"{where}:{number}: kind must be one of {KINDS}, not {kind!r}")
        if not label:
            raise TruthError(f"{where}:{number}: empty label")
        if kind == "ok":
            if start or end:
                raise TruthError(f"{where}:{number}: 'ok' rows take no times")
            truth.allow(label, note)
            continue
        try:
            s, e = float(start), float(end)
        except ValueError:
            raise TruthError(f"{where}:{number}: start and end must be seconds") from None
        try:
            truth.add(label, s, e, note)
        except TruthError as exc:
            raise TruthError(f"{where}:{number}: {exc}") from None
    overlap = set(truth.spans) & set(truth.acceptable)
    if overlap:
        raise TruthError(f"{where}: labels both required and acceptable: {sorted(overlap)}")
    return truth


def load_truth(path: Path) -> ClipTruth:
    return parse_truth(Path(path).read_text(encoding="utf-8"), Path(path))


def load_truth_dir(directory: Path) -> list[ClipTruth]:
    """Every ``*.tsv`` under ``directory`` (recursively), sorted by clip name."""
    truths = [load_truth(p) for p in sorted(Path(directory).rglob("*.tsv"))]
    clips = [t.clip for t in truths]
    dupes = sorted({c for c in clips if clips.count(c) > 1})
    if dupes:
        raise TruthError(f"several truth files for {dupes}")
    return sorted(truths, key=lambda t: (t.source != "media", t.clip))


def _seconds(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def format_truth(truth: ClipTruth, preamble: str = "") -> str:
    lines = [f"# {line}".rstrip() for line in preamble.splitlines()]
    lines += [f"# clip: {truth.clip}", f"# source: {truth.source}"]
    if truth.duration is not None:
        lines.append(f"# duration: {_seconds(truth.duration)}")
    if truth.what:
        lines.append(f"# what: {truth.what}")
    lines.append("\t".join(COLUMNS))
    for label, spans in truth.spans.items():
        note = "; ".join(truth.notes.get(label, []))
        for start, end in spans:
            lines.append("\t".join(["truth", label, _seconds(start), _seconds(end), note]))
    for label in truth.acceptable:
        lines.append("\t".join(["ok", label, "", "", "; ".join(truth.notes.get(label, []))]))
    return "\n".join(lines) + "\n"
