"""Fuzz: generated bad inputs through `ingest`. For each file, either one sentence (a CtdhubError, never an
internal error) or a batch with rows_read = stored + quarantined, and — for files a CSV writer produced —
rows_read equal to an independent count of the file's non-blank records.

Bad inputs: values that break every rule (out-of-range numbers, formulas, NUL bytes, long cells, stray quotes,
mixed scripts), then byte-level damage (truncation, inserted bytes, changed line endings, re-encoding)."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdhub.errors import CtdhubError
from ctdhub.ingest import ingest_file
from ctdhub.store import init_store

SPEC = Path(__file__).parent / "data" / "ingest" / "test-org.yaml"
HEADER = ["case_ref", "sex", "age", "nationality", "country_exploited", "registration_date", "exploitation",
          "control", "sector", "months", "office"]  # fmt: skip
BAD = [
    "", " ", "-99", "N/A", "1e10", "2147483648", "inf", "nan", "-0", "1e400", "=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0",
    "\t=1", "a\x00b", '"', '""', "x" * 5000, "São Tomé", "Имя", "中文", "🙂", "\u200b", "2019-02-30", "31/12/2019",
    "F", "M", "24", "PHL", "Viet Nam", "2019-03-04", "Forced labour", "Threats; Debt bondage", "Construction", "3",
]  # fmt: skip
cells = st.sampled_from(BAD)
rows = st.lists(st.lists(cells, min_size=len(HEADER), max_size=len(HEADER)), min_size=0, max_size=25)
counter = itertools.count()


def _csv_text(body: list[list[str]], newline: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(HEADER)
    for i, r in enumerate(body):
        w.writerow([f"Z{i}", *r[1:]])
    return buf.getvalue()


def _ingest(tmp_path: Path, name: str, content: bytes) -> tuple[int, int, int] | None:
    """(read, stored, quarantined), or None when the file was refused with a sentence."""
    run = tmp_path / f"run{next(counter)}"
    hub, _ = init_store(run / "hub")
    f = run / name
    f.write_bytes(content)
    try:
        r = ingest_file(hub, f, "test-org", SPEC)
    except CtdhubError as err:
        text = str(err)
        assert "internal error" not in text and "Traceback" not in text, text
        return None
    assert r.rows_read == r.rows_stored + r.rows_quarantined
    with hub.connect() as con:
        assert con.execute("SELECT count(*) FROM cases").fetchone() == (r.rows_stored,)
        assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (r.rows_quarantined,)
    return r.rows_read, r.rows_stored, r.rows_quarantined


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=rows, newline=st.sampled_from(["\n", "\r\n"]), encoding=st.sampled_from(["utf-8", "utf-16"]))
def test_bad_values_lose_no_row(tmp_path: Path, body: list[list[str]], newline: str, encoding: str) -> None:
    text = _csv_text(body, newline)
    if "\x00" in text and encoding == "utf-8":
        text = text.replace("\x00", "")  # a NUL inside UTF-8 text is damage, fuzzed below
    out = _ingest(tmp_path, "values.csv", text.encode(encoding))
    assert out is not None, "a file a CSV writer produced was refused"
    assert out[0] == len(body)  # every record has its case_ref, so none is blank: the independent count


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=rows,
    cut=st.floats(0.05, 1.0),
    junk=st.binary(min_size=1, max_size=12),
    at=st.floats(0.0, 1.0),
    mode=st.sampled_from(["truncate", "insert", "cr-only", "cp1252", "nul"]),
)
def test_damaged_files_are_read_or_refused_in_one_sentence(
    tmp_path: Path, body: list[list[str]], cut: float, junk: bytes, at: float, mode: str
) -> None:
    raw = _csv_text(body, "\n").encode("utf-8")
    pos = int(len(raw) * at)
    if mode == "truncate":
        raw = raw[: max(int(len(raw) * cut), 1)]
    elif mode == "insert":
        raw = raw[:pos] + junk + raw[pos:]
    elif mode == "cr-only":
        raw = raw.replace(b"\n", b"\r")
    elif mode == "cp1252":
        raw = raw.decode("utf-8").encode("cp1252", errors="replace")
    else:
        raw = raw[:pos] + b"\x00" + raw[pos:]
    _ingest(tmp_path, "damaged.csv", raw)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.json", b"[]"),
        ("objects.json", b'[{"case_ref": "J1", "sex": "F"}, {}, {"case_ref": null}]'),
        ("nested.json", b'[{"case_ref": {"a": [1, 2]}, "sex": [1]}]'),
        ("deep.json", b"[" * 3000 + b"]" * 3000),
        ("numbers.json", b'[{"case_ref": "N1", "age": 1e400, "registration_date": -1e308}]'),
        ("binary.csv", bytes(range(256)) * 20),
        ("only-header.csv", ",".join(HEADER).encode()),
        ("duplicate-header.csv", (",".join([*HEADER, "sex"]) + "\n" + ",".join(["a"] * 12) + "\n").encode()),
        ("ragged.csv", (",".join(HEADER) + "\nA,F\nB,M,24,PHL,MYS,2019-03-04,x,y,z,3,n,EXTRA\n").encode()),
    ],
)
def test_odd_files(tmp_path: Path, name: str, content: bytes) -> None:
    _ingest(tmp_path, name, content)
