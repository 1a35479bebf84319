"""The contributor portal (`/contribute`) and the upload API (`POST /api/v1/uploads`).

Over a new store per test, with the invented contributor "test-org" (its mapping spec is the YAML text of
tests/data/ingest/test-org.yaml, as the hub team would upload it) and the small messy files of
tests/data/ingest; a second organisation without a mapping spec, a researcher, and API tokens. Browsers
sign in through /login like a person would; uploads are ingested in the background and the tests follow
their status page like the browser does (it reloads itself until the ingest ends).
"""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest
import xlsxwriter
from fastapi.testclient import TestClient

from ctdhub.ingest import ingest_file
from ctdhub.portal import routes_contribute, routes_uploads
from ctdhub.publish.app import create_app
from ctdhub.store import Hub, init_store
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import AuditEntry, entries
from ctdhub.store.quarantine import export_quarantine, export_quarantine_xlsx, formula_safe, formula_safe_text
from portal_helpers import csrf_of, signed_in

DATA = Path(__file__).parent / "data" / "ingest"
SPEC = DATA / "test-org.yaml"
PASSWORD = "correct horse battery staple"
HTML = {"accept": "text/html"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    """A new store: carl of test-org (with its approved spec), olga of other-org (none yet), rita."""
    h, _ = init_store(tmp_path / "hub")
    with access_db(h) as con:
        acc.add_user(con, "carl", acc.Role.CONTRIBUTOR, PASSWORD, actor="t", org="test-org")
        acc.add_user(con, "olga", acc.Role.CONTRIBUTOR, PASSWORD, actor="t", org="other-org")
        acc.add_user(con, "rita", acc.Role.RESEARCHER, PASSWORD, actor="t")
        acc.set_org_mapping(con, "test-org", SPEC.read_text(encoding="utf-8"), actor="t")
    return h


def sign_in(hub: Hub, name: str) -> TestClient:
    return signed_in(hub, name, PASSWORD)


def audit(hub: Hub) -> list[AuditEntry]:
    return entries(hub)


def new_entries(hub: Hub, before: int) -> list[AuditEntry]:
    return [e for e in audit(hub) if e.seq > before]


def last_seq(hub: Hub) -> int:
    found = audit(hub)
    return found[0].seq if found else 0


def wait_for(client: TestClient, location: str, timeout: float = 60.0) -> str:
    """Follow an upload's status page until it stops reloading itself; its final HTML."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(location)
        assert page.status_code == 200, page.text[:300]
        if 'http-equiv="refresh"' not in page.text:
            assert "Refresh" not in page.headers
            return page.text
        assert page.headers["refresh"] == "2"
        assert time.monotonic() < deadline, "the upload did not end"
        time.sleep(0.1)


def upload(client: TestClient, name: str, content: bytes, *, path: str = "/contribute/upload") -> str:
    """Post a file through a browser form; return the final status page of its ingest."""
    r = client.post(
        path, data={"csrf": csrf_of(client)}, files={"file": (name, content)}, follow_redirects=False
    )
    assert r.status_code == 303, r.text[:500]
    assert r.headers["location"].startswith("/contribute/uploads/")
    return wait_for(client, r.headers["location"])


def batch_of(page: str) -> str:
    found = re.search(r'href="/contribute/batches/([^"?/]+)[^"]*"', page)
    assert found, page[:2000]
    return found.group(1)


def stored_batch(hub: Hub, batch_id: str) -> dict[str, object]:
    with hub.connect() as con:
        rel = con.execute("SELECT * FROM batches WHERE batch_id = ?", [batch_id])
        row = rel.fetchone()
        assert row is not None
        return dict(zip([d[0] for d in rel.description], row, strict=True))


def open_rows(hub: Hub, batch_id: str) -> list[int]:
    with hub.connect() as con:
        rows = con.execute(
            "SELECT source_row FROM quarantine WHERE batch_id = ? AND status = 'open' ORDER BY 1", [batch_id]
        ).fetchall()
    return [int(r[0]) for r in rows]


def uploaded(hub: Hub, client: TestClient, name: str = "unmapped-value.csv") -> str:
    page = upload(client, name, (DATA / name).read_bytes())
    return batch_of(page)


def xlsx_of(csv_path: Path) -> bytes:
    """The rows of a CSV as a workbook (what a contributor keeping cases in Excel uploads)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Cases")
    for i, row in enumerate(csv.reader(csv_path.open(encoding="utf-8"))):
        for j, value in enumerate(row):
            sheet.write_string(i, j, value)
    book.close()
    return out.getvalue()


def token_for(hub: Hub, name: str) -> str:
    with access_db(hub) as con:
        return acc.create_token(con, name, actor="t")


# --- uploads and the validation report --------------------------------------------------------------------


def test_upload_with_defects_is_pending_with_reasons_per_row(hub: Hub) -> None:
    with sign_in(hub, "carl") as carl:
        home = carl.get("/contribute")
        assert home.status_code == 200 and 'action="/contribute/upload"' in home.text
        assert "200 MB" in home.text and home.headers["cache-control"] == "no-store"
        before = last_seq(hub)
        done = upload(carl, "unmapped-value.csv", (DATA / "unmapped-value.csv").read_bytes())
        assert "2 rows read, 1 stored, 1 quarantined" in done
        batch_id = batch_of(done)
        added = new_entries(hub, before)
        assert [(e.action, e.actor, e.target) for e in added] == [("upload", "carl", batch_id)]
        assert "Femal" not in added[0].detail and "0 skipped" in added[0].detail
        b = stored_batch(hub, batch_id)
        assert b["status"] == "pending" and b["contributor"] == "test-org" and b["mapping"] == "org:test-org"
        assert b["file_name"] == "unmapped-value.csv"
        assert not list((hub.path / "uploads").iterdir())  # the private copy is gone
        report = carl.get(f"/contribute/batches/{batch_id}")
        assert report.status_code == 200
        text = report.text
        assert "pending approval" in text and "unmapped_value" in text
        assert "value &#39;Femal&#39; in column sex is not mapped to a code of gender" in text
        assert "sex: Femal; age: 24" in text and "built-in method" not in text
        assert f'href="/contribute/batches/{batch_id}/rows/2"' in text
        assert text.index("quarantine.csv") < text.index("quarantine.xlsx")  # a CSV contributor: CSV first
        listing = carl.get("/contribute").text
        assert "unmapped-value.csv" in listing and "pending approval" in listing


def test_the_status_page_shows_the_stage_and_one_upload_runs_per_organisation(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = routes_contribute.ingest_file

    def held(*args: object, progress: object = None, **kwargs: object) -> object:
        assert callable(progress)
        progress("read")
        assert release.wait(30)
        return real(*args, progress=progress, **kwargs)

    monkeypatch.setattr(routes_contribute, "ingest_file", held)
    with sign_in(hub, "carl") as carl:
        r = carl.post(
            "/contribute/upload",
            data={"csrf": csrf_of(carl)},
            files={"file": ("clean.csv", (DATA / "clean.csv").read_bytes())},
            follow_redirects=False,
        )
        assert r.status_code == 303
        location = r.headers["location"]
        deadline = time.monotonic() + 30
        while "reading the file" not in (page := carl.get(location)).text:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert '<meta http-equiv="refresh" content="2">' in page.text and page.headers["refresh"] == "2"
        assert "Step 1 of 4: reading the file" in page.text and "<script" not in page.text.split("<body>")[1]
        assert location in carl.get("/contribute").text  # the batches page links to the running upload
        second = carl.post(
            "/contribute/upload",
            data={"csrf": csrf_of(carl)},
            files={"file": ("future-year.csv", (DATA / "future-year.csv").read_bytes())},
        )
        assert second.status_code == 409 and "being ingested already" in second.text
        release.set()
        done = wait_for(carl, location)
        assert "5 rows read, 5 stored, 0 quarantined" in done
    assert [e.action for e in audit(hub)].count("upload") == 1


def test_correct_one_row_in_the_form(hub: Hub) -> None:
    with sign_in(hub, "carl") as carl:
        batch_id = uploaded(hub, carl)
        form = carl.get(f"/contribute/batches/{batch_id}/rows/2")
        assert form.status_code == 200 and 'value="Femal"' in form.text and 'value="24"' in form.text
        values = re.findall(r'name="value" type="text" value="([^"]*)"', form.text)
        assert values == ["Femal", "24", "Philippines", "2019-03-04", "Debt bondage; Sleep deprivation"]
        # still wrong: a new batch, the row quarantined again with its new reason
        before = last_seq(hub)
        values[0] = "Fem"
        r = carl.post(
            f"/contribute/batches/{batch_id}/rows/2",
            data={"csrf": csrf_of(carl), "value": values},
            follow_redirects=False,
        )
        assert r.status_code == 303 and "done=corrected" in r.headers["location"]
        retry = re.search(r"/contribute/batches/([^?]+)", r.headers["location"])
        assert retry
        page = carl.get(r.headers["location"]).text
        assert "still quarantined" in page and "value &#39;Fem&#39; in column sex" in page
        assert [e.action for e in new_entries(hub, before)] == ["resubmit"]
        assert open_rows(hub, batch_id) == [] and open_rows(hub, retry.group(1)) == [2]
        # corrected: stored, and no row is open any more
        before = last_seq(hub)
        values = ["F", "24", "Philippines", "2019-03-04", "Debt bondage"]
        r = carl.post(
            f"/contribute/batches/{retry.group(1)}/rows/2",
            data={"csrf": csrf_of(carl), "value": values},
            follow_redirects=False,
        )
        assert r.status_code == 303
        fixed = re.search(r"/contribute/batches/([^?]+)", r.headers["location"])
        assert fixed
        assert "Your correction is stored" in carl.get(r.headers["location"]).text
        entry = new_entries(hub, before)
        assert [(e.action, e.target) for e in entry] == [("resubmit", fixed.group(1))]
        assert stored_batch(hub, fixed.group(1))["status"] == "pending"
        assert stored_batch(hub, fixed.group(1))["rows_stored"] == 1
        assert open_rows(hub, retry.group(1)) == []
        # the row is closed: no form, and posting again changes nothing
        closed = carl.get(f"/contribute/batches/{batch_id}/rows/2")
        assert 'name="value"' not in closed.text and "nothing left to correct" in closed.text
        before = last_seq(hub)
        again = carl.post(
            f"/contribute/batches/{batch_id}/rows/2", data={"csrf": csrf_of(carl), "value": values}
        )
        assert again.status_code == 409 and "not open any more" in again.text
        assert new_entries(hub, before) == []


def test_csv_round_trip_by_file(hub: Hub) -> None:
    with sign_in(hub, "carl") as carl:
        batch_id = uploaded(hub, carl, "bad-date-and-age.csv")
        assert open_rows(hub, batch_id) == [2, 3, 4, 5]
        before = last_seq(hub)
        export = carl.get(f"/contribute/batches/{batch_id}/quarantine.csv")
        assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
        assert "attachment" in export.headers["content-disposition"]
        assert [(e.action, e.target) for e in new_entries(hub, before)] == [
            ("download.own", f"{batch_id}/quarantine.csv")
        ]
        rows = list(csv.DictReader(io.StringIO(export.text)))
        assert [r["_source_row"] for r in rows] == ["2", "3", "4", "5"]
        fixes = {"2": ("age", "40"), "3": ("age", "20"), "4": ("registration_date", "2019-03-04")}
        for r in rows:
            if r["_source_row"] in fixes:
                column, value = fixes[r["_source_row"]]
                r[column] = value
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        before = last_seq(hub)
        done = upload(carl, "corrected.csv", out.getvalue().encode(), path="/contribute/resubmit")
        assert "4 rows read, 3 stored, 1 quarantined" in done
        fixed = batch_of(done)
        assert [(e.action, e.target) for e in new_entries(hub, before)] == [("resubmit", fixed)]
        assert open_rows(hub, batch_id) == [] and open_rows(hub, fixed) == [5]
        assert stored_batch(hub, fixed)["parent_batch_id"] == batch_id


def test_excel_round_trip_by_file(hub: Hub, tmp_path: Path) -> None:
    with sign_in(hub, "carl") as carl:
        done = upload(carl, "cases.xlsx", xlsx_of(DATA / "unmapped-value.csv"))
        batch_id = batch_of(done)
        report = carl.get(f"/contribute/batches/{batch_id}").text
        assert report.index("quarantine.xlsx") < report.index("quarantine.csv")  # Excel first
        export = carl.get(f"/contribute/batches/{batch_id}/quarantine.xlsx")
        assert export.status_code == 200 and export.headers["content-type"].startswith(
            "application/vnd.openxmlformats"
        )
        book = tmp_path / "fix.xlsx"
        book.write_bytes(export.content)
        wb = openpyxl.load_workbook(book)
        sheet = wb.active
        header = [c.value for c in sheet[1]]
        assert header[:3] == ["_source_batch", "_source_row", "_reasons"]
        assert sheet.cell(2, header.index("sex") + 1).value == "Femal"
        sheet.cell(2, header.index("sex") + 1).value = "F"
        sheet.cell(2, header.index("control") + 1).value = "Threats"
        wb.save(book)
        before = last_seq(hub)
        done = upload(carl, "fix.xlsx", book.read_bytes(), path="/contribute/resubmit")
        assert "1 rows read, 1 stored, 0 quarantined" in done
        assert [e.action for e in new_entries(hub, before)] == ["resubmit"]
        assert open_rows(hub, batch_id) == []


def test_excel_export_has_the_csv_columns_escaped_alike(hub: Hub, tmp_path: Path) -> None:
    first = ingest_file(hub, DATA / "formula-cells.csv", "test-org", SPEC, status="pending")
    assert first.rows_quarantined
    with hub.connect() as con:
        as_csv = export_quarantine(con, tmp_path / "q.csv", batch_id=first.batch_id)
        as_xlsx = export_quarantine_xlsx(con, tmp_path / "q.xlsx", batch_id=first.batch_id)
    assert {**as_csv, "file": ""} == {**as_xlsx, "file": ""}
    csv_rows = list(csv.reader((tmp_path / "q.csv").open(encoding="utf-8")))
    sheet = openpyxl.load_workbook(tmp_path / "q.xlsx").active
    xlsx_rows = [[c.value or "" for c in row] for row in sheet.iter_rows()]
    assert xlsx_rows == csv_rows
    assert any(v.startswith("'=HYPERLINK") for row in xlsx_rows for v in row)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula cells
    con = duckdb.connect()
    for value in ("=1+1", "'=x", "+cmd", "-1", "+1.5", "@SUM(1)", "plain", "-", "'plain", "\tx", "+"):
        sql = con.execute(f"SELECT {formula_safe('$v')}", {"v": value}).fetchone()
        assert sql is not None and formula_safe_text(value) == sql[0], value
    con.close()


def test_revert_a_batch(hub: Hub) -> None:
    with sign_in(hub, "carl") as carl:
        batch_id = uploaded(hub, carl)
        before = last_seq(hub)
        r = carl.post(
            f"/contribute/batches/{batch_id}/revert", data={"csrf": csrf_of(carl)}, follow_redirects=False
        )
        assert r.status_code == 303 and r.headers["location"].endswith("?done=reverted")
        assert [(e.action, e.target, e.detail) for e in new_entries(hub, before)] == [
            ("batch.revert", batch_id, "1 cases removed")
        ]
        assert stored_batch(hub, batch_id)["status"] == "reverted"
        page = carl.get(r.headers["location"]).text
        assert "The batch is reverted" in page and "Revert this batch</button>" not in page
        with hub.connect() as con:
            assert con.execute("SELECT count(*) FROM cases").fetchone() == (0,)
        before = last_seq(hub)
        again = carl.post(f"/contribute/batches/{batch_id}/revert", data={"csrf": csrf_of(carl)})
        assert again.status_code == 409 and "already reverted" in again.text
        assert new_entries(hub, before) == []


# --- one organisation's data only ----------------------------------------------------------------------------


def test_another_organisations_batch_is_404(hub: Hub) -> None:
    with sign_in(hub, "carl") as carl:
        batch_id = uploaded(hub, carl)
        job = carl.post(
            "/contribute/upload",
            data={"csrf": csrf_of(carl)},
            files={"file": ("clean.csv", (DATA / "clean.csv").read_bytes())},
            follow_redirects=False,
        ).headers["location"]
        wait_for(carl, job)
    before = last_seq(hub)
    with sign_in(hub, "olga") as olga:
        token = csrf_of(olga)
        missing = olga.get("/contribute/batches/test-org-nosuchbatch")
        for path in (
            f"/contribute/batches/{batch_id}",
            f"/contribute/batches/{batch_id}/rows/2",
            f"/contribute/batches/{batch_id}/quarantine.csv",
            f"/contribute/batches/{batch_id}/quarantine.xlsx",
            job,
        ):
            r = olga.get(path)
            assert r.status_code == 404 and r.json()["message"] == f"There is nothing at {path}.", path
            page = olga.get(path, headers=HTML)
            assert page.status_code == 404 and "Femal" not in page.text and "unmapped" not in page.text
        assert missing.status_code == 404 and "There is nothing at" in missing.json()["message"]
        for path, data in (
            (f"/contribute/batches/{batch_id}/revert", {"csrf": token}),
            (f"/contribute/batches/{batch_id}/rows/2", {"csrf": token, "value": ["F"] * 5}),
        ):
            assert olga.post(path, data=data).status_code == 404, path
        listing = olga.get("/contribute").text
        assert batch_id not in listing and "unmapped-value.csv" not in listing
        # a corrected export naming carl's rows is refused, and nothing is resolved
        rows = f"_source_batch,_source_row,_reasons,sex\n{batch_id},2,x,F\n"
        r = olga.post(
            "/contribute/resubmit", data={"csrf": token}, files={"file": ("fix.csv", rows.encode())}
        )
        assert r.status_code == 400 and "not a batch of your organisation" in r.text
    assert [e.action for e in new_entries(hub, before) if e.action != "login"] == []
    assert open_rows(hub, batch_id) == [2]


def test_records_and_counts_hold_only_the_own_cases(hub: Hub) -> None:
    ingest_file(hub, DATA / "clean.csv", "other-org", SPEC)
    with sign_in(hub, "carl") as carl:
        uploaded(hub, carl, "future-year.csv")
        before = last_seq(hub)
        r = carl.get("/contribute/records.csv")
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert rows and {row["contributor"] for row in rows} == {"test-org"}
        assert "person_key" not in rows[0] and {row["batch_status"] for row in rows} == {"pending"}
        with hub.connect() as con:
            own = con.execute("SELECT count(*) FROM cases WHERE contributor = 'test-org'").fetchone()
        assert own is not None and len(rows) == own[0]
        stats = carl.get("/contribute/stats")
        assert stats.status_code == 200
        assert f"{own[0]} cases: 0 in releases, {own[0]} waiting for approval" in stats.text
        counts = list(csv.DictReader(io.StringIO(carl.get("/contribute/stats.csv").text)))
        assert {"dimension": "total", "value": "", "cases": str(own[0])} in counts
        years = {c["value"]: int(c["cases"]) for c in counts if c["dimension"] == "year"}
        assert sum(years.values()) == own[0]
        genders = {c["value"]: int(c["cases"]) for c in counts if c["dimension"] == "gender"}
        assert genders == {"Female": own[0]}
        actions = [(e.action, e.target) for e in new_entries(hub, before)]
        assert actions == [("download.own", "stats.csv"), ("download.own", "records.csv")]


# --- refusals --------------------------------------------------------------------------------------------------


def test_posts_need_the_sessions_csrf_token(hub: Hub) -> None:
    with sign_in(hub, "carl") as carl:
        batch_id = uploaded(hub, carl)
        before = last_seq(hub)
        content = (DATA / "clean.csv").read_bytes()
        fix = f"_source_batch,_source_row,_reasons,sex\n{batch_id},2,x,F\n".encode()
        for token in (None, "forged"):
            data = {"csrf": token} if token else {}
            posts = [
                ("/contribute/upload", {"files": {"file": ("clean.csv", content)}}),
                ("/contribute/resubmit", {"files": {"file": ("fix.csv", fix)}}),
                (f"/contribute/batches/{batch_id}/revert", {}),
                (f"/contribute/batches/{batch_id}/rows/2", {"extra": {"value": ["F"] * 5}}),
                ("/contribute/mapping/draft", {"files": {"file": ("clean.csv", content)}}),
            ]
            for path, kw in posts:
                form = {**data, **kw.get("extra", {})}
                r = carl.post(path, data=form, files=kw.get("files"), headers=HTML)
                assert r.status_code == 403, (path, token)
                assert "did not come from this site" in r.text
        assert new_entries(hub, before) == []
        with hub.connect() as con:
            assert con.execute("SELECT count(*) FROM batches").fetchone() == (1,)
        assert open_rows(hub, batch_id) == [2] and stored_batch(hub, batch_id)["status"] == "pending"
        assert not list((hub.path / "uploads").iterdir())


def test_who_may_contribute(hub: Hub) -> None:
    anonymous = TestClient(create_app(hub.releases_dir, hub=hub))
    for path in ("/contribute", "/contribute/records.csv", "/contribute/stats", "/contribute/mapping"):
        assert anonymous.get(path).status_code == 401, path
    r = anonymous.post("/contribute/upload", files={"file": ("clean.csv", b"a,b\n")})
    assert r.status_code == 401
    with sign_in(hub, "rita") as rita:
        assert rita.get("/contribute").status_code == 403
        assert rita.post("/contribute/upload", files={"file": ("x.csv", b"a\n")}).status_code == 403
    assert not (hub.path / "uploads").exists() or not list((hub.path / "uploads").iterdir())


def test_without_an_approved_mapping_the_page_links_to_the_draft(hub: Hub) -> None:
    with sign_in(hub, "olga") as olga:
        home = olga.get("/contribute")
        assert 'action="/contribute/upload"' not in home.text
        assert 'href="/contribute/mapping"' in home.text and "no approved mapping spec" in home.text
        before = last_seq(hub)
        r = olga.post(
            "/contribute/upload",
            data={"csrf": csrf_of(olga)},
            files={"file": ("clean.csv", (DATA / "clean.csv").read_bytes())},
        )
        assert r.status_code == 409 and "no approved mapping spec" in r.text
        assert new_entries(hub, before) == []


def test_size_and_type_limits_in_the_browser(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    with sign_in(hub, "carl") as carl:
        token = csrf_of(carl)
        before = last_seq(hub)
        r = carl.post("/contribute/upload", data={"csrf": token}, files={"file": ("cases.csv", PNG)})
        assert r.status_code == 415 and "is not a CSV file" in r.text and "PNG image" in r.text
        r = carl.post("/contribute/upload", data={"csrf": token}, files={"file": ("cases.exe", b"a,b\n")})
        assert r.status_code == 415 and "the hub accepts" in r.text
        r = carl.post(
            "/contribute/upload", data={"csrf": token}, files={"file": ("cases.xlsx", b"a,b\n1,2\n")}
        )
        assert r.status_code == 415 and "not a Excel (.xlsx) file" in r.text
        r = carl.post(
            "/contribute/upload",
            data={"csrf": token},
            files={"file": ("broken.csv", b'case_ref,sex\nA,"F\n')},
            follow_redirects=False,
        )
        assert r.status_code == 303
        failed = wait_for(carl, r.headers["location"])
        assert "was not ingested" in failed and "quoted value is never closed" in failed
        assert str(hub.path) not in failed
        monkeypatch.setattr(routes_contribute, "MAX_UPLOAD_BYTES", 1000)
        r = carl.post(
            "/contribute/upload", data={"csrf": token}, files={"file": ("big.csv", b"a,b\n" + b"1,2\n" * 500)}
        )
        assert r.status_code == 413 and "larger than" in r.text
        assert new_entries(hub, before) == []
        with hub.connect() as con:
            assert con.execute("SELECT count(*) FROM batches").fetchone() == (0,)
        assert not list((hub.path / "uploads").iterdir())


def test_mapping_draft_and_dry_run_change_nothing(hub: Hub) -> None:
    with sign_in(hub, "olga") as olga:
        page = olga.get("/contribute/mapping")
        assert page.status_code == 200 and "no approved spec yet" in page.text
        before = last_seq(hub)
        sample = (DATA / "unknown-country.csv").read_bytes()
        r = olga.post(
            "/contribute/mapping/draft", data={"csrf": csrf_of(olga)}, files={"file": ("sample.csv", sample)}
        )
        assert r.status_code == 200, r.text[:500]
        assert "spec: other-org" in r.text and "Dry run of draft on sample.csv" in r.text
        assert "Atlantis" in r.text and "unknown_country" in r.text  # the unmapped country of the sample
        assert "built-in method" not in r.text
        draft = re.search(r'<textarea[^>]*name="spec_text"[^>]*>([^<]*)</textarea>', r.text)
        assert draft and "spec: other-org" in draft.group(1)
        yaml = olga.post(
            "/contribute/mapping/draft.yaml", data={"csrf": csrf_of(olga), "spec_text": "spec: x\n"}
        )
        assert yaml.status_code == 200 and "attachment" in yaml.headers["content-disposition"]
        checked = olga.post(
            "/contribute/mapping/check",
            data={"csrf": csrf_of(olga)},
            files={"file": ("sample.csv", sample), "spec": ("test-org.yaml", SPEC.read_bytes())},
        )
        assert checked.status_code == 200
        assert "2 rows: 1 would be stored, 1 quarantined" in checked.text
        broken = olga.post(
            "/contribute/mapping/check",
            data={"csrf": csrf_of(olga), "spec_text": "spec: x\ncolumns: 3\n"},
            files={"file": ("sample.csv", sample)},
        )
        assert broken.status_code == 200 and "The spec has problems" in broken.text
        assert [e.action for e in new_entries(hub, before)] == []
        with hub.connect() as con:
            assert con.execute("SELECT count(*) FROM batches").fetchone() == (0,)


# --- the upload API ----------------------------------------------------------------------------------------------


def test_api_upload_with_a_token(hub: Hub) -> None:
    client = TestClient(create_app(hub.releases_dir, hub=hub))
    token = token_for(hub, "carl")
    before = last_seq(hub)
    r = client.post(
        "/api/v1/uploads",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("unmapped-value.csv", (DATA / "unmapped-value.csv").read_bytes())},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending" and body["file"] == "unmapped-value.csv"
    assert (body["rows_read"], body["rows_stored"], body["rows_quarantined"]) == (2, 1, 1)
    assert body["rules"]["unmapped_value"]["rows"] == 1
    assert stored_batch(hub, body["batch_id"])["status"] == "pending"
    assert [(e.action, e.actor, e.target) for e in new_entries(hub, before)] == [
        ("upload", "carl", body["batch_id"])
    ]
    again = client.post(
        "/api/v1/uploads",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("same.csv", (DATA / "unmapped-value.csv").read_bytes())},
    )
    assert again.status_code == 409 and "ingested already" in again.json()["message"]
    spec = client.get("/api/openapi.json").json()
    operation = spec["paths"]["/api/v1/uploads"]["post"]
    assert operation["security"] == [{"contributorToken": []}]
    assert spec["components"]["securitySchemes"]["contributorToken"]["scheme"] == "bearer"
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"201", "401", "403", "413", "415"} <= set(operation["responses"])


def test_api_refusals(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(create_app(hub.releases_dir, hub=hub))
    carl, rita, olga = token_for(hub, "carl"), token_for(hub, "rita"), token_for(hub, "olga")
    before = last_seq(hub)
    clean = ("clean.csv", (DATA / "clean.csv").read_bytes())

    def post(token: str | None, file: tuple[str, bytes] = clean) -> tuple[int, dict[str, object]]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = client.post("/api/v1/uploads", headers=headers, files={"file": file})
        return r.status_code, r.json()

    assert post(None)[0] == 401
    assert post(carl[:-2] + "xx")[0] == 401
    status, body = post(rita)
    assert status == 403 and "role" in str(body["message"])
    status, body = post(carl, ("cases.csv", PNG))
    assert status == 415 and body["error"] == "UnsupportedFileType" and "PNG image" in str(body["message"])
    status, body = post(carl, ("cases.parquet", b"a,b\n1,2\n"))
    assert status == 415
    status, body = post(carl, ("nocols.csv", b"foo,bar\n1,2\n"))
    assert status == 400 and set(body) >= {"error", "message"}
    assert "neither mapped nor dropped" in str(body["message"]) and str(hub.path) not in str(body["message"])
    monkeypatch.setattr(routes_uploads, "MAX_UPLOAD_BYTES", 1000)
    status, body = post(carl, ("big.csv", b"a,b\n" + b"1,2\n" * 500))
    assert status == 413 and body["error"] == "FileTooLarge"
    status, body = post(olga)
    assert status == 409 and "no approved mapping spec" in str(body["message"])
    assert new_entries(hub, before) == []
    with hub.connect() as con:
        assert con.execute("SELECT count(*) FROM batches").fetchone() == (0,)
    assert not list((hub.path / "uploads").iterdir())
