"""`ctdhub release create|list|show|diff|withdraw`: immutable, numbered releases."""

from __future__ import annotations

import json

import click

from ctdhub.cli.commands_store import store_option
from ctdhub.cli.output import Result, command_output
from ctdhub.cli.progress import stage_progress
from ctdhub.release.create import STAGES, create_release
from ctdhub.release.diff import diff_markdown
from ctdhub.release.registry import get_release, list_releases, withdraw_release
from ctdhub.store import open_store


@click.group()
def release() -> None:
    """Releases: everything the public may see, built from the store in one step."""


@release.command("create")
@click.option(
    "--policy", "-p", type=click.Path(dir_okay=False), help="Release policy YAML (default: built-in)."
)
@store_option
@command_output
def release_create(policy: str | None, store: str) -> Result:
    """Build the next release: k-anonymised and synthetic microdata, protected aggregates, report."""
    hub = open_store(store)
    with stage_progress("release", STAGES) as step:
        out = create_release(hub, policy, progress=step)
    m = out.manifest
    lines = [
        f"Release {out.release_id} at {out.path} ({m['store_state']['cases']:,} cases, {m['seconds']} s)."
    ]
    if m.get("kanon"):
        k = m["kanon"]
        lines.append(
            f"  kanon: k = {k['k']} (achieved {k['k_achieved']}), {k['rows_out']:,} rows, "
            f"{k['rows_suppressed']:,} suppressed; levels {k['level_names']}"
        )
    a = m["aggregates"]
    lines.append(
        f"  aggregates: {a['tables']} tables, {a['cells']:,} cells, {a['primary']} + {a['secondary']} suppressed"
    )
    if m.get("synthetic"):
        s = m["synthetic"]
        lines.append(
            f"  synthetic: {s['rows']:,} rows at ε = {s['epsilon']:g}; mean 2-way TVD {s['fidelity']['tvd_2way']:.4f}"
        )
    lines.append(f"  report: {out.path / 'report.html'}")
    return Result(out.to_dict(), lines)


@release.command("list")
@store_option
@command_output
def release_list(store: str) -> Result:
    """List releases (withdrawn ones marked)."""
    hub = open_store(store)
    rows = list_releases(hub.releases_dir)
    data = [
        {k: m.get(k) for k in ("release_id", "created_at", "status", "standard_version")}
        | {"cases": m["store_state"]["cases"]}
        for m in rows
    ]
    lines = [
        f"{d['release_id']}  {d['created_at']}  {d['status']:<9} {d['cases']:>9,} cases" for d in data
    ] or ["No releases yet: ctdhub release create"]
    return Result({"releases": data}, lines)


@release.command("show")
@click.argument("release_id")
@store_option
@command_output
def release_show(release_id: str, store: str) -> Result:
    """The manifest of one release."""
    hub = open_store(store)
    path, m = get_release(hub.releases_dir, release_id)
    return Result({"path": str(path), **m}, [json.dumps(m, indent=2, default=str)])


@release.command("diff")
@click.argument("release_id")
@store_option
@command_output
def release_diff_cmd(release_id: str, store: str) -> Result:
    """What changed between RELEASE_ID and the release before it (protected counts)."""
    hub = open_store(store)
    path, _ = get_release(hub.releases_dir, release_id)
    diff = json.loads((path / "diff.json").read_text(encoding="utf-8"))
    return Result({"release_id": release_id, "diff": diff}, [diff_markdown(diff)])


@release.command("withdraw")
@click.argument("release_id")
@click.option("--reason", required=True, help="Why the release is withdrawn (kept with it).")
@store_option
@command_output
def release_withdraw(release_id: str, reason: str, store: str) -> Result:
    """Stop serving a release; its files stay, marked withdrawn."""
    hub = open_store(store)
    rec = withdraw_release(hub.releases_dir, release_id, reason)
    return Result({"release_id": release_id, "withdrawn": rec}, [f"Release {release_id} withdrawn: {reason}"])
