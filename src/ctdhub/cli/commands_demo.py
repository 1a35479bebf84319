"""`ctdhub demo generate|run`: invented contributor files, and a whole demo hub built from them (the
contributors encode names for record linkage; the hub links, releases and serves)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ctdhub.cli.output import Result, command_output, wants_json
from ctdhub.cli.progress import count_progress, stage_progress
from ctdhub.errors import CtdhubError
from ctdhub.ingest import STAGES, ingest_file
from ctdhub.linkage.find import STAGES as FIND_STAGES
from ctdhub.release.create import STAGES as RELEASE_STAGES
from ctdhub.release.create import create_release
from ctdhub.standard import load_standard
from ctdhub.store import Hub, init_store

if TYPE_CHECKING:
    from ctdhub.demo.linkage import EncodedFile


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
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve the dashboard at the end.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@command_output
def demo_run(rows: int, out_dir: str, seed: int, fresh: bool, serve: bool, host: str, port: int) -> Result:
    """Generate the demo files, encode names for record linkage as the contributors would, create a hub
    store, ingest every file, link the records of one person, release, and serve the dashboard."""
    from ctdhub.demo.generate import generate, truth_path
    from ctdhub.demo.linkage import evaluate_against_truth, link_demo, write_demo_policy

    base = Path(out_dir)
    if fresh and base.exists():
        if not (base / "hub").exists() and any(base.iterdir()):
            raise CtdhubError(f"{base} exists and is not a demo hub; choose another --dir.")
        shutil.rmtree(base)
    files = generate(base / "files", rows, seed=seed)
    hub, _ = init_store(base / "hub")
    lines = [f"Demo hub at {hub.path}: {len(files)} invented contributors."]
    secret_file, encoded, encode_lines = _encode_as_contributors(files, base)
    lines += encode_lines
    sent = {e.raw.contributor: e.to_ingest() for e in encoded}
    ingested = [sent.get(f.contributor, f) for f in files]
    reports = []
    for f in ingested:
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
    with stage_progress("duplicates find", FIND_STAGES) as step:
        found = link_demo(hub, progress=step)
    with hub.connect() as con:
        check = evaluate_against_truth(
            con, truth_path(base / "files"), rows={e.raw.contributor: e.rows for e in encoded}
        )
    lines.append(check.line())
    policy = write_demo_policy(hub)
    with stage_progress("release", RELEASE_STAGES) as step:
        rel = create_release(hub, None, progress=step)
    population = rel.release_manifest.population
    lines.append(f"Release {rel.release_id} at {rel.path} (report: {rel.path / 'report.html'}).")
    if population is not None:
        lines.append(
            f"  about {population.persons if population.persons is not None else '?'} persons in about "
            f"{population.records} case records; the unit of privacy is the {population.unit} "
            f"(policy {policy})."
        )
    briefing = _overview_briefing(hub.releases_dir, base / "briefings")
    lines.append(f"Briefing over the whole release: {briefing}.")
    accounts = _demo_accounts(hub, ingested)
    lines.append("Accounts (one per role; one-time passwords, shown once — sign in at /login):")
    lines += [
        f"  {a['role']:<12} {a['name']:<26} {a['password']}" + (f"  ({a['org']})" if a["org"] else "")
        for a in accounts
    ]
    data = {
        "store": str(hub.path),
        "files": [_file_dict(f) for f in files],
        "linkage": {
            "secret_file": str(secret_file),
            "encoded": [
                {
                    "contributor": e.raw.contributor,
                    "spec": str(e.spec),
                    **e.report.to_dict(problems=0),
                }
                for e in encoded
            ],
            "find": found.to_dict(),
            "check": check.to_dict(),
            "summary": check.line(),
        },
        "ingests": reports,
        "cases": cases,
        "release_id": rel.release_id,
        "release_path": str(rel.path),
        "population": population.to_json() if population is not None else None,
        "briefing": str(briefing),
        "accounts": accounts,
    }
    if serve and not wants_json():
        for line in lines:
            click.echo(line)
        _serve(hub, host, port)
        return Result(data, [])
    return Result(data, lines)


def _encode_as_contributors(files: list[Any], base: Path) -> tuple[Path, list[EncodedFile], list[str]]:
    """As the demo contributors with names and dates of birth: their shared secret (in their folder), and
    their files encoded for linkage (with the hub's mappings of them in `base`/specs); the lines to print."""
    from ctdhub.demo.linkage import IDENTIFIERS, encode_demo_file, shared_secret

    secret_file, secret = shared_secret(base / "files")
    lines = [
        f"The contributors' shared linkage secret: {secret_file} (theirs alone, never given to the hub)."
    ]
    encoded = []
    for f in files:
        if f.contributor in IDENTIFIERS:
            with count_progress(f"encode {f.path.name}") as tick:
                e = encode_demo_file(f, secret, base / "specs", on_progress=tick)
            encoded.append(e)
            lines.append(
                f"  {f.contributor:<20} encoded {e.report.encoded:>5} of {e.report.rows:>5} rows into {e.path} "
                f"(left out: {', '.join(e.report.removed)}; mapping {e.spec.name})"
            )
    return secret_file, encoded, lines


def _overview_briefing(releases_dir: Path, out_dir: Path) -> Path:
    """An HTML briefing over the whole demo release (what `ctdhub briefing --format html` writes)."""
    from ctdhub.publish import Gate
    from ctdhub.publish.briefing import make_briefing
    from ctdhub.publish.briefing.selection import Selection

    view = Gate(releases_dir).latest()
    out = make_briefing(view, Selection(), compare=None, lang="en", fmt="html")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"overview-{view.release_id}-en.html"
    path.write_bytes(out.content)
    return path


def _demo_accounts(hub: Hub, files: list[Any]) -> list[dict[str, str | None]]:
    """One account per role: the hub team's admin, a contributor of the first demo organisation (whose
    uploads are read with the spec its file was ingested with), a researcher; each with a new one-time
    password."""
    from ctdhub.store import accounts as acc
    from ctdhub.store.access import access_db
    from ctdhub.store.auditlog import cli_actor

    first = files[0]
    spec = Path(str(first.spec))
    mapping = spec.read_text(encoding="utf-8") if spec.is_file() else str(first.spec)
    wanted = [
        ("hub-admin", acc.Role.ADMIN, None),
        (f"{first.contributor}-officer"[:63].lower(), acc.Role.CONTRIBUTOR, first.contributor),
        ("researcher", acc.Role.RESEARCHER, None),
    ]
    out: list[dict[str, str | None]] = []
    with access_db(hub) as con:
        acc.add_org(con, first.contributor, actor=cli_actor(), mapping=mapping)
        for name, role, org in wanted:
            password = acc.new_password()
            acc.add_user(con, name, role, password, actor=cli_actor(), org=org)
            out.append({"name": name, "role": role.value, "org": org, "password": password})
    return out


def _serve(hub: Hub, host: str, port: int) -> None:
    try:
        import uvicorn

        from ctdhub.publish.app import create_app
    except ImportError as exc:  # the publishing extras are part of the package; this is a broken install
        raise CtdhubError(f"Cannot serve the dashboard: {exc}.") from None
    click.echo(f"Dashboard at http://{host}:{port}/ (API at http://{host}:{port}/api/v1/); Ctrl+C to stop.")
    uvicorn.run(create_app(hub.releases_dir, hub=hub), host=host, port=port, log_level="warning")
