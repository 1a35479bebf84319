"""Small input files that would exhaust memory or time in the readers are refused with a sentence.

Each bad file is read in a subprocess whose address space is capped at 2 GB, so an allocation blow-up
(calamine's dense grid) fails the test instead of the machine."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
    'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>case_ref</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>age</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>A-1'
    '</t></is></c><c r="B2"><v>30</v></c></row>'
)


def _xlsx(path: Path, rows: str, *, filler: int = 0) -> Path:
    """A minimal workbook with one sheet 'Data': a header, one record, then `rows` (sheet XML)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", CT)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(HEAD.encode())
            block = b" " * (1 << 24)
            for _ in range(filler // len(block)):
                fh.write(block)
            fh.write(f"{rows}</sheetData></worksheet>".encode())
    return path


def _read_capped(path: Path, cap: int = 2 << 30) -> str:
    """Read `path` with read_source in a subprocess limited to `cap` bytes of address space (none when 0)
    and 120 seconds; its stdout (the error or 'read')."""
    code = f"""
import resource, duckdb
if {cap}:
    resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from ctdhub.errors import CtdhubError
from ctdhub.read import read_source
try:
    read_source(duckdb.connect(), {str(path)!r}, table="t")
    print("read")
except CtdhubError as err:
    print(err)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_far_cell_xlsx_refused(tmp_path):
    f = _xlsx(tmp_path / "cases.xlsx", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    assert f.stat().st_size < 3000
    assert _read_capped(f) == (
        "cases.xlsx, sheet 'Data': a cell at XFD1048576 makes the sheet 1,048,576 rows × 16,384 columns "
        "for 5 values; delete the empty rows and columns below and right of the data and save again."
    )


def test_far_cell_within_memory_cap_but_slow_refused(tmp_path):
    f = _xlsx(tmp_path / "cases.xlsx", '<row r="1048576"><c r="CV1048576"><v>1</v></c></row>')
    assert "a cell at CV1048576 makes the sheet 1,048,576 rows × 100 columns" in _read_capped(f)


def test_far_empty_styled_cell_is_read(tmp_path):
    f = _xlsx(tmp_path / "cases.xlsx", '<row r="1048576"><c r="XFD1048576" s="0"/></row>')
    assert _read_capped(f) == "read"


def test_zip_bomb_sheet_refused(tmp_path):
    f = _xlsx(tmp_path / "bomb.xlsx", "", filler=520 * 1024 * 1024)
    assert f.stat().st_size < 2_000_000
    out = _read_capped(f)
    assert re.fullmatch(
        r"bomb\.xlsx unpacks to more than 512 MB from [\d,]+ bytes packed \(xl/worksheets/sheet1\.xml\), so "
        r"the file looks damaged or built to exhaust memory and was not read\.",
        out,
    )


def test_json_with_too_many_fields_refused(tmp_path):
    f = tmp_path / "wide.json"
    f.write_text(json.dumps([{f"k{i}": i for i in range(10_006)} for _ in range(3)]))
    # DuckDB cannot start under a 2 GB address-space cap; the defect was time (over 5 minutes), bounded
    # here by the subprocess timeout.
    assert _read_capped(f, cap=0) == (
        "wide.json: the records have 10,006 different fields, but a file of case records has at most "
        "2,000 fields, so nothing was read."
    )
