"""`videolabels bench`: measured speed, so every number in README can be re-run.

Reports the real-time factor (seconds of video per wall second), where the time goes
(decode vs each model, and each of the two measured alone: the pipeline overlaps them,
so its wall time should stay near the slower), the frames sampled and analysed, CPU time
and peak memory, next to a
naive baseline measured in the same run: OpenCV reads every frame, one frame per second
is classified by the same models, nothing overlaps. Model loading is timed apart: a
server or a batch loads the models once.
"""

from __future__ import annotations

import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import cv2
from rich.console import Console
from rich.table import Table

from . import __version__
from .media import sample_frames
from .cores import usable_cores
from .pipeline import Analysis, IndexOptions, Indexer


#: CPU features the int8 and float kernels of the models depend on. Virtual machines of
#: one type have reported the same "AMD EPYC" with and without AVX-512, and the int8
#: classifier took 14 ms a look on one and 42 ms on the other: a report says which it was.
SIMD_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def machine_description() -> dict:
    cpu = platform.processor() or "unknown"
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            found_name = False
            for line in fh:
                if line.startswith("model name") and not found_name:
                    cpu, found_name = line.split(":", 1)[1].strip(), True
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": usable_cores(),
        "simd": [flag for flag in SIMD_FLAGS if flag in flags],
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
    }


def source_commit(source: Path | None = None) -> str | None:
    """The git commit of the code that ran (`source`: this module), when it runs from a
    checkout (an editable install), with "+changes" if the files of its folder differ
    from that commit; None otherwise.

    Speed moves with every change to the pipeline, so a report that will stand in README
    says which version measured it.
    """
    source = (source or Path(__file__)).resolve()
    here = source.parent

    def git(*args: str) -> subprocess.CompletedProcess | None:
        try:
            return subprocess.run(["git", "-C", str(here), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None

    # Only a checkout's own files: an installed copy inside some other repository
    # (a virtual environment in a project folder) is not that repository's code.
    tracked = git("ls-files", "--error-unmatch", source.name)
    head = git("rev-parse", "--short=7", "HEAD")
    if tracked is None or tracked.returncode != 0 or head is None or head.returncode != 0:
        return None
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    return head.stdout.strip() + ("+changes" if changed is None or changed.stdout.strip() else "")


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


#: The stages-alone measurement keeps every sampled frame in memory; above this many
#: (about 1 GB of 640-px frames) it is left out of the report.
STAGES_ALONE_MAX_FRAMES = 1500


def stages_alone_once(video: Path, indexer: Indexer, options: IndexOptions) -> tuple[tuple[float, float], tuple[float, float]]:
    """(wall, CPU) of decoding alone and of the models alone, once, for the same sampling.

    "Decode" is `sample_frames` with the options `Indexer.analyze` uses (the frames it
    needs, nothing else); "models" is `Indexer.analyze` fed those frames from memory. The
    pipeline overlaps the two, so its wall time should be close to the slower one, unless
    the two together need more CPU than the cores give in that time: the models alone
    already keep two cores busy (the detector's thread beside the classifier's), so on
    2 cores no pipeline beats (decode CPU + models CPU) / cores, `cpu_bound_s`.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    frames = list(sample_frames(video, **options.sampling()))
    decode = (time.perf_counter() - t0, time.process_time() - c0)
    t0, c0 = time.perf_counter(), time.process_time()
    indexer.analyze(video, options, frames=frames)
    return decode, (time.perf_counter() - t0, time.process_time() - c0)


def stages_alone_report(decodes: list[tuple[float, float]], models: list[tuple[float, float]], wall: float) -> dict:
    """The median run of each stage alone, set against the pipeline's median `wall`."""
    (decode_s, decode_cpu), (models_s, models_cpu) = _median_run(decodes), _median_run(models)
    bound = max(decode_s, models_s, (decode_cpu + models_cpu) / usable_cores())
    slower = max(decode_s, models_s)
    return {
        "decode_s": round(decode_s, 3),
        "models_s": round(models_s, 3),
        "decode_cpu_s": round(decode_cpu, 3),
        "models_cpu_s": round(models_cpu, 3),
        "cpu_bound_s": round(bound, 3),
        "decode_runs_s": [round(run[0], 3) for run in decodes],
        "models_runs_s": [round(run[0], 3) for run in models],
        "pipeline_vs_slower_stage": round(wall / slower, 2) if slower > 0 else None,
        "pipeline_vs_cpu_bound": round(wall / bound, 2) if bound > 0 else None,
    }


def _median_run(runs: list[tuple[float, ...]]) -> tuple[float, ...]:
    """The run of median wall time (its first item)."""
    return sorted(runs, key=lambda run: run[0])[len(runs) // 2]


def run_bench(
    video: str | Path,
    *,
    fps: float = 1.0,
    baseline: bool = True,
    threads: int = 1,
    skip_static: bool = True,
    repeat: int = 3,
) -> dict:
    """Index `video` `repeat` times with the models loaded once; the median run is reported.

    The first run of a process also pays one-time costs (libraries' first calls, memory
    the allocators keep afterwards: 0.05-0.15 s here), which a server or a batch pays once;
    it is reported apart as `first_run_s`, and every run's wall time in `runs_s`.

    Decoding alone and the models alone (`stages_alone_once`) are measured as often, each
    pair right after a run of the pipeline (pipeline, decode, models, pipeline, ...): the
    VMs here slowed down or sped up by 5-15 % from one minute to the next, and timing
    the two sides of the ratio apart (the pipeline's runs first, then the stages') made
    the ratio swing by as much. Peak memory is read after the first run, before any
    stage runs alone, since those hold every sampled frame in memory.
    """
    video = Path(video)
    t0 = time.perf_counter()
    indexer = Indexer(threads=threads)
    load_s = time.perf_counter() - t0
    options = IndexOptions(fps=fps, skip_static_gops=skip_static)
    runs: list[tuple[float, float, dict, Analysis]] = []
    decodes: list[tuple[float, float]] = []
    models: list[tuple[float, float]] = []
    peak_rss = 0.0
    for index in range(max(1, repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        doc = indexer.index(video, options)
        runs.append((time.perf_counter() - t0, time.process_time() - c0, doc, indexer.last_analysis))
        if index == 0:
            peak_rss = _peak_rss_mb()
            time_stages = indexer.last_analysis.info.duration * options.fps <= STAGES_ALONE_MAX_FRAMES
        if time_stages:
            decode, model = stages_alone_once(video, indexer, options)
            decodes.append(decode)
            models.append(model)
    wall, cpu, doc, analysis = _median_run(runs)
    info, timings = analysis.info, analysis.timings
    report: dict = {
        "videolabels": __version__,
        "commit": source_commit(),
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
        "settings": {"sample_fps": fps, "threads": threads, "skip_static": skip_static},
        "model_load_s": round(load_s, 3),
        "wall_s": round(wall, 3),
        "runs_s": [round(run[0], 3) for run in runs],
        "first_run_s": round(runs[0][0], 3),
        "realtime_factor": round(info.duration / wall, 1) if wall > 0 else None,
        "frames_sampled": timings.frames_sampled,
        "frames_analyzed": timings.frames_analyzed,
        "looks": dict(timings.looks),
        "stages_s": {
            "probe": round(timings.probe, 3),
            "decode_busy": round(timings.decode_busy, 3),
            "waiting_for_decode": round(timings.decode_wait, 3),
            **{f"inference:{k}": round(v, 3) for k, v in timings.inference.items()},
            "timeline": round(timings.timeline, 4),
            "document": round(timings.document, 4),
        },
        "cpu_s": round(cpu, 3),
        "peak_rss_mb": round(peak_rss, 1),
        "labels": len(doc["videos"][0]["insights"]["labels"]),
    }
    if decodes:
        report["stages_alone"] = stages_alone_report(decodes, models, wall)
    if baseline:
        base = naive_baseline(video, indexer, fps)
        if "wall_s" in base:
            base["realtime_factor"] = round(info.duration / base["wall_s"], 1)
            report["speedup_vs_baseline"] = round(base["wall_s"] / wall, 2)
        report["baseline"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in base.items()}
    return report


class RssSampler:
    """Samples the memory of this process and all its descendants in a thread.

    ``samples`` are (seconds since start, MB): the resident set sizes added up, which
    counts pages that processes share (libraries, the forkserver's imports) once per
    process; ``pss_samples`` (Linux) share them out instead, so their total is what
    the machine holds. ``peak_mb`` / ``peak_pss_mb`` are the highest totals seen.
    """

    def __init__(self, interval: float = 0.5, pid: int | None = None, pss: bool = True) -> None:
        import threading

        import psutil

        self.interval = interval
        self._process = psutil.Process(pid)
        self._pss = pss and sys.platform.startswith("linux")
        self.samples: list[tuple[float, float]] = []
        self.pss_samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="videolabels-rss", daemon=True)
        self._t0 = time.perf_counter()

    def _sample(self) -> None:
        import psutil

        rss = pss = 0
        try:
            processes = [self._process, *self._process.children(recursive=True)]
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            processes = []  # the process ended
        for proc in processes:
            try:
                if self._pss:
                    full = proc.memory_full_info()
                    rss, pss = rss + full.rss, pss + full.pss
                else:
                    rss += proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        t = time.perf_counter() - self._t0
        self.samples.append((t, rss / 2**20))
        if self._pss:
            self.pss_samples.append((t, pss / 2**20))

    def _run(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(self.interval):
                return

    @property
    def peak_mb(self) -> float:
        return max((mb for _, mb in self.samples), default=0.0)

    @property
    def peak_pss_mb(self) -> float | None:
        return max((mb for _, mb in self.pss_samples), default=0.0) if self._pss else None

    def __enter__(self) -> "RssSampler":
        self._t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def run_batch_bench(
    paths: list[str | Path], *, jobs: int = 1, fps: float = 1.0, threads: int = 1, skip_static: bool = True
) -> dict:
    """Throughput of a batch (`videolabels index PATH... --jobs N`): video seconds per wall second.

    The wall time includes starting the workers and loading their models (`startup_s`,
    once per worker): that is what a batch costs. Memory: each worker's own peak RSS
    and the peak of all processes together, sampled every 0.2 s.
    """
    from .batch import default_jobs, expand_inputs, run_batch

    videos, problems = expand_inputs(paths)
    options = IndexOptions(fps=fps, skip_static_gops=skip_static)
    with RssSampler(interval=0.2) as rss:
        summary = run_batch(videos, options, jobs=jobs, threads=threads)
    results = problems + summary.results
    wall = summary.wall_s
    return {
        "videolabels": __version__,
        "commit": source_commit(),
        "machine": machine_description(),
        "settings": {
            "sample_fps": fps,
            "skip_static": skip_static,
            "jobs": summary.jobs,
            "jobs_asked": jobs if jobs > 0 else f"0 (one per core: {default_jobs()})",
            "threads_per_worker": threads if summary.jobs == 1 else 1,
            "in_process": summary.jobs == 1,
        },
        "videos": len(results),
        "indexed": len(summary.indexed),
        "failed": len(results) - len(summary.indexed),
        "video_s": round(summary.video_seconds, 3),
        "wall_s": round(wall, 3),
        "realtime_factor": round(summary.video_seconds / wall, 2) if wall > 0 else None,
        "startup_s": round(summary.startup_s, 3),
        "realtime_factor_after_startup": (
            round(summary.video_seconds / (wall - summary.startup_s), 2) if wall > summary.startup_s else None
        ),
        "peak_rss_mb": {
            "per_worker_max": round(max(summary.worker_peak_rss_mb.values(), default=0.0), 1),
            "per_worker": {str(pid): mb for pid, mb in summary.worker_peak_rss_mb.items()},
            "all_processes": round(rss.peak_mb, 1),
            "all_processes_pss": round(rss.peak_pss_mb, 1) if rss.peak_pss_mb is not None else None,
        },
        "per_video": [
            {
                "file": r.path,
                "ok": r.ok,
                "error": r.error,
                "duration_s": round(r.duration_s, 3),
                "wall_s": round(r.wall_s, 3),
                "realtime_factor": round(r.realtime_factor, 2) if r.realtime_factor else None,
                "frames_sampled": r.frames_sampled,
                "labels": r.labels,
                "worker": r.worker,
            }
            for r in results
        ],
    }


def render_batch_report(report: dict, console: Console) -> None:
    s, m = report["settings"], report["machine"]
    console.print(
        f"[bold]{report['videos']} videos[/], {report['video_s']} s of video, {s['jobs']} job(s)"
        f" on {m['cpu']} ({m['cores']} cores)"
    )
    table = Table(show_header=True)
    for name, justify in (("video", "left"), ("duration", "right"), ("wall", "right"), ("real-time", "right"), ("worker", "right")):
        table.add_column(name, justify=justify)
    for v in report["per_video"]:
        if v["ok"]:
            table.add_row(Path(v["file"]).name, f"{v['duration_s']} s", f"{v['wall_s']} s", f"{v['realtime_factor']}x", str(v["worker"]))
        else:
            table.add_row(Path(v["file"]).name, "failed", "", "", str(v["worker"] or ""))
    console.print(table)
    rss = report["peak_rss_mb"]
    console.print(
        f"batch: [bold]{report['realtime_factor']}x[/] real time ({report['video_s']} s of video in {report['wall_s']} s wall,"
        f" {report['startup_s']} s of it starting workers and loading models); peak RSS {rss['per_worker_max']} MB per worker,"
        f" {rss['all_processes']} MB all processes (RSS summed; {rss['all_processes_pss']} MB proportional set size);"
        f" {report['failed']} failed"
    )
    for v in report["per_video"]:
        if not v["ok"]:
            console.print(f"failed: {v['error']}", markup=False, highlight=False)


def render_report(report: dict, console: Console) -> None:
    v = report["video"]
    console.print(
        f"[bold]{v['file']}[/]: {v['duration_s']} s, {v['width']}x{v['height']} {v['codec']} {v['fps']} fps"
        f" on {report['machine']['cpu']} ({report['machine']['cores']} cores)"
        + (f", commit {report['commit']}" if report.get("commit") else "")
    )
    table = Table(show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("real-time factor", f"{report['realtime_factor']}x")
    table.add_row("wall time (median)", f"{report['wall_s']} s of {', '.join(map(str, report['runs_s']))}")
    table.add_row("frames sampled / analysed", f"{report['frames_sampled']} / {report['frames_analyzed']}")
    for stage, seconds in report["stages_s"].items():
        table.add_row(f"  {stage}", f"{seconds} s")
    if "stages_alone" in report:
        a = report["stages_alone"]
        table.add_row("decoding alone / models alone", f"{a['decode_s']} s / {a['models_s']} s")
        table.add_row("pipeline / slower stage alone", f"{a['pipeline_vs_slower_stage']}x")
        if "pipeline_vs_cpu_bound" in a:
            table.add_row("pipeline / CPU bound (both stages' CPU / cores)", f"{a['pipeline_vs_cpu_bound']}x")
    table.add_row("CPU time (all threads)", f"{report['cpu_s']} s")
    table.add_row("model load (once)", f"{report['model_load_s']} s")
    table.add_row("peak memory (RSS)", f"{report['peak_rss_mb']} MB")
    if "baseline" in report and "realtime_factor" in report["baseline"]:
        b = report["baseline"]
        table.add_row("naive baseline", f"{b['realtime_factor']}x ({b['wall_s']} s, {b['frames_read']} frames read)")
        table.add_row("speed-up vs baseline", f"{report['speedup_vs_baseline']}x")
    console.print(table)


__all__ = [
    "RssSampler",
    "machine_description",
    "source_commit",
    "naive_baseline",
    "render_batch_report",
    "render_report",
    "run_batch_bench",
    "run_bench",
]
