"""A contributor's own records: the organisation's harmonised cases as a CSV (``/contribute/records.csv``)
and exact counts of them (``/contribute/stats``, and ``stats.csv``) — its own data, so no disclosure
control. Each download is audited ("download.own").
"""

from __future__ import annotations

import csv
from typing import Any

import duckdb
from fastapi import Request
from fastapi.responses import Response

from ctdhub.portal import router
from ctdhub.portal.auth import hub_of, remote
from ctdhub.portal.contribute_common import Contributor, attachment, contribute_page, must_read, org_name
from ctdhub.portal.uploads import new_folder, remove_folder
from ctdhub.publish.web.i18n import N_
from ctdhub.sql import qi, ql
from ctdhub.standard import load_standard
from ctdhub.store.auditlog import record
from ctdhub.store.quarantine import formula_safe_text


def _own_cases(org: str) -> str:
    return (
        "SELECT c.* EXCLUDE (person_key), b.status AS batch_status FROM cases c JOIN batches b "
        f"USING (batch_id) WHERE c.contributor = {ql(org)} ORDER BY c.batch_id, c.source_row"
    )


@router.get("/contribute/records.csv")
def records_csv(request: Request, session: Contributor) -> Response:
    """The organisation's harmonised cases (every live batch, pending ones included) as a CSV."""
    hub = hub_of(request)
    org = org_name(session)
    folder = new_folder(hub)
    out = folder / f"{org}-records.csv"

    def export(con: duckdb.DuckDBPyConnection) -> int:
        con.execute(f"COPY ({_own_cases(org)}) TO {ql(str(out))} (HEADER, DELIMITER ',')")
        n = con.execute("SELECT count(*) FROM cases WHERE contributor = ?", [org]).fetchone()
        return int(n[0]) if n else 0

    try:
        rows = must_read(hub, export)
    except BaseException:
        remove_folder(folder)
        raise
    record(hub, session.user.name, "download.own", "records.csv", f"{rows} cases", remote(request))
    return attachment(out, folder, out.name, "text/csv; charset=utf-8")


def _counts(con: duckdb.DuckDBPyConnection, org: str, field: str) -> list[tuple[str | None, int]]:
    rows = con.execute(
        f"SELECT CAST({qi(field)} AS VARCHAR), count(*) FROM cases WHERE contributor = ? GROUP BY 1 "
        "ORDER BY 1 NULLS LAST",
        [org],
    ).fetchall()
    return [(r[0], int(r[1])) for r in rows]


def _stats(con: duckdb.DuckDBPyConnection, org: str) -> dict[str, Any]:
    """Exact counts of the organisation's own cases: in total and by status, by year of registration,
    gender, age band and type of exploitation (a case can have several types)."""
    std = load_standard()
    total = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE b.status = 'active'), count(*) FILTER (WHERE b.status = 'pending') "
        "FROM cases c JOIN batches b USING (batch_id) WHERE c.contributor = ?",
        [org],
    ).fetchone()
    bands = std.field("ageBroad").codes
    ages = sorted(
        _counts(con, org, "ageBroad"), key=lambda r: bands.index(r[0]) if r[0] in bands else len(bands)
    )
    flags = [f for f in std.fields if f.family == "typeOfExploit"]
    sums = ", ".join(f"count(*) FILTER (WHERE {qi(f.name)} = 1)" for f in flags)
    by_flag = con.execute(f"SELECT {sums} FROM cases WHERE contributor = ?", [org]).fetchone() or ()
    return {
        "total": int(total[0]) if total else 0,
        "active": int(total[1]) if total else 0,
        "pending": int(total[2]) if total else 0,
        "tables": [
            ("year", N_("Year of registration"), _counts(con, org, "yearOfRegistration")),
            ("gender", N_("Gender"), _counts(con, org, "gender")),
            ("age_band", N_("Age band at registration"), ages),
            (
                "exploitation",
                N_("Type of exploitation"),
                [(f.label, int(n)) for f, n in zip(flags, by_flag, strict=True)],
            ),
        ],
    }


@router.get("/contribute/stats")
def stats_page(request: Request, session: Contributor) -> Response:
    """Exact counts of the organisation's own cases, as tables (and a CSV to download)."""
    org = org_name(session)
    stats = must_read(hub_of(request), lambda con: _stats(con, org))
    return contribute_page(request, session, "contribute_stats.html", N_("Your records"), **stats)


@router.get("/contribute/stats.csv")
def stats_csv(request: Request, session: Contributor) -> Response:
    """The counts of the stats page as one CSV: dimension, value, cases."""
    hub = hub_of(request)
    org = org_name(session)
    stats = must_read(hub, lambda con: _stats(con, org))
    lines = [["dimension", "value", "cases"], ["total", "", str(stats["total"])]]
    for key, _title, rows in stats["tables"]:
        lines += [[key, "" if value is None else formula_safe_text(value), str(n)] for value, n in rows]
    folder = new_folder(hub)
    out = folder / f"{org}-counts.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(lines)
    record(hub, session.user.name, "download.own", "stats.csv", f"{stats['total']} cases", remote(request))
    return attachment(out, folder, out.name, "text/csv; charset=utf-8")
