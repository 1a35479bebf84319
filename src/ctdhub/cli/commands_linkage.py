"""`ctdhub linkage` (the contributor's side of record linkage: a shared secret, and keys in place of names) and
`ctdhub duplicates` (the hub's side: candidate pairs, review, decisions)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ctdhub.cli.commands_store import store_option
from ctdhub.cli.output import Result, command_output
from ctdhub.cli.progress import count_progress, stage_progress
from ctdhub.errors import CtdhubError, UsageError
from ctdhub.linkage.clk import load_secret, new_secret
from ctdhub.linkage.encode_file import EncodeReport, FieldMap, encode_file
from ctdhub.linkage.find import DEFAULT_THRESHOLD, REVIEW_PER_RECORD, STAGES, FindResult, find_duplicates
from ctdhub.linkage.review import read_decisions, write_review
from ctdhub.store import open_store
from ctdhub.store.auditlog import cli_actor, record

PROBLEMS_SHOWN = 20
PROBLEMS_IN_JSON = 1_000


@click.group()
def linkage() -> None:
    """Privacy-preserving record linkage: encode names and dates of birth as keys before sending a file."""


@linkage.command("secret")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False), help="Secret file to create.")
@command_output
def linkage_secret(out: str) -> Result:
    """Create a new shared linkage secret in FILE (readable by you only)."""
    path = Path(out)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CtdhubError(
            f"{path}: the file exists; a secret is never overwritten.", hint="Choose another file name."
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(new_secret() + "\n")
    os.chmod(path, 0o600)  # whatever the umask
    return Result(
        {"secret_file": str(path)},
        [
            f"Wrote a new linkage secret to {path} (readable by you only).",
            "Share it with the other contributors through a safe channel (in person, an encrypted message);"
            " never send it to the hub, and never send it with an encoded file.",
        ],
    )


@linkage.command("encode")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--secret-file", "-k", required=True, type=click.Path(dir_okay=False), help="The shared secret."
)
@click.option(
    "--fields",
    "-f",
    "fields_text",
    required=True,
    help="Identifier columns as ROLE=COLUMN,... with roles name (or given and family), dob, birth_year, sex.",
)
@click.option(
    "--out", "-o", required=True, type=click.Path(dir_okay=False), help="File to write (.csv, .xlsx)."
)
@click.option("--sheet", help="Excel sheet to read (default: the first with data).")
@click.option(
    "--keep",
    multiple=True,
    help="An identifier column to keep in the output all the same (repeatable), e.g. a date of birth "
    "the hub's mapping turns into an age band and drops.",
)
@command_output
def linkage_encode(
    file: str, secret_file: str, fields_text: str, out: str, sheet: str | None, keep: tuple[str, ...]
) -> Result:
    """Write FILE with its name and date-of-birth columns replaced by one linkage_key column."""
    try:
        fields = FieldMap.parse(fields_text)
    except ValueError as err:
        raise UsageError(f"{err}.") from None
    try:
        secret = load_secret(Path(secret_file))
    except ValueError as err:
        raise CtdhubError(f"{err}.") from None
    with count_progress(f"encode {Path(file).name}") as tick:
        report = encode_file(Path(file), Path(out), secret, fields, keep=keep, on_progress=tick, sheet=sheet)
    return Result(
        report.to_dict(problems=PROBLEMS_IN_JSON),
        _lines(report, Path(file).name, kept_sex=fields.sex is not None),
    )


def _lines(report: EncodeReport, source: str, *, kept_sex: bool) -> list[str]:
    lines = [
        f"Wrote {report.out}: {report.rows} rows, {report.encoded} encoded, {report.empty} with an empty key "
        f"(secret check {report.check}).",
        f"Left out: {', '.join(repr(c) for c in report.removed) or 'nothing'}"
        + ("; the sex column is kept." if kept_sex else "."),
    ]
    if report.problems:
        lines.append(
            f"{len(report.problems)} problem(s) in {source}; an unusable value is left out of the key (and never shown):"
        )
        lines += [
            f"  row {p.row}" + (f", column {p.column!r}" if p.column else "") + f": {p.rule}"
            for p in report.problems[:PROBLEMS_SHOWN]
        ]
        if len(report.problems) > PROBLEMS_SHOWN:
            lines.append(f"  and {len(report.problems) - PROBLEMS_SHOWN} more")
    return lines


# --- `ctdhub duplicates`: the hub's side (candidate pairs, review, decisions) -----------------------------


@click.group()
def duplicates() -> None:
    """Records of one person across contributors (from their linkage keys): find, review, decide."""


def _find_lines(r: FindResult) -> list[str]:
    review = ", ".join(f"{n} {band}" for band, n in sorted(r.review.items())) or "none"
    sizes = ", ".join(
        f"{n} with {k} record{'s' if k > 1 else ''}" for k, n in sorted(r.clusters_by_size.items())
    )
    lines = [
        f"Linked {r.keyed_records} keyed record(s) at threshold {r.threshold:g}: {r.matches} match(es); "
        f"for review: {review}.",
        f"{r.persons} person(s) ({sizes or 'none'}); {r.comparisons} block pairs "
        f"compared in {r.seconds:.1f} s.",
    ]
    if r.repeated_rows:
        lines.append(
            f"Joined {r.repeated_rows} keyed row(s) to the earlier row of their file they repeat exactly "
            "(the same record sent twice)."
        )
    if r.skipped_blocks:
        lines.append(f"Skipped {r.skipped_blocks} blocking signature(s) too common to be informative.")
    if r.review_left_out:
        lines.append(
            f"Left {r.review_left_out} weaker review pair(s) out: a record keeps its {REVIEW_PER_RECORD} best "
            "review candidates (more mean a common name)."
        )
    if r.refused_same_contributor or r.refused_rejected:
        lines.append(
            f"Left apart: {r.refused_same_contributor} match(es) that would put two records of one contributor "
            f"in one person, {r.refused_rejected} by a rejected decision."
        )
    lines += r.notes
    if r.review:
        lines.append("Review them: ctdhub duplicates review --out pairs.csv")
    return lines


@duplicates.command("find")
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Score from which two records are one person.",
)
@click.option(
    "--quasi/--no-quasi",
    default=True,
    show_default=True,
    help="Also look for candidates of records without a key on quasi-identifiers (for review only).",
)
@store_option
@command_output
def duplicates_find(threshold: float, quasi: bool, store: str) -> Result:
    """Find records of one person; replace the candidate pairs and persons of the last run."""
    hub = open_store(store)
    with stage_progress("duplicates find", STAGES) as step, hub.writer() as con:
        result = find_duplicates(con, threshold=threshold, quasi=quasi, progress=step)
    review = sum(result.review.values())
    record(
        hub,
        cli_actor(),
        "duplicates.find",
        "",
        f"{result.keyed_records} keyed, {result.matches} matches, {review} for review, {result.persons} persons",
    )
    return Result(result.to_dict(), _find_lines(result))


@duplicates.command("review")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
@click.option(
    "--all", "include_matches", is_flag=True, help="List the matches too, not only pairs for review."
)
@store_option
@command_output
def duplicates_review(out: str, include_matches: bool, store: str) -> Result:
    """Write the pairs for review to a CSV; fill its decision column with accept or reject."""
    hub = open_store(store)
    with hub.connect() as con:
        n = write_review(con, Path(out), include_matches=include_matches)
    return Result(
        {"file": out, "pairs": n},
        [
            f"Wrote {n} pair(s) to {out}. Fill the decision column (accept: one person; reject: two people), "
            f"then: ctdhub duplicates decide {out}"
        ],
    )


@duplicates.command("decide")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--by", "decided_by", help="Who decided (default: your user name).")
@store_option
@command_output
def duplicates_decide(file: str, decided_by: str | None, store: str) -> Result:
    """Store the accept/reject decisions of a reviewed CSV (kept across runs of 'duplicates find')."""
    hub = open_store(store)
    actor = cli_actor()
    with hub.writer() as con:
        report = read_decisions(con, Path(file), decided_by or actor)
    record(
        hub,
        actor,
        "duplicates.decide",
        Path(file).name,
        f"{report.accepted} accepted, {report.rejected} rejected, {report.changed} changed",
    )
    return Result(
        report.to_dict(),
        [
            f"Read {report.rows} row(s) of {Path(file).name}: {report.accepted} accepted, {report.rejected} "
            f"rejected, {report.blank} undecided; {report.changed} decision(s) new or changed.",
            "They apply from the next run: ctdhub duplicates find",
        ],
    )
