"""Work the portal runs in a background thread — a release build, an ingest — while a page shows its stage.

`run_in_background` is the one runner: it feeds the work's progress stages into the job, turns a library
error into the job's sentence (`failed`) and any other failure into a logged, generic one (`crashed`), runs
the cleanup, and marks the job finished. The job objects (the admin's `Build`, the contributor's `Job`)
keep what their own pages show.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from ctdhub.errors import CtdhubError

log = logging.getLogger(__name__)


class Progressing(Protocol):
    """What the runner writes on a job."""

    stage: str
    error: str
    finished: datetime | None


def run_in_background(
    job: Progressing,
    work: Callable[[Callable[[str], None]], None],
    *,
    name: str,
    failed: Callable[[CtdhubError], str],
    crashed: Callable[[Exception], str],
    cleanup: Callable[[], None] | None = None,
) -> None:
    """Start `work(step)` in a daemon thread named `name`; `step(stage)` shows the stage on `job`."""

    def step(stage: str) -> None:
        job.stage = stage

    def target() -> None:
        try:
            work(step)
        except CtdhubError as exc:
            job.error = failed(exc)
        except Exception as exc:  # a thread's failure must reach the page (and the log), not vanish
            log.exception("%s failed", name)
            job.error = crashed(exc)
        finally:
            if cleanup is not None:
                cleanup()
            job.finished = datetime.now(UTC)

    threading.Thread(target=target, name=name, daemon=True).start()
