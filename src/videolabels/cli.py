"""Command line: `videolabels index | labels | bench | serve | languages`.

Commands stay thin: they parse arguments, call the library (`pipeline`, `bench`, ...)
and render. Errors about a user's input are one line on stderr, never a traceback, and
a bad file in a batch does not stop the others.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__

app = typer.Typer(
    name="videolabels",
    help="Offline labels identification for video, compatible with Azure AI Video Indexer.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"videolabels: error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"videolabels {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    """Offline labels identification for video, compatible with Azure AI Video Indexer."""


def _output_path(out_opt: Path | None, video: Path, many: bool) -> Path | None:
    if out_opt is None:
        return None
    if many or out_opt.is_dir() or str(out_opt).endswith(("/", "\\")):
        out_opt.mkdir(parents=True, exist_ok=True)
        return out_opt / f"{video.stem}.index.json"
    out_opt.parent.mkdir(parents=True, exist_ok=True)
    return out_opt


@app.command()
def index(
    paths: Annotated[list[Path], typer.Argument(help="Video files to index.", show_default=False)],
    output: Annotated[
        Optional[Path], typer.Option("-o", "--output", help="Output file (one video) or directory (any number).")
    ] = None,
    fps: Annotated[float, typer.Option(help="Frames sampled per second of video.")] = 1.0,
    min_confidence: Annotated[
        Optional[float], typer.Option("--min-confidence", help="Lowest confidence a label needs to appear [default: 0.5].")
    ] = None,
    include_summarized_insights: Annotated[
        bool, typer.Option("--include-summarized-insights", help="Add summarizedInsights (label appearances).")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="json (the Video Indexer document) or table.")] = "json",
    threads: Annotated[int, typer.Option(help="Threads for model inference.")] = 1,
    label_detail: Annotated[
        bool,
        typer.Option(
            "--label-detail",
            help="Add each label's WordNet synset, parents, category paths and kind (scene/activity) "
            "to the JSON, after Video Indexer's keys; the table gains a parents column.",
        ),
    ] = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Videos indexed at once, each in its own process (0: one per core).")
    ] = 1,
    skip_static: Annotated[
        bool,
        typer.Option(
            "--skip-static/--no-skip-static",
            help="Don't decode inside a group of pictures (up to 4 s) whose two keyframes look the same: "
            "1.7x faster on fixed-camera footage. --no-skip-static decodes every sampled frame "
            "(something that comes and goes between two matching keyframes is then seen too).",
        ),
    ] = True,
    language: Annotated[
        str,
        typer.Option("--language", "-l", help="Language of label names, e.g. fr-FR, ja-JP, he-IL (see `videolabels languages`)."),
    ] = "en-US",
) -> None:
    """Index videos into Video Indexer-compatible label insights.

    PATHS are video files, folders (searched recursively for video files) or quoted
    glob patterns ("clips/**/*.mp4").
    """
    from .pipeline import DEFAULT_MIN_CONFIDENCE, IndexOptions, Indexer
    from .media import MediaError
    from .progress import progress_for

    if fmt not in ("json", "table"):
        raise fail(f"--format must be json or table, not {fmt!r}", 2)
    options = IndexOptions(
        fps=fps,
        min_confidence=DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence,
        include_summarized_insights=include_summarized_insights,
        skip_static_gops=skip_static,
        language=language,
    )
    try:
        options.validate()
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if jobs < 0:
        raise fail(f"--jobs must be 0 (one per core) or more, got {jobs}", 2)

    from .batch import is_batch_spec

    if len(paths) > 1 or any(is_batch_spec(p) for p in paths):
        _index_batch(paths, options, output=output, fmt=fmt, threads=threads, jobs=jobs, label_detail=label_detail)
        return

    indexer = Indexer(threads=threads)
    many = len(paths) > 1
    failures = 0
    for path in paths:
        try:
            with progress_for(path.name, err) as progress:
                doc = indexer.index(path, options, progress=progress, label_detail=label_detail)
        except MediaError as exc:
            failures += 1
            fail(str(exc))
            continue
        target = _output_path(output, path, many)
        if target is not None:
            target.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            if fmt == "table":
                _print_table(doc)
            else:
                err.print(f"{path} -> {target}", markup=False, highlight=False)
        elif fmt == "table":
            _print_table(doc)
        else:
            sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=None if many else 2) + "\n")
    if failures:
        raise typer.Exit(1)


def _index_batch(
    paths: list[Path], options, *, output: Path | None, fmt: str, threads: int, jobs: int, label_detail: bool
) -> None:
    """Several videos (files, folders, globs): `batch.index_inputs`, then its summary."""
    from .batch import BatchError, index_inputs, summary_lines

    def show(result, doc: dict) -> None:
        if fmt == "table":
            _print_table(doc)
        elif result.output is not None:
            err.print(f"{result.path} -> {result.output}", markup=False, highlight=False)
        else:
            sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
            sys.stdout.flush()

    try:
        summary = index_inputs(
            paths, options, jobs=jobs, threads=threads, output_dir=output, on_document=show, console=err,
            index_kwargs={"label_detail": True} if label_detail else None,
        )
    except BatchError as exc:
        raise fail(str(exc)) from None
    for line in summary_lines(summary):
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    if summary.failed:
        raise typer.Exit(1)


def _print_table(doc: dict) -> None:
    from .insights import parse_timespan

    insights = doc["videos"][0]["insights"]
    table = Table(title=f"{doc['name']} ({insights['duration']})", title_justify="left")
    detail = any("parents" in label for label in insights["labels"])
    table.add_column("label")
    table.add_column("category")
    if detail:
        table.add_column("parents")
    table.add_column("on screen", justify="right")
    table.add_column("instances")
    rows = []
    for label in insights["labels"]:
        spans = [(parse_timespan(i["start"]), parse_timespan(i["end"]), i["confidence"]) for i in label["instances"]]
        total = sum(e - s for s, e, _ in spans)
        shown = ", ".join(f"{i['start']}-{i['end']} ({i['confidence']:.2f})" for i in label["instances"][:4])
        if len(spans) > 4:
            shown += f", +{len(spans) - 4} more"
        name = label["name"] + (f" ({label['kind']})" if label.get("kind") else "")
        extra = [", ".join(label.get("parents", []))] if detail else []
        rows.append((total, name, label.get("referenceId", ""), extra, shown))
    for total, name, ref, extra, shown in sorted(rows, key=lambda r: -r[0]):
        table.add_row(name, ref, *extra, (f"{total:.2f}s" if total < 1 else f"{total:.1f}s"), shown)
    if not rows:
        out.print(f"{doc['name']}: no labels above the confidence threshold")
        return
    out.print(table)


@app.command("labels")
def labels_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the labels the default models can emit."""
    from .vocabulary import Vocabulary

    vocab = Vocabulary.load()
    labels = sorted(vocab.labels.values(), key=lambda lb: lb.name)
    if as_json:
        rows = [{"name": lb.name, "referenceId": lb.reference_id, "synset": lb.synset} for lb in labels]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{len(labels)} labels")
    table.add_column("name")
    table.add_column("referenceId")
    table.add_column("WordNet synset")
    for lb in labels:
        table.add_row(lb.name, lb.reference_id or "", lb.synset or "")
    out.print(table)


@app.command("languages")
def languages_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the languages label names can be returned in (like Get Supported Languages)."""
    from .localize import supported_languages

    langs = supported_languages()
    if as_json:
        sys.stdout.write(json.dumps(langs, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{len(langs)} languages")
    table.add_column("languageCode")
    table.add_column("name")
    table.add_column("right to left", justify="center")
    table.add_column("source", justify="center")
    table.add_column("labels translated", justify="right")
    for lang in langs:
        table.add_row(lang["languageCode"], lang["name"], "yes" if lang["isRightToLeft"] else "",
                      "yes" if lang["isSourceLanguage"] else "", f"{lang['labelsTranslated']:.1%}")
    out.print(table)


@app.command()
def bench(
    videos: Annotated[list[Path], typer.Argument(help="Video to benchmark; several, a folder or a glob: a batch.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the measurements as JSON.")] = False,
    fps: Annotated[float, typer.Option(help="Frames sampled per second.")] = 1.0,
    baseline: Annotated[bool, typer.Option(help="Also time the naive OpenCV baseline.")] = True,
    threads: Annotated[int, typer.Option(help="Threads for model inference.")] = 1,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Batch: videos indexed at once, each in its own process (0: one per core).")
    ] = 1,
    skip_static: Annotated[
        bool, typer.Option("--skip-static/--no-skip-static", help="As `index --skip-static/--no-skip-static`.")
    ] = True,
    repeat: Annotated[
        int, typer.Option("--repeat", help="Runs of one video (models loaded once); the median is reported.")
    ] = 3,
) -> None:
    """Measure indexing speed: real-time factor, stage times, peak memory."""
    from .batch import is_batch_spec
    from .bench import render_report, run_bench
    from .media import MediaError

    if len(videos) > 1 or jobs != 1 or any(is_batch_spec(v) for v in videos):
        from .batch import BatchError
        from .bench import render_batch_report, run_batch_bench

        if jobs < 0:
            raise fail(f"--jobs must be 0 (one per core) or more, got {jobs}", 2)
        try:
            report = run_batch_bench(videos, jobs=jobs, fps=fps, threads=threads, skip_static=skip_static)
        except BatchError as exc:
            raise fail(str(exc)) from None
        if as_json:
            sys.stdout.write(json.dumps(report, indent=2) + "\n")
        else:
            render_batch_report(report, out)
        if report["failed"]:
            raise typer.Exit(1)
        return
    video = videos[0]
    try:
        if repeat < 1:
            raise fail(f"--repeat must be 1 or more, got {repeat}", 2)
        report = run_bench(video, fps=fps, baseline=baseline, threads=threads, skip_static=skip_static, repeat=repeat)
    except MediaError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        render_report(report, out)


@app.command()
def serve(
    host: Annotated[
        Optional[str], typer.Option(help="Address to listen on (env VIDEOLABELS_HOST, default 127.0.0.1).")
    ] = None,
    port: Annotated[
        Optional[int], typer.Option(help="Port; 0 picks a free one (env VIDEOLABELS_PORT, default 8000).")
    ] = None,
    data_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--data-dir",
            help="Database, keys, videos and thumbnails "
            "(env VIDEOLABELS_DATA_DIR, default ~/.local/share/videolabels).",
        ),
    ] = None,
    workers: Annotated[
        Optional[int], typer.Option(help="Videos indexed at once (env VIDEOLABELS_WORKERS, default 1).")
    ] = None,
) -> None:
    """Run the HTTP API (Azure AI Video Indexer's routes for the labels insight)."""
    from pydantic import ValidationError

    from .service import Settings
    from .service import serve as run

    flags = {"host": host, "port": port, "data_dir": data_dir, "workers": workers}
    try:
        settings = Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise fail(problems, 2) from None
    try:
        run(settings)
    except OSError as exc:
        raise fail(str(exc)) from None


if __name__ == "__main__":  # pragma: no cover
    app()
