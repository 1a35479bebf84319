"""`ctdhub ingest`, `quarantine`, `batch` and `mapping`: the contributor-facing commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ctdhub.cli.commands_store import store_option
from ctdhub.cli.output import Result, command_output
from ctdhub.cli.progress import stage_progress
from ctdhub.ingest import STAGES, IngestReport, check_mapping, ingest_file, profile_file, resubmit_file
from ctdhub.mapping import load_spec
from ctdhub.mapping.suggest import render_yaml, suggest_spec
from ctdhub.store import open_store
from ctdhub.store.auditlog import cli_actor, record
from ctdhub.store.batches import approve_batch, get_batch, list_batches, revert_batch
from ctdhub.store.quarantine import STATUSES, export_quarantine, quarantine_summary


def _report_lines(r: IngestReport) -> list[str]:
    lines = [
        f"Batch {r.batch_id}: {r.rows_read} rows read, {r.rows_stored} stored, "
        f"{r.rows_quarantined} quarantined, {r.rows_with_warnings} stored with warnings"
        + (f", {r.rows_skipped} non-case rows skipped" if r.rows_skipped else "")
        + f" ({r.seconds:.1f} s).",
    ]
    for note in r.source.get("notes") or ():
        lines.append(f"Read {r.file}: {note}.")
    if r.source.get("other_sheets"):
        others = ", ".join(repr(n) for n in r.source["other_sheets"])
        lines.append(f"Read sheet {r.source['sheet']!r}; not read (other columns): {others}")
    if r.dropped_columns:
        lines.append(f"Dropped (never stored): {', '.join(r.dropped_columns)}")
    for rule, c in r.rules.items():
        lines.append(f"  {c['severity']:<7} {rule:<40} {c['rows']:>8} rows")
    for col, values in r.unmapped.items():
        shown = ", ".join(f"{v!r} ×{n}" for v, n in list(values.items())[:8])
        lines.append(f"  unmapped in {col}: {shown}")
    if r.rows_quarantined:
        lines.append("See them with 'ctdhub quarantine list'; correct them via 'ctdhub quarantine export'.")
    return lines


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--contributor", "-c", required=True, help="Short name of the contributing organisation.")
@click.option("--mapping", "-m", required=True, help="Mapping spec file, or a built-in spec name.")
@store_option
@command_output
def ingest(file: str, contributor: str, mapping: str, store: str) -> Result:
    """Ingest FILE as one batch: read, map to the standard, validate, store (or quarantine) every row."""
    hub = open_store(store)
    with stage_progress(f"ingest {Path(file).name}", STAGES) as step:
        report = ingest_file(hub, file, contributor, mapping, progress=step)
    record(
        hub,
        cli_actor(),
        "upload",
        report.batch_id,
        f"{report.rows_stored} stored, {report.rows_quarantined} quarantined",
    )
    return Result(report.to_dict(), _report_lines(report))


@click.group()
def quarantine() -> None:
    """Rows held back by validation: list, export for correction, resubmit."""


@quarantine.command("list")
@click.option("--batch", "batch_id", help="Only this batch.")
@click.option("--contributor", "-c", help="Only this contributor.")
@click.option("--status", type=click.Choice(STATUSES), default="open", show_default=True)
@click.option(
    "--limit", type=click.IntRange(min=0), default=20, show_default=True, help="Rows shown in full."
)
@store_option
@command_output
def quarantine_list(
    batch_id: str | None, contributor: str | None, status: str, limit: int, store: str
) -> Result:
    """Count quarantined rows by batch and reason, and show the first ones."""
    hub = open_store(store)
    with hub.connect() as con:
        s = quarantine_summary(con, batch_id=batch_id, contributor=contributor, status=status, limit=limit)
    lines = [f"{s['rows']} {status} quarantined row(s)."]
    lines += [f"  {b['batch_id']} ({b['file']}): {b['rows']}" for b in s["by_batch"]]
    lines += [f"  {n:>7}  {r}" for r, n in list(s["by_reason"].items())[:15]]
    return Result(s, lines)


@quarantine.command("export")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
@click.option("--batch", "batch_id", help="Only this batch.")
@click.option("--contributor", "-c", help="Only this contributor.")
@store_option
@command_output
def quarantine_export(out: str, batch_id: str | None, contributor: str | None, store: str) -> Result:
    """Write open quarantined rows (original values + reasons) to a CSV to correct and resubmit."""
    hub = open_store(store)
    with hub.connect() as con:
        r = export_quarantine(con, Path(out), batch_id=batch_id, contributor=contributor)
    return Result(
        r,
        [
            f"Wrote {r['rows']} row(s) to {r['file']}. Correct the values (keep _source_batch and "
            "_source_row), then: ctdhub quarantine resubmit " + r["file"]
        ],
    )


@quarantine.command("resubmit")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--mapping", "-m", help="Mapping spec (default: the one the rows were first ingested with).")
@store_option
@command_output
def quarantine_resubmit(file: str, mapping: str | None, store: str) -> Result:
    """Ingest a corrected quarantine export as a new batch that resolves the rows it corrects."""
    hub = open_store(store)
    with stage_progress(f"resubmit {Path(file).name}", STAGES) as step:
        report = resubmit_file(hub, file, mapping, progress=step)
    record(hub, cli_actor(), "resubmit", report.batch_id, f"{report.rows_stored} stored")
    return Result(report.to_dict(), _report_lines(report))


@click.group()
def batch() -> None:
    """Ingest batches and their provenance: list, show, revert."""


@batch.command("list")
@click.option("--contributor", "-c", help="Only this contributor.")
@store_option
@command_output
def batch_list(contributor: str | None, store: str) -> Result:
    """List batches with file, hash, contributor, mapping, time and row counts."""
    hub = open_store(store)
    with hub.connect() as con:
        rows = list_batches(con, contributor)
    lines = [
        f"{b['batch_id']:<48} {b['status']:<9} {b['file_name']:<32} read {b['rows_read']:>8} "
        f"stored {b['rows_stored']:>8} quarantined {b['rows_quarantined']:>6}"
        for b in rows
    ] or ["No batches yet: ctdhub ingest FILE --contributor ORG --mapping SPEC"]
    return Result({"batches": rows}, lines)


@batch.command("show")
@click.argument("batch_id")
@store_option
@command_output
def batch_show(batch_id: str, store: str) -> Result:
    """Provenance and findings of one batch."""
    hub = open_store(store)
    with hub.connect() as con:
        b = get_batch(con, batch_id)
        rules = con.execute(
            "SELECT rule, severity, count(*), count(DISTINCT source_row) FROM findings WHERE batch_id = ? "
            "GROUP BY ALL ORDER BY 3 DESC",
            [batch_id],
        ).fetchall()
        fields = [
            r[0]
            for r in con.execute(
                "SELECT field FROM batch_fields WHERE batch_id = ? AND collected ORDER BY field", [batch_id]
            ).fetchall()
        ]
    data: dict[str, Any] = {
        "batch": b,
        "rules": {r: {"severity": s, "findings": int(n), "rows": int(m)} for r, s, n, m in rules},
        "collected_fields": fields,
    }
    lines = [f"{k}: {v}" for k, v in b.items()] + [f"  {s:<7} {r:<40} {m:>8} rows" for r, s, _n, m in rules]
    return Result(data, lines)


@batch.command("revert")
@click.argument("batch_id")
@store_option
@command_output
def batch_revert(batch_id: str, store: str) -> Result:
    """Remove a batch's cases from the store (its provenance stays, marked reverted)."""
    hub = open_store(store)
    with hub.writer() as con:
        r = revert_batch(con, batch_id)
    record(hub, cli_actor(), "batch.revert", batch_id, f"{r['cases_removed']} cases removed")
    return Result(
        {"batch_id": batch_id, **r}, [f"Reverted {batch_id}: {r['cases_removed']} case(s) removed."]
    )


@batch.command("approve")
@click.argument("batch_id")
@store_option
@command_output
def batch_approve(batch_id: str, store: str) -> Result:
    """Let a contributor's pending upload into the next release (reject one with 'batch revert')."""
    hub = open_store(store)
    with hub.writer() as con:
        b = approve_batch(con, batch_id)
    record(hub, cli_actor(), "batch.approve", batch_id, f"{b['rows_stored']} cases")
    return Result(
        {"batch_id": batch_id, "status": b["status"]}, [f"Approved {batch_id} for the next release."]
    )


@click.group()
def mapping() -> None:
    """Mapping specs: draft one from a file, dry-run one on a file, list built-ins."""


@mapping.command("suggest")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--out", "-o", type=click.Path(dir_okay=False), help="Write the draft YAML here.")
@click.option("--name", default="my-organisation", show_default=True, help="Spec name.")
@click.option("--sheet", help="Excel sheet (name or 1-based number).")
@command_output
def mapping_suggest(file: str, out: str | None, name: str, sheet: str | None) -> Result:
    """Draft a mapping spec from FILE's headers and values; unmatched parts are marked TODO."""
    sheet_arg: str | int | None = int(sheet) if sheet and sheet.isdigit() else sheet
    profiles, detected = profile_file(file, sheet=sheet_arg)
    s = suggest_spec(profiles, spec_name=name)
    source = {k: v for k, v in detected.items() if k in ("format", "sheet", "header_row") and v is not None}
    if source.get("format") != "xlsx":
        source.pop("sheet", None)
    text = render_yaml(s, file_label=Path(file).name, source=source)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
    summary = s.summary
    lines = (
        [text]
        if not out
        else [f"Wrote draft {out}: {len(summary['matched'])} of {summary['columns']} columns matched."]
    )
    if summary["unmatched"]:
        lines.append(f"Not matched (drafted as drop, TODO): {', '.join(summary['unmatched'])}")
    return Result({"draft": text, "file": out, "detected": detected, **summary}, lines)


@mapping.command("check")
@click.argument("spec")
@click.argument("file", type=click.Path(dir_okay=False))
@command_output
def mapping_check(spec: str, file: str) -> Result:
    """Dry-run SPEC on FILE: coverage, unmapped values and findings; nothing is stored."""
    r = check_mapping(file, spec)
    lines = [
        f"{r['file']} with {r['mapping']} {r['mapping_version']}: {r['rows']} rows, "
        f"{r['rows_would_be_stored']} would be stored, {r['rows_would_be_quarantined']} quarantined.",
        f"Fields collected: {r['fields_collected']} of {r['fields_in_standard']}; columns mapped "
        f"{len(r['columns']['mapped'])}, dropped {len(r['columns']['dropped'])}, ignored {len(r['columns']['ignored'])}.",
    ]
    for rule, c in r["rules"].items():
        lines.append(f"  {c['severity']:<7} {rule:<40} {c['rows']:>8} rows")
        if c.get("explanation"):
            lines.append(f"          {c['explanation']}")
        if c.get("values"):
            lines.append("          e.g. " + ", ".join(f"{v!r} ×{n}" for v, n in c["values"].items()))
    for col, values in r["unmapped"].items():
        lines.append(
            f"  unmapped in {col}: " + ", ".join(f"{v!r} ×{n}" for v, n in list(values.items())[:10])
        )
    return Result(r, lines)


@mapping.command("list")
@command_output
def mapping_list() -> Result:
    """List the built-in mapping specs."""
    from ctdhub.mapping.spec import builtin_specs

    specs = [{"name": n, "description": load_spec(n).description} for n in builtin_specs()]
    return Result({"builtin": specs}, [f"{s['name']:<20} {s['description']}" for s in specs])
