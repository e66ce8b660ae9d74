"""Regenerate README's speed table from `videolabels bench --json` reports.

    videolabels bench /tmp/vtest720.mp4 --json > benchmarks/results/vtest720.json
    python benchmarks/update_readme.py benchmarks/results/*.json benchmarks/results/*/*.json

The tables in README sit between the `<!-- bench:start -->` and `<!-- bench:end -->`
markers; everything in them comes from the reports, so the README never states a number
that a re-run could not reproduce. Reports are grouped into one table per machine and
commit: speed depends on both, so rows of different ones are never mixed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def measured_on(report: dict) -> str:
    m = report["machine"]
    where = f"{m['cpu']}, {m['cores']} cores" + (f" ({' '.join(m['simd'])})" if m.get("simd") else "")
    version = f"videolabels {report['videolabels']}" + (f" at commit {report['commit']}" if report.get("commit") else "")
    return f"{where}, Python {m['python']} ({version})"


def tables(reports: list[dict]) -> str:
    groups: dict[str, list[dict]] = {}
    for r in reports:
        groups.setdefault(measured_on(r), []).append(r)
    parts = [table(where, group) for where, group in groups.items()]
    parts.append(
        "*Decoding alone* samples the frames the pipeline needs and nothing else; *models alone* runs the "
        "pipeline on those frames held in memory (its detector thread runs beside the classifier, so it "
        "keeps both cores busy). The pipeline overlaps the two, so its wall time is compared with the slower "
        "(goal: within 1.2x), and with the *CPU bound*: the slower alone, or both stages' CPU time divided by "
        "the cores, whichever is longer, which no pipeline can beat. Per-stage busy times are in each report's "
        "`stages_s`."
    )
    return "\n\n".join(parts)


def table(where: str, reports: list[dict]) -> str:
    lines = [
        f"Measured on: {where}.",
        "",
        "| clip | video | mode | real-time factor | wall | CPU | samples / analysed / detector looks | decoding alone (CPU) | models alone (CPU) | wall / slower alone | wall / CPU bound | peak RSS | naive baseline | speed-up |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        v = r["video"]
        base, alone = r.get("baseline", {}), r.get("stages_alone", {})
        lines.append(
            "| {file} | {w}x{h} {codec}, {d:.0f} s | {mode} | **{rtf}x** | {wall:.2f} s | {cpu} | {fs} / {fa} / {df} | {dec} | {mod} | {ratio} | {bound} | {rss:.0f} MB | {brtf} | {sp} |".format(
                mode="default" if r.get("settings", {}).get("skip_static", True) else "--no-skip-static",
                file=v["file"], w=v["width"], h=v["height"], codec=v["codec"], d=v["duration_s"],
                rtf=r["realtime_factor"], wall=r["wall_s"], cpu=f"{r['cpu_s']:.2f} s" if "cpu_s" in r else "-",
                fs=r["frames_sampled"], fa=r["frames_analyzed"], df=r.get("looks", {}).get("ssd-mobilenet-v2-coco", "-"),
                dec=_alone(alone, "decode"), mod=_alone(alone, "models"),
                ratio=f"{alone['pipeline_vs_slower_stage']}x" if alone else "-",
                bound=f"{alone['pipeline_vs_cpu_bound']}x" if "pipeline_vs_cpu_bound" in alone else "-",
                rss=r["peak_rss_mb"],
                brtf=f"{base['realtime_factor']}x" if "realtime_factor" in base else "-",
                sp=f"{r['speedup_vs_baseline']}x" if "speedup_vs_baseline" in r else "-",
            )
        )
    return "\n".join(lines)


def _alone(alone: dict, stage: str) -> str:
    if not alone:
        return "-"
    wall, cpu = alone[f"{stage}_s"], alone.get(f"{stage}_cpu_s")
    return f"{wall:.2f} s" + (f" ({cpu:.2f} s)" if cpu is not None else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args()
    # Other reports in benchmarks/results (stage profiles, memory) are not `bench` runs.
    reports = [r for r in (json.loads(p.read_text()) for p in args.reports) if "realtime_factor" in r and "video" in r]
    if not reports:
        raise SystemExit("no `videolabels bench --json` report among the files given")
    text = args.readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{args.readme} has no {START} ... {END} block")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    args.readme.write_text(f"{head}{START}\n{tables(reports)}\n{END}{tail}")
    print(f"updated {args.readme}")


if __name__ == "__main__":
    main()
