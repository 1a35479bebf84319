"""`ctdhub release create|list|show|diff|withdraw`: immutable, numbered releases."""

from __future__ import annotations

import json
from typing import Any

import click

from ctdhub.cli.commands_store import store_option
from ctdhub.cli.output import Result, command_output
from ctdhub.cli.progress import stage_progress
from ctdhub.release import ledger
from ctdhub.release.create import STAGES, create_release
from ctdhub.release.diff import diff_markdown
from ctdhub.release.manifest import ManifestError
from ctdhub.release.registry import (
    get_release,
    read_manifest,
    read_restricted,
    release_dirs,
    withdraw_release,
)
from ctdhub.store import open_store
from ctdhub.store.auditlog import cli_actor, record


@click.group()
def release() -> None:
    """Releases: everything the public may see, built from the store in one step."""


@release.command("create")
@click.option(
    "--policy",
    "-p",
    type=click.Path(dir_okay=False),
    help="Release policy YAML (default: the store's policy.yaml, else built-in).",
)
@store_option
@command_output
def release_create(policy: str | None, store: str) -> Result:
    """Build the next release: one differentially private model, its tables and synthetic records, report."""
    hub = open_store(store)
    with stage_progress("release", STAGES) as step:
        out = create_release(hub, policy, progress=step)
    record(
        hub,
        cli_actor(),
        "release.create",
        out.release_id,
        f"epsilon={out.release_manifest.privacy.epsilon:g}",
    )
    m, r = out.release_manifest, out.restricted
    p = m.privacy
    life = p.lifetime
    lines = [
        f"Release {out.release_id} at {out.path} ({m.seconds} s).",
        f"  privacy: ε = {p.epsilon:.3g}, δ = {p.delta:g} ({p.measurements} measured marginals); "
        f"lifetime ε spent {life.epsilon_spent:.3g} of {life.lifetime_epsilon:g}, "
        f"{life.remaining_releases_at_this_epsilon} more release(s) at this ε",
        f"  model: {m.model.records:,} records; {m.aggregates.tables} tables, "
        f"{m.aggregates.cells:,} cells with 90 % intervals",
    ]
    if m.kanon is not None:
        k = m.kanon
        lines.append(
            f"  kanon (opt-in, not DP): k = {k.k} (achieved {k.k_achieved}); levels {dict(k.level_names)}"
        )
    fid = r.get("fidelity", {})
    lines.append(
        f"  restricted (staff only, not for publication): {r['cases_in_snapshot']:,} cases in the snapshot; "
        f"model fidelity: mean 2-way TVD {fid.get('tvd_2way', float('nan')):.4f}"
    )
    lines.append(f"  report: {out.path / 'report.html'}")
    return Result(out.to_dict(), lines)


@release.command("list")
@store_option
@command_output
def release_list(store: str) -> Result:
    """List releases (withdrawn ones marked) and the lifetime privacy budget they have spent."""
    hub = open_store(store)
    data: list[dict[str, Any]] = []
    unreadable: list[str] = []
    for path in release_dirs(hub.releases_dir):
        try:
            m = read_manifest(path)
        except ManifestError as exc:  # listed with what is wrong, the others still listed
            data.append({"release_id": path.name, "status": "unreadable", "problem": str(exc)})
            unreadable.append(f"{path.name}  unreadable: {exc}")
            continue
        restricted = read_restricted(path)
        data.append(
            {
                "release_id": m.release_id,
                "created_at": m.created_at,
                "status": m.status,
                "standard_version": m.standard_version,
                "epsilon": m.privacy.epsilon,
                "cases_restricted": restricted.get("cases_in_snapshot"),
            }
        )
    con = hub.connect()
    try:
        spent = ledger.entries(con)
    finally:
        con.close()
    lines = [
        f"{d['release_id']}  {d['created_at']}  {d['status']:<9} ε = {d['epsilon']:.3g}"
        + (f"  [restricted: {d['cases_restricted']:,} cases]" if d["cases_restricted"] is not None else "")
        for d in data
        if d["status"] != "unreadable"
    ] + unreadable or ["No releases yet: ctdhub release create"]
    if spent:
        rho = sum(float(str(e["rho"])) for e in spent)
        lines.append(f"Privacy ledger: {len(spent)} release(s), ρ = {rho:.4g} spent in total.")
    return Result({"releases": data, "ledger": spent}, lines)


@release.command("show")
@click.argument("release_id")
@store_option
@command_output
def release_show(release_id: str, store: str) -> Result:
    """The manifest of one release."""
    hub = open_store(store)
    path, m = get_release(hub.releases_dir, release_id)
    doc = m.to_json()
    return Result({"path": str(path), **doc}, [json.dumps(doc, indent=2)])


@release.command("diff")
@click.argument("release_id")
@store_option
@command_output
def release_diff_cmd(release_id: str, store: str) -> Result:
    """What changed between RELEASE_ID and the release before it (difference of two DP releases)."""
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
    record(hub, cli_actor(), "release.withdraw", release_id, reason[:200])
    return Result(
        {"release_id": release_id, "withdrawn": rec.to_json()}, [f"Release {release_id} withdrawn: {reason}"]
    )
