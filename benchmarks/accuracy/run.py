"""Accuracy benchmark: index every labelled clip, match against the truth, report.

    python benchmarks/accuracy/run.py [--json] [--min-confidence X] [--sweep]

Real clips are read from ``--media-dir`` (default ``../shared/data/media`` beside the
repository; missing ones are skipped with a note); synthetic clips are built (once,
cached) by ``build_videos.py``. Each clip is analysed once with the default settings;
the label documents for every threshold of ``--sweep`` are made from that one analysis.
Writes ``results.json`` and ``RESULTS.md`` beside this file (``--no-write`` to skip).
See README.md for what is measured and the matching rules.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if __package__ in (None, ""):
    # plain `python benchmarks/accuracy/run.py` from a source checkout
    sys.path.insert(0, str(HERE.parent))
    if (ROOT / "src" / "videolabels").is_dir():
        sys.path.insert(0, str(ROOT / "src"))
    __package__ = "accuracy"

from . import build_videos  # noqa: E402
from .matching import (  # noqa: E402
    ACCEPTABLE,
    RIGHT,
    WRONG,
    ClipResult,
    Counts,
    evaluate_clip,
    summarize,
    worst_labels,
)
from .truth import ClipTruth, load_truth_dir  # noqa: E402

TRUTH_DIR = HERE / "truth"
DEFAULT_MEDIA_DIR = ROOT.parent / "shared" / "data" / "media"
SWEEP = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]
IOU_THRESHOLD = 0.5


# ----------------------------------------------------------------------------- running


def predictions_from_document(doc: dict) -> dict[str, list[tuple[float, float, float]]]:
    """label name -> [(start, end, confidence)] from a Video Indexer document."""
    from videolabels.insights import parse_timespan

    out: dict[str, list[tuple[float, float, float]]] = {}
    for video in doc.get("videos", []):
        for label in video.get("insights", {}).get("labels", []) or []:
            spans = out.setdefault(label["name"], [])
            for inst in label.get("instances", []):
                spans.append((parse_timespan(inst["start"]), parse_timespan(inst["end"]), float(inst.get("confidence", 0.0))))
    return out


def _machine() -> dict:
    from videolabels.bench import machine_description

    return machine_description()


def git_revision() -> str | None:
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"], capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return None
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def clip_path(truth: ClipTruth, media_dir: Path, cache_dir: Path) -> Path:
    return (cache_dir if truth.source == "synthetic" else media_dir) / truth.clip


def run(args: argparse.Namespace, log) -> dict:
    from videolabels import __version__
    from videolabels.pipeline import DEFAULT_MIN_CONFIDENCE, IndexOptions, Indexer

    from .taxonomy import VocabularyTaxonomy

    threshold = DEFAULT_MIN_CONFIDENCE if args.min_confidence is None else args.min_confidence
    started = time.perf_counter()
    log(f"building synthetic clips in {args.cache_dir} ...")
    try:
        build_videos.build_all(args.data_dir, args.cache_dir, log=lambda *_: None)
    except (OSError, ValueError) as exc:  # no shared data here: use what the cache has
        log(f"  could not build the synthetic clips ({exc}); using those already in the cache")
    truths = load_truth_dir(TRUTH_DIR)
    if args.only:
        truths = [t for t in truths if t.clip in args.only or Path(t.clip).stem in args.only]
    build_s = time.perf_counter() - started

    indexer = Indexer()
    taxonomy = VocabularyTaxonomy(indexer.vocabulary)
    thresholds = sorted(set(SWEEP + [threshold])) if args.sweep else [threshold]
    results: dict[float, list[ClipResult]] = {t: [] for t in thresholds}
    skipped: list[dict] = []
    clips: list[dict] = []
    for truth in truths:
        path = clip_path(truth, args.media_dir, args.cache_dir)
        if not path.exists():
            skipped.append({"clip": truth.clip, "why": f"not found: {path}"})
            log(f"  skip {truth.clip}: not found in {path.parent}")
            continue
        t0 = time.perf_counter()
        try:
            analysis = indexer.analyze(path, IndexOptions(min_confidence=threshold))
        except Exception as exc:  # a clip the pipeline refuses is reported, not fatal
            skipped.append({"clip": truth.clip, "why": f"{type(exc).__name__}: {exc}"})
            log(f"  skip {truth.clip}: {type(exc).__name__}: {exc}")
            continue
        analyse_s = time.perf_counter() - t0
        for t in thresholds:
            doc = indexer.index(path, IndexOptions(min_confidence=t), analysis=analysis)
            results[t].append(
                evaluate_clip(truth, predictions_from_document(doc), taxonomy, iou_threshold=IOU_THRESHOLD, times=analysis.times)
            )
        clips.append(
            {"clip": truth.clip, "source": truth.source, "duration": round(analysis.info.duration, 3),
             "samples": len(analysis.times), "analyse_s": round(analyse_s, 2), "what": truth.what}
        )
        main = results[threshold][-1]
        wrong = sorted(k for k, v in main.clip_labels.items() if v == WRONG)
        log(f"  {truth.clip:28s} {analyse_s:5.1f}s  labels: {len(main.clip_labels):2d}  wrong: {', '.join(wrong) or '-'}")

    summaries = {t: summarize(results[t]) for t in thresholds}
    summary = summaries[threshold]
    report = {
        "benchmark": "videolabels accuracy",
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "videolabels": {"version": __version__, "git": git_revision()},
        "settings": {"min_confidence": threshold, "iou_threshold": IOU_THRESHOLD, "options": "IndexOptions() defaults otherwise"},
        "wall_s": round(time.perf_counter() - started, 1),
        "build_s": round(build_s, 1),
        "clips": clips,
        "skipped": skipped,
        "summary": summary.to_dict(),
        "scenes_activities": scenes_activities(summary.labels, indexer.vocabulary),
        "worst_labels": [name for name, _ in worst_labels(summary, 12)],
        "details": [r.to_dict() for r in results[threshold]],
    }
    if args.sweep:
        report["sweep"] = [
            {
                "threshold": t,
                "overall": summaries[t].overall.to_dict(),
                "groups": {g: c.to_dict() for g, c in summaries[t].groups.items()},
                "labels": {
                    k: {"correct": c.correct, "mistimed": c.mistimed, "wrong": c.wrong, "acceptable": c.acceptable,
                        "truth": c.truth, "found": c.found, "clips_wrong": c.clips_wrong}
                    for k, c in sorted(summaries[t].labels.items())
                },
            }
            for t in thresholds
        ]
    return report


def scenes_activities(labels: dict[str, Counts], vocabulary) -> dict:
    """The derived labels (scenes and activities) on their own: the issue's measure of how
    many of them are right when emitted. A label is *right when emitted* when none of its
    instances was wrong (mistimed ones saw the right thing at partly wrong times)."""
    kinds = {label.name: vocabulary.kind(key) for key, label in vocabulary.labels.items()}
    derived = {name: c for name, c in labels.items() if kinds.get(name) in ("scene", "activity")}
    total = Counts()
    for c in derived.values():
        total.add(c)
    emitted = sorted(name for name, c in derived.items() if c.emitted)
    return {
        "overall": total.to_dict(),
        "derived_labels": sum(1 for kind in kinds.values() if kind in ("scene", "activity")),
        "emitted": emitted,
        "right_when_emitted": [name for name in emitted if derived[name].wrong == 0],
        "all_instances_correct": [
            name for name in emitted if derived[name].judged and derived[name].correct == derived[name].judged
        ],
    }


# ----------------------------------------------------------------------------- reporting


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def counts_from(d: dict) -> Counts:
    return Counts(**{k: d[k] for k in Counts.__dataclass_fields__})


def overall_rows(report: dict) -> list[list[str]]:
    s = report["summary"]
    rows = []
    for name, d in [("all clips", s["overall"])] + [(f"{g} clips", d) for g, d in sorted(s["groups"].items())]:
        c = counts_from(d)
        rows.append([
            name, str(c.emitted), str(c.correct), str(c.mistimed), str(c.wrong), str(c.acceptable), pct(c.precision),
            f"{c.found}/{c.truth}", pct(c.recall), pct(c.f05), pct(c.clip_precision), pct(c.clip_recall),
        ])
    return rows


OVERALL_HEAD = ["", "instances", "correct", "mistimed", "wrong", "neutral", "inst. precision", "found", "inst. recall",
                "F0.5", "clip label precision", "clip label recall"]
LABEL_HEAD = ["label", "emitted", "correct", "mistimed", "wrong", "neutral", "precision", "found", "recall",
              "clips emitted", "clips wrong"]


def label_rows(report: dict, names: list[str] | None = None) -> list[list[str]]:
    labels = report["summary"]["labels"]
    rows = []
    for name in names if names is not None else sorted(labels):
        c = counts_from(labels[name])
        rows.append([
            name, str(c.emitted), str(c.correct), str(c.mistimed), str(c.wrong), str(c.acceptable), pct(c.precision),
            f"{c.found}/{c.truth}" if c.truth else "-", pct(c.recall), str(c.clips_emitted), str(c.clips_wrong),
        ])
    return rows


SWEEP_HEAD = ["min confidence", "instances", "wrong", "mistimed", "inst. precision", "inst. recall", "F0.5",
              "clip label precision", "clip label recall", "synthetic P / R", "real P / R"]


def sweep_rows(report: dict) -> list[list[str]]:
    rows = []
    for point in report.get("sweep", []):
        c = counts_from(point["overall"])
        groups = {g: counts_from(d) for g, d in point["groups"].items()}
        syn, real = groups.get("synthetic"), groups.get("media")
        rows.append([
            f"{point['threshold']:.2f}", str(c.emitted), str(c.wrong), str(c.mistimed), pct(c.precision), pct(c.recall),
            pct(c.f05), pct(c.clip_precision), pct(c.clip_recall),
            f"{pct(syn.precision)} / {pct(syn.recall)}" if syn else "-",
            f"{pct(real.precision)} / {pct(real.recall)}" if real else "-",
        ])
    return rows


def clip_rows(report: dict) -> list[list[str]]:
    rows = []
    for detail in report["details"]:
        marks = {RIGHT: "", ACCEPTABLE: " (ok)", WRONG: " **(wrong)**"}
        emitted = ", ".join(f"{k}{marks[v]}" for k, v in sorted(detail["clip_labels"].items())) or "-"
        missed = sorted({t["label"] for t in detail["truth"] if t["in_scope"] and t["found_by"] is None})
        c = counts_from(report["summary"]["clips"][detail["clip"]])
        rows.append([detail["clip"], emitted, ", ".join(missed) or "-", pct(c.precision), pct(c.recall)])
    return rows


def text_table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)] if rows else [len(h) for h in head]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in rows])


def md_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def print_report(report: dict) -> None:
    s = report["settings"]
    print(f"\nvideolabels {report['videolabels']['version']} ({report['videolabels']['git']}), "
          f"min confidence {s['min_confidence']}, IoU >= {s['iou_threshold']}, {len(report['clips'])} clips")
    for item in report["skipped"]:
        print(f"  skipped {item['clip']}: {item['why']}")
    print("\nOverall\n" + text_table(OVERALL_HEAD, overall_rows(report)))
    print("\nPer label\n" + text_table(LABEL_HEAD, label_rows(report)))
    worst = report["worst_labels"]
    if worst:
        print("\nWorst labels (most false instances)\n" + text_table(LABEL_HEAD, label_rows(report, worst)))
    if report.get("sweep"):
        print("\nThreshold sweep\n" + text_table(SWEEP_HEAD, sweep_rows(report)))
    print(f"\n{report['wall_s']} s in all")


def markdown(report: dict) -> str:
    m, s = report["machine"], report["settings"]
    parts = [
        "# Accuracy benchmark results",
        "",
        "Generated by `python benchmarks/accuracy/run.py --sweep`; do not edit by hand. What the numbers"
        " mean: [README.md](README.md).",
        "",
        f"- date: {report['date']}",
        f"- videolabels {report['videolabels']['version']} (git {report['videolabels']['git']})",
        f"- machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['system']}",
        f"- settings: `IndexOptions()` defaults, min confidence {s['min_confidence']}; an instance counts when"
        f" IoU >= {s['iou_threshold']}",
        f"- {len(report['clips'])} clips ({sum(c['duration'] for c in report['clips']):.0f} s of video),"
        f" {report['wall_s']} s wall time in all",
    ]
    for item in report["skipped"]:
        parts.append(f"- skipped {item['clip']}: {item['why']}")
    parts += ["", "## Overall", "", md_table(OVERALL_HEAD, overall_rows(report)), ""]
    if report.get("sweep"):
        parts += ["## Threshold sweep", "",
                  "Every threshold from the same analysis of each clip (`Indexer.analyze` once, then"
                  " `Indexer.index(..., analysis=...)` per threshold).", "",
                  md_table(SWEEP_HEAD, sweep_rows(report)), ""]
    sa = report.get("scenes_activities")
    if sa:
        c = counts_from(sa["overall"])
        parts += [
            "## Scenes and activities", "",
            f"The derived labels ({sa['derived_labels']} in the vocabulary) on their own: {c.emitted} instances,"
            f" {c.correct} correct, {c.mistimed} mistimed, {c.wrong} wrong (instance precision {pct(c.precision)},"
            f" recall {pct(c.recall)}). Emitted in these clips: {len(sa['emitted'])} labels"
            f" ({', '.join(sa['emitted']) or 'none'}); right when emitted (no wrong instance):"
            f" {len(sa['right_when_emitted'])} ({', '.join(sa['right_when_emitted']) or 'none'}); every instance"
            f" correct: {len(sa['all_instances_correct'])}. The others cannot be judged until clips show them.",
            "",
            md_table(LABEL_HEAD, label_rows(report, sa["emitted"])), "",
        ]
    worst = report["worst_labels"]
    if worst:
        parts += ["## Worst labels", "", "Most false instances (wrong + mistimed) or clips where the label is false.", "",
                  md_table(LABEL_HEAD, label_rows(report, worst)), ""]
    parts += ["## Per clip", "", "Labels emitted (right unless marked), in-scope truth labels missed (no instance with"
              " IoU >= 0.5), instance precision and recall.", "",
              md_table(["clip", "emitted", "missed", "precision", "recall"], clip_rows(report)), ""]
    parts += ["## Per label", "", md_table(LABEL_HEAD, label_rows(report)), ""]
    oos = report["summary"]["out_of_scope"]
    if oos:
        parts += ["## Truth labels out of scope", "",
                  "Visible and annotated, but no vocabulary label is the same or more specific, so they do not count"
                  " toward recall (yet):", ""]
        parts += [f"- {name}: {', '.join(clips)}" for name, clips in sorted(oos.items())]
        parts.append("")
    return "\n".join(parts)


def dump_json(report: dict) -> str:
    """Indented JSON with the innermost objects (one judged instance, one label's counts)
    on one line each: readable, diffable and a third of the size."""
    text = json.dumps(report, indent=1)
    return re.sub(r"\{[^{}\[\]]*\}", lambda m: re.sub(r"\s*\n\s*", " ", m.group(0)), text) + "\n"


README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


def readme_section(report: dict) -> str:
    m, s = report["machine"], report["settings"]
    parts = [
        f"{report['date']}, videolabels {report['videolabels']['version']} (git {report['videolabels']['git']}),"
        f" {m['cpu']}, {m['cores']} cores; {len(report['clips'])} clips, min confidence {s['min_confidence']}.",
        "",
        md_table(OVERALL_HEAD, overall_rows(report)),
        "",
    ]
    if report.get("sweep"):
        parts += ["Threshold sweep:", "", md_table(SWEEP_HEAD, sweep_rows(report)), ""]
    if report["worst_labels"]:
        parts += ["Labels with the most false instances: " + ", ".join(report["worst_labels"]) + ".", ""]
    parts.append("Everything else: [RESULTS.md](RESULTS.md).")
    return "\n".join(parts)


def update_readme(report: dict, path: Path = HERE / "README.md") -> bool:
    text = path.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    path.write_text(head + README_START + "\n" + readme_section(report) + "\n" + README_END + tail, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    parser.add_argument("--min-confidence", type=float, default=None, help="label threshold (default: the pipeline's)")
    parser.add_argument("--sweep", action="store_true", help="also evaluate thresholds " + ", ".join(map(str, SWEEP)))
    parser.add_argument("--media-dir", type=Path, default=DEFAULT_MEDIA_DIR, help="folder of the real clips")
    parser.add_argument("--data-dir", type=Path, default=build_videos.DEFAULT_DATA_DIR, help="shared data (stamps, photos)")
    parser.add_argument("--cache-dir", type=Path, default=build_videos.DEFAULT_CACHE_DIR, help="where synthetic clips are built")
    parser.add_argument("--only", action="append", help="clip file name or stem (repeatable); implies --no-write")
    parser.add_argument("--no-write", action="store_true", help="do not write results.json / RESULTS.md")
    args = parser.parse_args(argv)
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    report = run(args, log)
    if args.json:
        sys.stdout.write(dump_json(report))
    else:
        print_report(report)
    if not (args.no_write or args.only):
        (HERE / "results.json").write_text(dump_json(report), encoding="utf-8")
        (HERE / "RESULTS.md").write_text(markdown(report), encoding="utf-8")
        update_readme(report)
        log(f"wrote {HERE / 'results.json'}, {HERE / 'RESULTS.md'} and the numbers in README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
