"""The hub team's review of candidate pairs: a CSV out (`write_review`), their decisions back in
(`read_decisions`).

The CSV lists the last `duplicates find` run's pairs in a review band (with `include_matches`, the matches
too), one row each: an opaque pair number (its place in the file), the two case ids and contributors
(internal to the hub, which is who reviews), score, similarity, band, the evidence in words, and the
decision column — the earlier decision when there is one, else empty for the team to fill with `accept`
(one person) or `reject` (two people). Never a key or a case value.

Read back, every row is checked before anything is written: the pair must be one of the run's (or one
decided before), the decision `accept`, `reject` or blank (blank leaves an earlier decision as it is);
each problem names the file, row and column. Decisions are upserted into `linkage_decisions` — kept across
runs of `duplicates find`, which applies them: accepted pairs are linked, rejected ones never are.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ctdhub.errors import CtdhubError
from ctdhub.store.hub import transaction
from ctdhub.store.quarantine import formula_safe_text

COLUMNS = (
    "pair",
    "case_a",
    "contributor_a",
    "case_b",
    "contributor_b",
    "score",
    "similarity",
    "band",
    "evidence",
    "decision",
)
DECISIONS = ("accept", "reject")
REQUIRED = ("case_a", "case_b", "decision")
PROBLEMS_IN_MESSAGE = 5
_BAND_ORDER = (
    "CASE WHEN band = 'review: ambiguous' THEN 1 WHEN band = 'review: same contributor' THEN 2 "
    "WHEN band = 'review' THEN 3 WHEN band = 'review: quasi' THEN 4 ELSE 5 END"
)


@dataclass(frozen=True)
class DecisionProblem:
    """One bad row of a decisions file."""

    file: str
    row: int  # line of the file (the header is row 1)
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, column {self.column!r}: {self.message}"


class DecisionError(CtdhubError):
    """A decisions file with bad rows; nothing of it was stored."""

    def __init__(self, problems: list[DecisionProblem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:PROBLEMS_IN_MESSAGE])
        more = (
            f" (and {len(problems) - PROBLEMS_IN_MESSAGE} more)"
            if len(problems) > PROBLEMS_IN_MESSAGE
            else ""
        )
        super().__init__(
            f"{shown}{more}.",
            hint="Nothing was stored: correct the file and run 'ctdhub duplicates decide' again.",
        )

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "problems": [asdict(p) for p in self.problems]}


@dataclass(frozen=True)
class DecisionReport:
    """What one decisions file did."""

    file: str
    rows: int
    accepted: int  # rows deciding accept
    rejected: int  # rows deciding reject
    blank: int  # rows left undecided
    changed: int  # decisions new or different from the stored one

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def review_sql(include_matches: bool) -> str:
    """The pairs to review (and the matches when asked), ordered for reading, with any decision."""
    bands = "band LIKE 'review%'" + (" OR band = 'match'" if include_matches else "")
    return f"""SELECT p.case_a, ca.contributor, p.case_b, cb.contributor, round(p.score, 4),
  round(p.similarity, 4), p.band, p.evidence, coalesce(d.decision, '')
FROM linkage_pairs p
LEFT JOIN cases ca ON ca.case_id = p.case_a LEFT JOIN cases cb ON cb.case_id = p.case_b
LEFT JOIN linkage_decisions d ON d.case_a = p.case_a AND d.case_b = p.case_b
WHERE {bands}
ORDER BY {_BAND_ORDER}, p.score DESC, p.case_a, p.case_b"""


def write_review(con: duckdb.DuckDBPyConnection, out: Path, *, include_matches: bool = False) -> int:
    """Write the review CSV to `out`; the number of pairs written."""
    rows = con.execute(review_sql(include_matches)).fetchall()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for n, (a, ca, b, cb, score, sim, band, evidence, decision) in enumerate(rows, start=1):
            writer.writerow(
                [
                    n,
                    a,
                    formula_safe_text(str(ca or "")),
                    b,
                    formula_safe_text(str(cb or "")),
                    f"{score:.4f}",
                    "" if sim is None else f"{sim:.4f}",
                    band,
                    formula_safe_text(evidence),
                    decision,
                ]
            )
    return len(rows)


# --- reading decisions --------------------------------------------------------------------------------


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(header, [(row number, row)]) of a CSV with a comma, semicolon or tab between its columns."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CtdhubError(f"{path}: no such file.") from None
    except UnicodeDecodeError:
        raise CtdhubError(f"{path}: not a UTF-8 text file (save the review file as CSV UTF-8).") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    rows = []
    for n, values in enumerate(reader, start=2):
        if any(v.strip() for v in values):
            rows.append(
                (n, {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)})
            )
    return header, rows


def _known_pairs(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """Pairs a decision may name (the last run's, and those decided before) → stored decision ('' none)."""
    rows = con.execute(
        "SELECT p.case_a, p.case_b, coalesce(d.decision, '') FROM linkage_pairs p "
        "LEFT JOIN linkage_decisions d USING (case_a, case_b) "
        "UNION SELECT case_a, case_b, decision FROM linkage_decisions"
    ).fetchall()
    known: dict[tuple[str, str], str] = {}
    for a, b, d in rows:
        known[(str(a), str(b))] = known.get((str(a), str(b))) or str(d)
    return known


def _check_row(
    file: str, n: int, row: dict[str, str], known: dict[tuple[str, str], str]
) -> tuple[tuple[str, str] | None, str, list[DecisionProblem]]:
    """(pair, decision, problems) of one row."""
    problems = []
    a, b = row.get("case_a", ""), row.get("case_b", "")
    pair = (min(a, b), max(a, b))
    if pair not in known:
        which = "case_a" if not a else "case_b" if not b else "case_a/case_b"
        problems.append(
            DecisionProblem(file, n, which, "not a candidate pair of the last 'duplicates find' run")
        )
    decision = row.get("decision", "").casefold()
    if decision not in (*DECISIONS, ""):
        shown = row.get("decision", "")[:40]
        problems.append(
            DecisionProblem(
                file, n, "decision", f"{shown!r} is not a decision (allowed: accept, reject or blank)"
            )
        )
    return (pair if pair in known else None), decision, problems


def _check_file(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[list[tuple[int, tuple[str, str], str]], int, int]:
    """The decided rows (row, pair, decision), rows read and blank rows; DecisionError on any problem."""
    header, rows = _read_rows(path)
    file = path.name
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DecisionError([DecisionProblem(file, 1, c, "column missing from the header") for c in missing])
    known = _known_pairs(con)
    problems: list[DecisionProblem] = []
    decided: dict[tuple[str, str], tuple[int, str]] = {}
    blank = 0
    for n, row in rows:
        pair, decision, found = _check_row(file, n, row, known)
        problems += found
        if pair is None or found:
            continue
        if not decision:
            blank += 1
        elif pair in decided and decided[pair][1] != decision:
            problems.append(
                DecisionProblem(
                    file, n, "decision", f"the same pair is decided otherwise on row {decided[pair][0]}"
                )
            )
        else:
            decided[pair] = (n, decision)
    if problems:
        raise DecisionError(problems)
    return [(n, pair, d) for pair, (n, d) in decided.items()], len(rows), blank


def read_decisions(con: duckdb.DuckDBPyConnection, path: Path, decided_by: str) -> DecisionReport:
    """Check the decisions file at `path` and store its decisions (`con` is the writer)."""
    decided, rows, blank = _check_file(con, path)
    known = _known_pairs(con)
    changed = [(pair, d) for _, pair, d in decided if known.get(pair) != d]
    now = datetime.now(UTC)
    if changed:
        table = pa.table(
            {
                "case_a": [p[0] for p, _ in changed],
                "case_b": [p[1] for p, _ in changed],
                "decision": [d for _, d in changed],
            }
        )
        con.execute("SELECT 1").fetchall()  # no unfinished result may stand before registering
        con.register("_lk_decisions", table)
        try:
            with transaction(con):
                con.execute(
                    "INSERT INTO linkage_decisions (case_a, case_b, decision, decided_by, decided_at) "
                    "SELECT case_a, case_b, decision, ?, ? FROM _lk_decisions "
                    "ON CONFLICT (case_a, case_b) DO UPDATE SET decision = excluded.decision, "
                    "decided_by = excluded.decided_by, decided_at = excluded.decided_at",
                    [decided_by, now],
                )
        finally:
            con.unregister("_lk_decisions")
    return DecisionReport(
        file=str(path),
        rows=rows,
        accepted=sum(d == "accept" for _, _, d in decided),
        rejected=sum(d == "reject" for _, _, d in decided),
        blank=blank,
        changed=len(changed),
    )
