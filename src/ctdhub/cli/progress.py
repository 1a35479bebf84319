"""A progress display on stderr for long commands: shown only on a terminal and never with `--json`."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ctdhub.cli.output import wants_json


class StageCallback(Protocol):
    def __call__(self, stage: str) -> None: ...


@contextmanager
def stage_progress(title: str, stages: Sequence[str]) -> Iterator[StageCallback]:
    """Yield a callback `step(stage)`; draws a bar advancing through `stages` when useful."""
    if wants_json() or not sys.stderr.isatty():
        yield lambda _stage: None
        return
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(title, total=len(stages), stage="")
        seen: list[str] = []

        def step(stage: str) -> None:
            if seen:
                bar.advance(task)
            seen.append(stage)
            bar.update(task, stage=stage)

        yield step
        bar.update(task, completed=len(stages))


class CountCallback(Protocol):
    def __call__(self, done: int, total: int) -> None: ...


@contextmanager
def count_progress(title: str) -> Iterator[CountCallback]:
    """Yield a callback `tick(done, total)`; draws a bar of a known total (rows, say) when useful."""
    if wants_json() or not sys.stderr.isatty():
        yield lambda _done, _total: None
        return
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(title, total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tick
