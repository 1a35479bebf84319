"""`ctdhub demo generate|run`: invented contributor files, and a whole demo hub built from them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from ctdhub.cli.output import Result, command_output, wants_json
from ctdhub.cli.progress import stage_progress
from ctdhub.errors import CtdhubError
from ctdhub.ingest import STAGES, ingest_file
from ctdhub.standard import load_standard
from ctdhub.store import init_store


@click.group()
def demo() -> None:
    """Invented demo data: three contributors in three shapes."""


@demo.command("generate")
@click.option("--rows", type=click.IntRange(min=10), default=30_000, show_default=True, help="Total rows.")
@click.option("--dir", "out_dir", type=click.Path(file_okay=False), default="demo-files", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@command_output
def demo_generate(rows: int, out_dir: str, seed: int) -> Result:
    """Write files for three invented contributors (CSV, Latin-1 semicolon CSV, Spanish .xlsx)."""
    from ctdhub.demo.generate import generate

    files = generate(Path(out_dir), rows, seed=seed)
    data = {"files": [_file_dict(f) for f in files]}
    return Result(data, [f"{f.contributor:<20} {f.rows:>9} rows  {f.path}  (spec {f.spec})" for f in files])


def _file_dict(f: Any) -> dict[str, Any]:
    return {
        "contributor": f.contributor,
        "path": str(f.path),
        "spec": str(f.spec),
        "rows": f.rows,
        "description": f.description,
    }


@demo.command("run")
@click.option("--rows", type=click.IntRange(min=10), default=30_000, show_default=True, help="Total rows.")
@click.option("--dir", "out_dir", type=click.Path(file_okay=False), default="demo-hub", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--fresh/--keep", default=True, show_default=True, help="Start from an empty directory.")
@command_output
def demo_run(rows: int, out_dir: str, seed: int, fresh: bool) -> Result:
    """Generate the demo files, create a hub store and ingest every file."""
    from ctdhub.demo.generate import generate

    base = Path(out_dir)
    if fresh and base.exists():
        if not (base / "hub").exists() and any(base.iterdir()):
            raise CtdhubError(f"{base} exists and is not a demo hub; choose another --dir.")
        shutil.rmtree(base)
    files = generate(base / "files", rows, seed=seed)
    hub, _ = init_store(base / "hub")
    reports = []
    lines = [f"Demo hub at {hub.path}: {len(files)} invented contributors."]
    for f in files:
        with stage_progress(f"ingest {f.path.name}", STAGES) as step:
            r = ingest_file(hub, f.path, f.contributor, f.spec, progress=step)
        reports.append(r.to_dict())
        lines.append(
            f"  {f.contributor:<20} read {r.rows_read:>8}  stored {r.rows_stored:>8}  "
            f"quarantined {r.rows_quarantined:>6}  ({f.path.name})"
        )
    summary = load_standard().summary()
    with hub.connect() as con:
        row = con.execute("SELECT count(*), count(DISTINCT contributor) FROM cases").fetchone()
    cases = int(row[0]) if row else 0
    lines.append(f"Store holds {cases} cases in the standard {summary.get('version')}.")
    if not wants_json():
        lines.append("Next: ctdhub quarantine list --store " + str(hub.path))
    return Result(
        {"store": str(hub.path), "files": [_file_dict(f) for f in files], "ingests": reports, "cases": cases},
        lines,
    )
