"""`videolabels bench`: measured speed, so every number in README can be re-run.

Reports the real-time factor (seconds of video per wall second), where the time goes
(decode vs each model), the frames sampled and analysed, and peak memory, next to a
naive baseline measured in the same run: OpenCV reads every frame, one frame per second
is classified by the same models, nothing overlaps. Model loading is timed apart: a
server or a batch loads the models once.
"""

from __future__ import annotations

import os
import platform
import resource
import time
from pathlib import Path

import cv2
from rich.console import Console
from rich.table import Table

from . import __version__
from .pipeline import IndexOptions, Indexer


def machine_description() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": cores, "python": platform.python_version(), "system": platform.platform(terse=True)}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def naive_baseline(path: Path, indexer: Indexer, fps: float) -> dict:
    """Every frame read and converted by OpenCV; one per second goes through the models."""
    started = time.perf_counter()
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        return {"error": "OpenCV could not open the file"}
    read = classified = 0
    next_time = 0.0
    decode = infer = 0.0
    while True:
        t0 = time.perf_counter()
        ok, frame = capture.read()
        decode += time.perf_counter() - t0
        if not ok:
            break
        read += 1
        t = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        if t + 1e-6 >= next_time:
            t0 = time.perf_counter()
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            for r in indexer.recognizers:
                r.recognize([rgb])
            infer += time.perf_counter() - t0
            classified += 1
            next_time += 1.0 / fps
    capture.release()
    wall = time.perf_counter() - started
    return {"wall_s": wall, "frames_read": read, "frames_classified": classified, "decode_s": decode, "inference_s": infer}


def run_bench(video: str | Path, *, fps: float = 1.0, baseline: bool = True, threads: int = 1) -> dict:
    video = Path(video)
    t0 = time.perf_counter()
    indexer = Indexer(threads=threads)
    load_s = time.perf_counter() - t0
    options = IndexOptions(fps=fps)
    t0 = time.perf_counter()
    doc = indexer.index(video, options)
    wall = time.perf_counter() - t0
    analysis = indexer.last_analysis
    info, timings = analysis.info, analysis.timings
    report: dict = {
        "videolabels": __version__,
        "machine": machine_description(),
        "video": {
            "file": video.name,
            "duration_s": round(info.duration, 3),
            "width": info.width,
            "height": info.height,
            "codec": info.codec,
            "fps": round(info.fps, 3),
            "keyframe_interval_s": info.keyframe_interval,
        },
        "settings": {"sample_fps": fps, "threads": threads},
        "model_load_s": round(load_s, 3),
        "wall_s": round(wall, 3),
        "realtime_factor": round(info.duration / wall, 1) if wall > 0 else None,
        "frames_sampled": timings.frames_sampled,
        "frames_analyzed": timings.frames_analyzed,
        "detector_frames": timings.detector_frames,
        "stages_s": {
            "probe": round(timings.probe, 3),
            "decode_busy": round(timings.decode_busy, 3),
            "waiting_for_decode": round(timings.decode_wait, 3),
            **{f"inference:{k}": round(v, 3) for k, v in timings.inference.items()},
            "timeline": round(timings.timeline, 4),
            "document": round(timings.document, 4),
        },
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "labels": len(doc["videos"][0]["insights"]["labels"]),
    }
    if baseline:
        base = naive_baseline(video, indexer, fps)
        if "wall_s" in base:
            base["realtime_factor"] = round(info.duration / base["wall_s"], 1)
            report["speedup_vs_baseline"] = round(base["wall_s"] / wall, 2)
        report["baseline"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in base.items()}
    return report


def render_report(report: dict, console: Console) -> None:
    v = report["video"]
    console.print(
        f"[bold]{v['file']}[/]: {v['duration_s']} s, {v['width']}x{v['height']} {v['codec']} {v['fps']} fps"
        f" on {report['machine']['cpu']} ({report['machine']['cores']} cores)"
    )
    table = Table(show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("real-time factor", f"{report['realtime_factor']}x")
    table.add_row("wall time", f"{report['wall_s']} s")
    table.add_row("frames sampled / analysed", f"{report['frames_sampled']} / {report['frames_analyzed']}")
    for stage, seconds in report["stages_s"].items():
        table.add_row(f"  {stage}", f"{seconds} s")
    table.add_row("model load (once)", f"{report['model_load_s']} s")
    table.add_row("peak memory (RSS)", f"{report['peak_rss_mb']} MB")
    if "baseline" in report and "realtime_factor" in report["baseline"]:
        b = report["baseline"]
        table.add_row("naive baseline", f"{b['realtime_factor']}x ({b['wall_s']} s, {b['frames_read']} frames read)")
        table.add_row("speed-up vs baseline", f"{report['speedup_vs_baseline']}x")
    console.print(table)


__all__ = ["machine_description", "naive_baseline", "render_report", "run_bench"]
