"""A progress bar on a terminal, nothing when output is piped or captured."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from .pipeline import ProgressCallback


@contextlib.contextmanager
def progress_for(title: str, console: Console) -> Iterator[ProgressCallback | None]:
    if not console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[where]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(title, total=None, where="")

        def update(done: float, total: float) -> None:
            bar.update(task, completed=done, total=max(total, 1e-9), where=f"{done:.0f}/{total:.0f} s")

        yield update
