"""Property: no row is lost or counted twice across ingest, quarantine, resubmit and revert."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdhub.ingest import ingest_file
from ctdhub.store import init_store
from ctdhub.store.batches import revert_batch
from ctdhub.store.quarantine import export_quarantine

SPEC = Path(__file__).parent / "data" / "ingest" / "test-org.yaml"
HEADER = ["case_ref", "sex", "age", "nationality", "registration_date", "control"]

sexes = st.sampled_from(["F", "M", "femme", "Femal", "", "-99", "X?"])
ages = st.sampled_from(["3", "16", "24", "47", "140", "abc", "", "-99"])
countries = st.sampled_from(["PHL", "Viet Nam", "Atlantis", "UK", "", "Unknown", "Côte d'Ivoire"])
dates = st.sampled_from(["2019-03-04", "2099-01-01", "1980-01-01", "garbage", "", "2015-12-31"])
controls = st.sampled_from(["", "Debt bondage", "Threats; Debt bondage", "Sleep deprivation", "N/A"])
rows_strategy = st.lists(st.tuples(sexes, ages, countries, dates, controls), min_size=1, max_size=40)
counter = itertools.count()


def write(path: Path, rows: list[tuple[str, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i, r in enumerate(rows):
            w.writerow([f"R{i}", *r])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy)
def test_no_row_lost_or_double_counted(tmp_path: Path, rows: list[tuple[str, ...]]) -> None:
    run = tmp_path / f"run{next(counter)}"
    run.mkdir()
    hub, _ = init_store(run / "hub")
    src = run / "cases.csv"
    write(src, rows)
    first = ingest_file(hub, src, "prop", SPEC)
    assert first.rows_read == len(rows) == first.rows_stored + first.rows_quarantined

    def totals() -> tuple[int, int]:
        with hub.connect() as con:
            c = con.execute("SELECT count(*) FROM cases").fetchone()
            q = con.execute("SELECT count(*) FROM quarantine WHERE status = 'open'").fetchone()
        assert c is not None and q is not None
        return int(c[0]), int(q[0])

    assert totals() == (first.rows_stored, first.rows_quarantined)
    if first.rows_quarantined == 0:
        return
    fix = run / "fix.csv"
    with hub.connect() as con:
        export_quarantine(con, fix)
    fixed = list(csv.DictReader(fix.open(encoding="utf-8")))
    for r in fixed:  # a data officer corrects half of the rows
        if int(r["_source_row"]) % 2 == 0:
            r.update(sex="F", age="30", nationality="PHL", registration_date="2020-01-01", control="Threats")
    with fix.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(fixed[0]))
        w.writeheader()
        w.writerows(fixed)
    second = ingest_file(hub, fix, "prop", SPEC, resubmission=True, parent_batch_id=first.batch_id)
    assert second.rows_read == first.rows_quarantined == second.rows_stored + second.rows_quarantined
    stored, open_rows = totals()
    # every original row is exactly once either a case or an open quarantine entry
    assert stored + open_rows == len(rows)
    with hub.writer() as con:
        revert_batch(con, second.batch_id)
    assert totals() == (first.rows_stored, first.rows_quarantined)
    with hub.writer() as con:
        revert_batch(con, first.batch_id)
    assert totals() == (0, 0)
