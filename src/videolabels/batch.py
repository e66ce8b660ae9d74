"""Many videos at once: `videolabels index DIR_OR_GLOB --jobs N` and `bench --jobs N`.

One video keeps about one core busy (decode thread, classifier, detector thread, see
`pipeline`), so a folder is indexed fastest by several videos at a time, each in its
own worker process. Each worker loads the models once (an `Indexer`) and then indexes
video after video; with more than one worker, inference uses one thread per process.

Workers are plain processes started with the ``forkserver`` context (``spawn`` where
there is none), one pipe each, so the parent always knows which video a worker holds:
a video that crashes its worker (a segfault in a native library) fails alone, with a
one-line error, and a new worker takes the next video. Every other problem with a video
is a one-line error too; the batch goes on.

Longer files (by size) are started first so the batch does not end waiting on one long
video. Documents come back to the parent (they are small) and are written there.
"""

from __future__ import annotations

import glob
import json
import os
import resource
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING

from .cores import usable_cores

if TYPE_CHECKING:  # the parent of a worker pool never needs the models
    from rich.console import Console

    from .pipeline import IndexOptions, Indexer

#: File name extensions taken from a folder (lower case, without the dot).
VIDEO_EXTENSIONS = frozenset(
    {"mp4", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ogv", "m4v", "ts", "wmv", "flv", "3gp"}
)
_GLOB_CHARS = frozenset("*?[")
#: A worker reports a video's progress at most this often (seconds).
_PROGRESS_INTERVAL = 0.5


class BatchError(RuntimeError):
    """The batch as a whole cannot run (the output folder is a file, a worker cannot load the models)."""


@dataclass
class VideoResult:
    """What became of one video of a batch."""

    path: str
    ok: bool = False
    error: str | None = None
    output: str | None = None
    duration_s: float = 0.0
    wall_s: float = 0.0
    frames_sampled: int = 0
    labels: int = 0
    worker: int | None = None  # process id
    peak_rss_mb: float = 0.0  # of the process that indexed it, when it finished

    @property
    def realtime_factor(self) -> float | None:
        return self.duration_s / self.wall_s if self.ok and self.wall_s > 0 else None


@dataclass
class BatchSummary:
    results: list[VideoResult]  # in input order
    jobs: int
    wall_s: float
    #: Peak RSS of each process that indexed (pid -> MB); the parent when jobs == 1.
    worker_peak_rss_mb: dict[int, float] = field(default_factory=dict)
    #: Seconds until every worker had its models loaded (0 when indexing in-process).
    startup_s: float = 0.0

    @property
    def indexed(self) -> list[VideoResult]:
        return [r for r in self.results if r.ok]

    @property
    def failed(self) -> list[VideoResult]:
        return [r for r in self.results if not r.ok]

    @property
    def video_seconds(self) -> float:
        return sum(r.duration_s for r in self.indexed)

    @property
    def realtime_factor(self) -> float | None:
        return self.video_seconds / self.wall_s if self.wall_s > 0 else None


# -- inputs -----------------------------------------------------------------------------


def is_video_file(path: Path) -> bool:
    return path.suffix.lower().lstrip(".") in VIDEO_EXTENSIONS


def is_batch_spec(spec: str | os.PathLike[str]) -> bool:
    """Whether an input names several videos (a folder or a glob) rather than one file."""
    path = Path(spec)
    if path.is_dir():
        return True
    return not path.exists() and bool(_GLOB_CHARS & set(os.fspath(spec)))


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(root) / f for f in files if not f.startswith(".") and is_video_file(Path(f)))
    return sorted(found)


def expand_inputs(specs: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[VideoResult]]:
    """Video files named by files, folders (recursively, by extension) and glob patterns.

    A path that exists is taken as it is; a file that does not exist is kept, so that it
    fails like any bad file. Returns the videos (each once, in the order given, folders
    sorted) and a failure for each folder or pattern that names no video.
    """
    videos: list[Path] = []
    problems: list[VideoResult] = []
    seen: set[str] = set()

    def add(path: Path) -> None:
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            videos.append(path)

    for spec in specs:
        text = os.fspath(spec)
        path = Path(text)
        if path.is_dir():
            found = _walk(path)
            if not found:
                problems.append(VideoResult(path=text, error=f'Folder "{text}" holds no video files ({", ".join(sorted(VIDEO_EXTENSIONS))}).'))
            for p in found:
                add(p)
        elif not path.exists() and _GLOB_CHARS & set(text):
            matches = sorted(glob.glob(os.path.expanduser(text), recursive=True))
            files: list[Path] = []
            for m in map(Path, matches):
                files.extend(_walk(m) if m.is_dir() else [m] if m.is_file() else [])
            if not files:
                problems.append(VideoResult(path=text, error=f'No file matches "{text}".'))
            for p in files:
                add(p)
        else:
            add(path)
    return videos, problems


def output_names(paths: Sequence[Path]) -> dict[Path, str]:
    """``<stem>.index.json`` for each path; names that would collide are told apart.

    Videos with the same stem in different folders get as many of their parent folders
    as it takes (``a_clip.index.json``, ``b_clip.index.json``); the same stem in one
    folder keeps the extension (``clip.mp4.index.json``, ``clip.mkv.index.json``).
    """
    groups: dict[str, list[Path]] = {}
    for p in paths:
        groups.setdefault(p.stem.casefold(), []).append(p)
    names: dict[Path, str] = {}
    for group in groups.values():
        if len(group) == 1:
            names[group[0]] = group[0].stem
            continue
        parents = {p: Path(os.path.abspath(p)).parent.parts[1:] for p in group}
        deepest = max(len(v) for v in parents.values())
        for depth in range(0, deepest + 1):
            for with_ext in (False, True):
                keys = {
                    p: "_".join([*(parents[p][len(parents[p]) - depth :] if depth else ()), p.name if with_ext else p.stem])
                    for p in group
                }
                if len({k.casefold() for k in keys.values()}) == len(group):
                    names.update(keys)
                    break
            else:
                continue
            break
        else:  # the same file twice under different spellings: number them
            names.update({p: f"{p.stem}-{i}" for i, p in enumerate(group, 1)})
    # A made-up name may equal another video's plain stem: the plain one keeps it, the
    # made-up one is numbered.
    plain = {p for group in groups.values() if len(group) == 1 for p in group}
    taken = {names[p].casefold() for p in plain}
    for p in paths:
        if p in plain:
            continue
        name, i = names[p], 1
        while name.casefold() in taken:
            i += 1
            name = f"{names[p]}-{i}"
        taken.add(name.casefold())
        names[p] = name
    return {p: f"{names[p]}.index.json" for p in paths}


# -- indexing ---------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def index_one(
    indexer: Indexer,
    path: Path,
    options: IndexOptions,
    progress: Callable[[float, float], None] | None = None,
    index_kwargs: dict | None = None,
) -> tuple[VideoResult, dict | None]:
    """Index one video; every failure becomes a one-line error in the result.

    ``index_kwargs`` are passed on to `Indexer.index` (e.g. ``label_detail``).
    """
    from .media import MediaError

    result = VideoResult(path=str(path), worker=os.getpid())
    started = time.perf_counter()
    try:
        doc = indexer.index(path, options, progress=progress, **(index_kwargs or {}))
    except MediaError as exc:
        result.error = _one_line(str(exc))
        doc = None
    except Exception as exc:  # a bug or a library failure on this file: it fails alone
        result.error = _one_line(f'Video file "{path}" could not be indexed: {type(exc).__name__}: {exc}')
        doc = None
    result.wall_s = time.perf_counter() - started
    if doc is not None:
        analysis = indexer.last_analysis
        result.ok = True
        result.duration_s = float(analysis.info.duration)
        result.frames_sampled = analysis.timings.frames_sampled
        result.labels = len(doc["videos"][0]["insights"]["labels"])
    result.peak_rss_mb = round(peak_rss_mb(), 1)
    return result, doc


def _worker_main(conn: Connection, threads: int, options: IndexOptions, index_kwargs: dict, report_progress: bool) -> None:
    """A worker process: load the models, then index what the parent sends until None."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    try:
        from .pipeline import Indexer

        indexer = Indexer(threads=threads)
    except Exception as exc:
        conn.send(("fatal", _one_line(f"{type(exc).__name__}: {exc}")))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        task_id, path = task
        progress = None
        if report_progress:
            last = 0.0

            def progress(done: float, total: float, task_id: int = task_id) -> None:
                nonlocal last
                now = time.monotonic()
                if now - last >= _PROGRESS_INTERVAL:
                    last = now
                    conn.send(("progress", task_id, done, total))

        result, doc = index_one(indexer, Path(path), options, progress, index_kwargs)
        conn.send(("done", task_id, result, doc))


def _context():
    method = "forkserver" if "forkserver" in get_all_start_methods() else "spawn"
    ctx = get_context(method)
    if method == "forkserver":
        # Workers fork from a server that has imported these once (not the models:
        # each worker builds its own), instead of importing them again each.
        ctx.set_forkserver_preload(["videolabels.pipeline", "videolabels.recognizers.coco_ssd"])
    return ctx


class _Worker:
    def __init__(self, ctx, threads: int, options: IndexOptions, index_kwargs: dict, report_progress: bool) -> None:
        parent, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main,
            args=(child, threads, options, index_kwargs, report_progress),
            name="videolabels-worker",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.conn = parent
        self.task: int | None = None
        self.ready = False
        self.stopping = False
        self.pid = self.process.pid

    def send(self, message: object) -> None:
        try:
            self.conn.send(message)
        except (BrokenPipeError, OSError):
            pass  # the worker died; its sentinel says so next


class _Display:
    """The overall progress bar on a terminal (nothing when piped) and its counters."""

    def __init__(self, console: Console | None, total: int) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.seconds = 0.0
        self.partial: dict[int, tuple[float, float]] = {}  # task -> (seconds done, total)
        self.bar = None
        if console is not None and console.is_terminal:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("[bold]indexing"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self.task = self.bar.add_task("indexing", total=max(total, 1), counts="")

    @property
    def enabled(self) -> bool:
        return self.bar is not None

    def __enter__(self) -> _Display:
        if self.bar is not None:
            self.bar.start()
            self.refresh()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def progress(self, task: int, done: float, total: float) -> None:
        self.partial[task] = (done, total)
        self.refresh()

    def finished(self, task: int, result: VideoResult) -> None:
        self.partial.pop(task, None)
        self.done += 1
        self.failed += not result.ok
        self.seconds += result.duration_s
        self.refresh()

    def refresh(self) -> None:
        if self.bar is None:
            return
        fractions = sum(min(1.0, d / t) for d, t in self.partial.values() if t > 0)
        in_flight = sum(d for d, _ in self.partial.values())
        failed = f", {self.failed} failed" if self.failed else ""
        counts = f"{self.done}/{self.total} videos{failed}, {self.seconds + in_flight:.0f} s of video"
        self.bar.update(self.task, completed=self.done + fractions, counts=counts)


def default_jobs() -> int:
    return usable_cores()


def run_batch(
    videos: Sequence[Path],
    options: IndexOptions | None = None,
    *,
    jobs: int = 1,
    threads: int = 1,
    on_result: Callable[[VideoResult, dict | None], None] | None = None,
    console: Console | None = None,
    indexer: Indexer | None = None,
    index_kwargs: dict | None = None,
) -> BatchSummary:
    """Index ``videos`` with ``jobs`` worker processes (0: one per core).

    ``on_result(result, document)`` is called in this process as each video finishes
    (document None when it failed), in the order they finish. ``jobs == 1`` indexes
    here, one video after the other (with ``indexer`` if given), with no worker
    process. A progress bar is drawn on ``console`` when it is a terminal.
    ``index_kwargs`` are passed on to `Indexer.index`.
    """
    from .pipeline import IndexOptions

    options = options or IndexOptions()
    options.validate()
    jobs = default_jobs() if jobs <= 0 else jobs
    jobs = max(1, min(jobs, len(videos)))
    results: list[VideoResult | None] = [None] * len(videos)
    peaks: dict[int, float] = {}
    started = time.perf_counter()
    startup = 0.0

    def finish(task: int, result: VideoResult, doc: dict | None, display: _Display) -> None:
        results[task] = result
        if result.worker is not None:
            peaks[result.worker] = max(peaks.get(result.worker, 0.0), result.peak_rss_mb)
        display.finished(task, result)
        if on_result is not None:
            on_result(result, doc)

    with _Display(console, len(videos)) as display:
        if jobs == 1 or not videos:
            if videos and indexer is None:
                from .pipeline import Indexer

                t0 = time.perf_counter()
                indexer = Indexer(threads=threads)
                startup = time.perf_counter() - t0
            for task, path in enumerate(videos):
                progress = (lambda d, t, task=task: display.progress(task, d, t)) if display.enabled else None
                result, doc = index_one(indexer, Path(path), options, progress, index_kwargs)
                finish(task, result, doc, display)
        else:
            startup = _run_workers(videos, options, index_kwargs or {}, jobs, display, finish)
    wall = time.perf_counter() - started
    return BatchSummary(
        results=[r for r in results if r is not None], jobs=jobs, wall_s=wall, worker_peak_rss_mb=peaks, startup_s=startup
    )


def _size(path: Path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _run_workers(
    videos: Sequence[Path],
    options: IndexOptions,
    index_kwargs: dict,
    jobs: int,
    display: _Display,
    finish: Callable[[int, VideoResult, dict | None, _Display], None],
) -> float:
    """Index with worker processes; returns the seconds until all had their models."""
    ctx = _context()
    # Largest first: the batch then ends on short videos, not on one long one alone.
    pending = deque(sorted(range(len(videos)), key=lambda i: -_size(videos[i])))
    started = time.perf_counter()
    startup: float | None = None
    # One inference thread per worker: the workers already keep every core busy.
    def start() -> _Worker:
        return _Worker(ctx, 1, options, index_kwargs, display.enabled)

    workers = [start() for _ in range(jobs)]
    remaining = len(videos)

    def assign(w: _Worker) -> None:
        if pending:
            w.task = pending.popleft()
            w.send((w.task, str(videos[w.task])))
        else:
            w.task, w.stopping = None, True
            w.send(None)

    try:
        while remaining:
            wait([w.conn for w in workers] + [w.process.sentinel for w in workers], timeout=1.0)
            for w in list(workers):
                while True:
                    try:
                        if not w.conn.poll():
                            break
                        message = w.conn.recv()
                    except (EOFError, OSError):
                        break
                    kind = message[0]
                    if kind == "ready":
                        w.ready = True
                        if startup is None and all(x.ready for x in workers):
                            startup = time.perf_counter() - started
                        assign(w)
                    elif kind == "progress":
                        display.progress(message[1], message[2], message[3])
                    elif kind == "done":
                        _, task, result, doc = message
                        w.task = None
                        remaining -= 1
                        finish(task, result, doc, display)
                        assign(w)
                    elif kind == "fatal":
                        raise BatchError(f"a worker could not load the models: {message[1]}")
                if w.process.is_alive() or w.process.exitcode is None:
                    continue
                # The worker is gone: its video (if any) fails alone, a new worker goes on.
                workers.remove(w)
                code = w.process.exitcode
                if not w.ready:
                    raise BatchError(f"a worker process exited (code {code}) before its models were loaded")
                if w.task is not None:
                    how = f"signal {-code}" if code < 0 else f"exit code {code}"
                    task, w.task = w.task, None
                    result = VideoResult(
                        path=str(videos[task]),
                        error=f'Video file "{videos[task]}" could not be indexed: the worker process indexing it died ({how}).',
                        worker=w.pid,
                    )
                    remaining -= 1
                    finish(task, result, None, display)
                if pending:
                    workers.append(start())
        for w in workers:
            if not w.stopping:
                w.send(None)
        for w in workers:
            w.process.join(timeout=10)
    finally:
        for w in workers:
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(timeout=5)
            w.conn.close()
    return startup if startup is not None else time.perf_counter() - started


# -- the `index` command ----------------------------------------------------------------


def index_inputs(
    specs: Sequence[str | os.PathLike[str]],
    options: IndexOptions,
    *,
    jobs: int = 1,
    threads: int = 1,
    output_dir: Path | None = None,
    on_document: Callable[[VideoResult, dict], None] | None = None,
    console: Console | None = None,
    index_kwargs: dict | None = None,
) -> BatchSummary:
    """`videolabels index` for a batch: expand the inputs, index, write the documents.

    With ``output_dir`` each document goes to ``output_dir/<name>.index.json`` (see
    `output_names`) before ``on_document`` is called; inputs that name no video are
    failures of the summary.
    """
    videos, problems = expand_inputs(specs)
    targets = output_names(videos) if output_dir is not None else {}
    if output_dir is not None:
        if output_dir.exists() and not output_dir.is_dir():
            raise BatchError(f'Output "{output_dir}" is a file; with several videos -o names a folder.')
        output_dir.mkdir(parents=True, exist_ok=True)

    def on_result(result: VideoResult, doc: dict | None) -> None:
        if doc is None:
            return
        if output_dir is not None:
            target = output_dir / targets[Path(result.path)]
            target.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            result.output = str(target)
        if on_document is not None:
            on_document(result, doc)

    summary = run_batch(
        videos, options, jobs=jobs, threads=threads, on_result=on_result, console=console, index_kwargs=index_kwargs
    )
    summary.results = problems + summary.results
    return summary


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min {secs:02d} s" if hours else f"{minutes} min {secs:02d} s"


def summary_lines(summary: BatchSummary) -> list[str]:
    """The failures (one line each, ``videolabels: error: ...``), then one summary line."""
    lines = [f"videolabels: error: {r.error}" for r in summary.failed]
    total = len(summary.results)
    failed = f", {len(summary.failed)} failed" if summary.failed else ""
    rtf = summary.realtime_factor
    speed = f" ({rtf:.1f}x real time)" if rtf else ""
    jobs = f"{summary.jobs} job{'s' if summary.jobs != 1 else ''}"
    lines.append(
        f"Indexed {len(summary.indexed)} of {total} video{'s' if total != 1 else ''}{failed}: "
        f"{_duration(summary.video_seconds)} of video in {_duration(summary.wall_s)} with {jobs}{speed}."
    )
    return lines


__all__ = [
    "BatchError",
    "BatchSummary",
    "VIDEO_EXTENSIONS",
    "VideoResult",
    "default_jobs",
    "expand_inputs",
    "index_inputs",
    "index_one",
    "is_batch_spec",
    "output_names",
    "run_batch",
    "summary_lines",
]
