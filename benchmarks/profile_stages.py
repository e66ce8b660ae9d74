"""Where the time of `videolabels index` goes: every stage measured alone, on one clip.

    python benchmarks/profile_stages.py /tmp/montage720.mp4 [--repeat 3] [--json]

`videolabels bench` times the stages *inside* the pipeline, where they overlap (decode
thread, classifier, detector thread) and slow each other down on a small machine. This
script runs each stage on its own, one after the other, with the same library code:

- probe: `media.probe` (opens the file, decodes the first frame, scans keyframes);
- demux: reading every packet of the video stream, nothing decoded;
- decode (plan): the sampler's planned decoding of the 1 fps grid, frames not converted;
- decode (full, reference): every frame decoded, not converted, for comparison;
- convert + resize: YUV -> 640-px RGB (swscale) of the sampled frames only;
- change check: the 32x18 grey thumbnails that let a static frame reuse scores;
- each model on every sampled frame (batches of 8, one inference thread): the
  EfficientNet-Lite3 classifier, SSD MobileNet COCO, Haar faces on the person crops;
- timeline (scores -> instances) and output (document model, JSON text, file write).

Each stage runs `--repeat` times; wall time (min-max) and process CPU time (all threads,
median) are reported. On a shared machine wall time mostly measures the other load, so
the breakdown is in CPU time: on an idle 2-core machine the pipeline's wall time is
bounded below by half its CPU time. The models see *every* sample here; the pipeline
skips some (reused near-identical frames; the classifier looks at every 2nd sample, the
detectors at every 4th, plus where their answer or the picture changed), so the "as the
pipeline runs it" column scales each model's cost by its look count in a real pipeline
run, which is also timed end to end (models loaded beforehand).

It reads one private name of the library (`media.sampler._Sampler`, to decode without
converting); nothing in the library is changed. It profiles the plan without skipping
static GOPs (`--no-skip-static`: the skip's keyframe look-ahead converts frames too), and
times the pipeline end to end the same way, so the rows add up; the pipeline skips static
GOPs by default since this profile was taken (benchmarks/README.md says what that changed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from videolabels.bench import machine_description  # noqa: E402
from videolabels.insights import build_index  # noqa: E402
from videolabels.media import probe  # noqa: E402
from videolabels.media.opening import open_video  # noqa: E402
from videolabels.media.sampler import _Sampler  # noqa: E402
from videolabels.pipeline import IndexOptions, Indexer, face_regions  # noqa: E402


def _thumbnail(image: np.ndarray) -> np.ndarray:
    """The pipeline's change-check thumbnail (`media.thumbnail`; older: `pipeline._thumbnail`)."""
    try:
        from videolabels.media import thumbnail as thumb
    except ImportError:
        from videolabels.pipeline import _thumbnail as thumb
    return thumb(image)


class Measure:
    """Wall and process-CPU seconds of repeated runs of one stage."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.extra: dict = {}

    def run(self, fn: Callable[[], object], repeat: int) -> object:
        result = None
        for _ in range(repeat):
            w, c = time.perf_counter(), time.process_time()
            result = fn()
            self.wall.append(time.perf_counter() - w)
            self.cpu.append(time.process_time() - c)
        return result

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    def as_dict(self) -> dict:
        return {
            "stage": self.name,
            "wall_s": {"min": min(self.wall), "median": statistics.median(self.wall), "max": max(self.wall)},
            "cpu_s": statistics.median(self.cpu),
            **self.extra,
        }


def demux_only(path: str) -> int:
    opened = open_video(path)
    count = 0
    try:
        for packet in opened.container.demux(opened.stream):
            if packet.size:
                count += 1
    finally:
        opened.container.close()
    return count


def sampler(path: str, fps: float, max_side: int, strategy: str = "plan") -> _Sampler:
    return _Sampler(open_video(path), Fraction(repr(float(fps))), max_side, strategy)


def decode_without_conversion(path: str, fps: float, max_side: int, strategy: str) -> dict:
    s = sampler(path, fps, max_side, strategy)
    s.to_rgb = lambda frame: None  # the frame is decoded and picked, never converted
    samples = sum(1 for _ in s.frames())
    return {"samples": samples, "packets_fed": s.packets_fed, "packets_dropped": s.packets_dropped, "frames_decoded": s.frames_decoded}


def decode_and_convert(path: str, fps: float, max_side: int) -> tuple[list[np.ndarray], float, float]:
    """The sampled RGB frames, and the wall and CPU seconds spent converting them alone."""
    s = sampler(path, fps, max_side)
    convert = s.to_rgb
    spent = spent_cpu = 0.0

    def timed(frame):
        nonlocal spent, spent_cpu
        t0, c0 = time.perf_counter(), time.thread_time()
        image = convert(frame)
        spent += time.perf_counter() - t0
        spent_cpu += time.thread_time() - c0
        return image

    s.to_rgb = timed
    images = [f.image for f in s.frames()]
    return images, spent, spent_cpu


def batches(images: list[np.ndarray], size: int):
    for i in range(0, len(images), size):
        yield images[i : i + size]


def profile(path: Path, repeat: int, fps: float = 1.0) -> dict:
    options = IndexOptions(fps=fps, skip_static_gops=False)
    spath = str(path)
    m: dict[str, Measure] = {}

    def stage(name: str) -> Measure:
        m[name] = Measure(name)
        return m[name]

    info = stage("probe").run(lambda: probe(spath), repeat)
    packets = stage("demux").run(lambda: demux_only(spath), repeat)
    m["demux"].extra["packets"] = packets
    counts = stage("decode (plan)").run(lambda: decode_without_conversion(spath, fps, options.max_side, "plan"), repeat)
    m["decode (plan)"].extra.update(counts)
    full = stage("decode (full, reference)").run(lambda: decode_without_conversion(spath, fps, options.max_side, "full"), repeat)
    m["decode (full, reference)"].extra.update(full)

    conv = stage("convert + resize")
    both = stage("decode + convert (the decode thread)")
    images: list[np.ndarray] = []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        images, spent, spent_cpu = decode_and_convert(spath, fps, options.max_side)
        both.add(time.perf_counter() - w, time.process_time() - c)
        conv.add(spent, spent_cpu)  # swscale runs in the calling thread
    n = len(images)
    conv.extra["output"] = f"{images[0].shape[1]}x{images[0].shape[0]}" if images else ""

    stage("change check (thumbnails)").run(lambda: [_thumbnail(i) for i in images], repeat)

    t0 = time.perf_counter()
    indexer = Indexer(threads=1)
    load_s = time.perf_counter() - t0
    by_ns = {r.namespace: r for r in indexer.recognizers}
    classifier, detector, faces = by_ns.get("imagenet"), by_ns.get("coco"), by_ns.get("face")
    for r in indexer.recognizers:  # warm-up: first calls allocate and initialise
        r.recognize(images[: options.batch_size])

    if classifier is not None:
        stage(f"model: {classifier.name}").run(lambda: [classifier.recognize(b) for b in batches(images, options.batch_size)], repeat)

    person_boxes: list[np.ndarray] = []
    if detector is not None:
        person = list(detector.classes).index("person")

        def detect() -> None:
            person_boxes.clear()
            for b in batches(images, options.batch_size):
                detector.recognize(b)
                boxes = detector.last_boxes
                person_boxes.append(boxes[boxes[:, 1] == person])

        stage(f"model: {detector.name}").run(detect, repeat)

    if faces is not None and detector is not None:
        crops_seen = 0

        def face_crops() -> None:
            nonlocal crops_seen
            crops_seen = 0
            for b, boxes in zip(batches(images, options.batch_size), person_boxes):
                crops, _owners = face_regions(b, boxes, options.face_gate)
                crops_seen += len(crops)
                if crops:
                    faces.recognize(crops)

        stage(f"model: {faces.name} (person crops)").run(face_crops, repeat)
        m[f"model: {faces.name} (person crops)"].extra["crops"] = crops_seen
    else:
        crops_seen = 0

    # The real pipeline, end to end, models loaded: its counts scale the per-frame costs.
    pipe = stage("pipeline end to end (index)")
    doc = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        doc = indexer.index(spath, options)
        pipe.add(time.perf_counter() - w, time.process_time() - c)
    analysis = indexer.last_analysis
    t = analysis.timings
    looks = dict(getattr(t, "looks", {}) or {})  # frames (face crops) each model was run on
    if not looks:  # older pipelines counted detector looks only
        looks = {classifier.name: t.frames_analyzed} if classifier is not None else {}
        for r in (detector, faces):
            if r is not None:
                looks[r.name] = getattr(t, "detector_frames", n)
    pipe.extra.update(frames_sampled=t.frames_sampled, frames_analyzed=t.frames_analyzed, looks=looks)

    stage("timeline").run(lambda: indexer.tracks(analysis, options), repeat)
    tracks = indexer.tracks(analysis, options)

    def output() -> None:
        d = build_index(tracks, name=path.name, duration=info.duration, language=options.language)
        with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=True) as fh:
            fh.write(json.dumps(d, ensure_ascii=False, indent=2) + "\n")

    stage("output (document + JSON + write)").run(output, repeat)

    # Share of each stage's cost the pipeline incurs (look counts of the real run).
    as_run = {
        "probe": 1.0,
        "decode (plan)": 1.0,
        "convert + resize": 1.0,
        "change check (thumbnails)": 1.0,
        "timeline": 1.0,
        "output (document + JSON + write)": 1.0,
    }
    if classifier is not None:
        as_run[f"model: {classifier.name}"] = looks.get(classifier.name, n) / max(n, 1)
    if detector is not None:
        as_run[f"model: {detector.name}"] = looks.get(detector.name, n) / max(n, 1)
    if faces is not None and detector is not None:
        # Measured on the crops of every sample; the pipeline ran it on looks[face] crops.
        as_run[f"model: {faces.name} (person crops)"] = looks.get(faces.name, crops_seen) / max(crops_seen, 1)
    rows = []
    for name, meas in m.items():
        row = meas.as_dict()
        if n and not name.startswith(("pipeline", "demux", "probe", "timeline", "output")):
            row["cpu_ms_per_sample"] = 1000 * row["cpu_s"] / n
        if name in as_run:
            # CPU time, not wall: on a loaded machine wall time mostly measures the others.
            row["as_run_cpu_s"] = row["cpu_s"] * as_run[name]
        rows.append(row)
    sequential = sum(r.get("as_run_cpu_s", 0.0) for r in rows)
    for r in rows:
        if "as_run_cpu_s" in r:
            r["share"] = r["as_run_cpu_s"] / sequential if sequential else 0.0
    return {
        "file": path.name,
        "video": {
            "width": info.width,
            "height": info.height,
            "codec": info.codec,
            "fps": round(info.fps, 3),
            "duration_s": round(info.duration, 2),
            "keyframe_interval_s": info.keyframe_interval,
        },
        "samples": n,
        "repeat": repeat,
        "model_load_s": round(load_s, 3),
        "stages": rows,
        "as_run_cpu_sum_s": sequential,
        "pipeline_wall_s": statistics.median(pipe.wall),
        "labels": len(doc["videos"][0]["insights"]["labels"]) if doc else 0,
        "machine": machine_description(),
        "load_average": os.getloadavg(),
    }


def fmt_range(w: dict) -> str:
    lo, hi = w["min"], w["max"]
    return f"{lo:.3f}" if abs(hi - lo) < 0.0005 else f"{lo:.3f}-{hi:.3f}"


def markdown(report: dict) -> str:
    v = report["video"]
    lines = [
        f"**{report['file']}**: {v['width']}x{v['height']} {v['codec']}, {v['duration_s']} s at {v['fps']} fps, "
        f"{report['samples']} samples at 1 fps. {report['machine']['cpu']}, {report['machine']['cores']} cores, "
        f"load average {report['load_average'][0]:.1f} at the end; {report['repeat']} runs per stage; "
        f"models loaded in {report['model_load_s']:.1f} s (once per process).",
        "",
        "| stage | wall s (min-max) | CPU s | CPU ms / sample | CPU s as the pipeline runs it | share |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["stages"]:
        if r["stage"].startswith("pipeline"):
            continue
        note = ""
        if "packets_fed" in r:
            note = f" ({r['frames_decoded']} frames decoded, {r['packets_dropped']} packets dropped)"
        if "crops" in r:
            note = f" ({r['crops']} crops)"
        per = f"{r['cpu_ms_per_sample']:.1f}" if "cpu_ms_per_sample" in r else ""
        as_run = f"{r['as_run_cpu_s']:.2f}" if "as_run_cpu_s" in r else "-"
        share = f"{100 * r['share']:.0f} %" if "share" in r else ""
        lines.append(f"| {r['stage']}{note} | {fmt_range(r['wall_s'])} | {r['cpu_s']:.2f} | {per} | {as_run} | {share} |")
    pipe = next(r for r in report["stages"] if r["stage"].startswith("pipeline"))
    lines.append(
        f"| **sum** | | | | **{report['as_run_cpu_sum_s']:.2f}** | 100 % |"
    )
    looks = ", ".join(f"{k.split('-')[0]} {v}" for k, v in pipe["looks"].items())
    lines.append(
        f"| **pipeline end to end** ({pipe['frames_analyzed']} analysed; looks: {looks}) "
        f"| {fmt_range(pipe['wall_s'])} | {pipe['cpu_s']:.2f} | | | |"
    )
    return "\n".join(lines)


def _stage(report: dict, prefix: str) -> dict | None:
    return next((r for r in report["stages"] if r["stage"].startswith(prefix)), None)


def resolution_table(reports: list[dict]) -> str:
    """One table for clips of one resolution, a column pair per clip (README's form)."""
    head = "| stage |" + "".join(f" {r['file']}: CPU s | share |" for r in reports)
    lines = [head, "|---|" + "---|---|" * len(reports)]

    def row(label: str, cells: list[tuple[str, str]]) -> None:
        lines.append(f"| {label} |" + "".join(f" {a} | {b} |" for a, b in cells))

    def cpu(r: dict, prefix: str, detail=None) -> tuple[str, str]:
        st = _stage(r, prefix)
        if st is None:
            return ("-", "")
        value = st.get("as_run_cpu_s", st["cpu_s"])
        text = f"{value:.2f}" + (f" ({detail(st, r)})" if detail else "")
        return (text, f"{100 * st['share']:.0f} %" if "share" in st else "")

    def looks(name_part: str, unit: str):
        def detail(st: dict, r: dict) -> str:
            pipe = _stage(r, "pipeline")
            count = next((v for k, v in pipe["looks"].items() if name_part in k), 0)
            if unit == "crop":
                per = 1000 * st["cpu_s"] / max(st.get("crops", 1), 1)
            else:
                per = 1000 * st["cpu_s"] / max(r["samples"], 1)
            return f"{count} {unit}s x {per:.0f} ms"

        return detail

    row("probe (header, first frame, keyframe scan)", [cpu(r, "probe") for r in reports])
    row("container parsing (demux only, every packet)", [cpu(r, "demux") for r in reports])
    row(
        "decoding, planned (no colour conversion)",
        [cpu(r, "decode (plan)", lambda st, r: f"{st['frames_decoded']} of {_stage(r, 'decode (full')['frames_decoded']} frames") for r in reports],
    )
    row("colour conversion + resize to 640-px RGB", [cpu(r, "convert") for r in reports])
    row("change check (32x18 thumbnails)", [cpu(r, "change check") for r in reports])
    row("EfficientNet-Lite3 classifier", [cpu(r, "model: efficientnet", looks("efficientnet", "look")) for r in reports])
    row("SSD MobileNet v2 COCO detector", [cpu(r, "model: ssd", looks("ssd", "look")) for r in reports])
    row("Haar faces on person crops", [cpu(r, "model: haar", looks("haar", "crop")) for r in reports])
    row("timeline (scores to instances, roll-ups)", [cpu(r, "timeline") for r in reports])
    row("output (document, JSON, file)", [cpu(r, "output") for r in reports])
    row("**sum of the stages**", [(f"**{r['as_run_cpu_sum_s']:.2f}**", "100 %") for r in reports])
    row("pipeline end to end, CPU", [(f"{_stage(r, 'pipeline')['cpu_s']:.2f}", "") for r in reports])
    row(
        "pipeline end to end, wall here (min-max)",
        [(f"{_stage(r, 'pipeline')['wall_s']['min']:.1f}-{_stage(r, 'pipeline')['wall_s']['max']:.1f} s", "") for r in reports],
    )
    row(
        "idle 2-core floor: CPU / 2 (real-time factor)",
        [
            (f"{_stage(r, 'pipeline')['cpu_s'] / 2:.1f} s ({r['video']['duration_s'] / (_stage(r, 'pipeline')['cpu_s'] / 2):.0f}x)", "")
            for r in reports
        ],
    )
    row("reference: decoding every frame", [cpu(r, "decode (full") for r in reports])
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fps", type=float, default=1.0)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--from-json", type=Path, action="append", default=[], help="render saved --json output instead")
    args = parser.parse_args()
    reports = [r for path in args.from_json for r in json.loads(path.read_text())]
    for video in args.videos:
        report = profile(video, args.repeat, args.fps)
        reports.append(report)
        if not args.json:
            print(markdown(report))
            print()
    if args.json:
        print(json.dumps(reports, indent=2))
        return
    if args.from_json:
        for report in reports:
            print(markdown(report))
            print()
    by_height: dict[int, list[dict]] = {}
    for report in reports:
        by_height.setdefault(report["video"]["height"], []).append(report)
    for height, group in sorted(by_height.items()):
        print(f"{height}p\n")
        print(resolution_table(group))
        print()


if __name__ == "__main__":
    main()
