"""Regenerate README's speed table from `videolabels bench --json` reports.

    videolabels bench /tmp/vtest720.mp4 --json > benchmarks/results/vtest720.json
    python benchmarks/update_readme.py benchmarks/results/*.json

The table in README sits between the `<!-- bench:start -->` and `<!-- bench:end -->`
markers; everything in it comes from the reports, so the README never states a number
that a re-run could not reproduce.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def table(reports: list[dict]) -> str:
    machines = {f"{r['machine']['cpu']}, {r['machine']['cores']} cores, Python {r['machine']['python']}" for r in reports}
    lines = [
        f"Measured on: {'; '.join(sorted(machines))} (videolabels {reports[0]['videolabels']}).",
        "",
        "| clip | video | mode | real-time factor | wall | frames sampled / detector looks | decode busy | classifier | detector | faces | peak RSS | naive baseline | speed-up |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        v, st = r["video"], r["stages_s"]
        base = r.get("baseline", {})
        lines.append(
            "| {file} | {w}x{h} {codec}, {d:.0f} s | {mode} | **{rtf}x** | {wall:.1f} s | {fs} / {df} | {dec:.1f} s | {cls:.1f} s | {det:.1f} s | {face:.1f} s | {rss:.0f} MB | {brtf} | {sp} |".format(
                mode="--skip-static" if r.get("settings", {}).get("skip_static") else "default",
                file=v["file"], w=v["width"], h=v["height"], codec=v["codec"], d=v["duration_s"],
                rtf=r["realtime_factor"], wall=r["wall_s"], fs=r["frames_sampled"], df=r.get("looks", {}).get("ssd-mobilenet-v2-coco", r.get("detector_frames", "-")),
                dec=st.get("decode_busy", 0), cls=st.get("inference:efficientnet-lite3-int8", 0),
                det=st.get("inference:ssd-mobilenet-v2-coco", 0), face=st.get("inference:haar-frontalface", 0),
                rss=r["peak_rss_mb"],
                brtf=f"{base['realtime_factor']}x" if "realtime_factor" in base else "-",
                sp=f"{r['speedup_vs_baseline']}x" if "speedup_vs_baseline" in r else "-",
            )
        )
    lines.append("")
    lines.append("Stage times overlap (decoding, the classifier and the detectors run in parallel threads), so they add up to more than the wall time.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args()
    reports = [json.loads(p.read_text()) for p in args.reports]
    text = args.readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{args.readme} has no {START} ... {END} block")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    args.readme.write_text(f"{head}{START}\n{table(reports)}\n{END}{tail}")
    print(f"updated {args.readme}")


if __name__ == "__main__":
    main()
