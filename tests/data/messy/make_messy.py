"""Rebuild the messy test corpus: small invented files, one defect each (run: python make_messy.py).

All people and cases here are invented. The expected contents are asserted in tests/test_read.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

HERE = Path(__file__).resolve().parent


def write_text(name: str, text: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(text.encode(encoding))


def text_files() -> None:
    write_text(
        "latin1-semicolon.csv",
        "case_ref;sex;age;nationality;exploitation\r\n"
        "LS-001;F;23;Perú;explotación sexual\r\n"
        "LS-002;M;31;España;trabajo forzoso ‘doméstico’\r\n"
        "LS-003;F;;Côte d’Ivoire;mendicidad\r\n",
        "cp1252",
    )
    write_text("bom.csv", "case_ref,sex,age\nB-1,F,19\nB-2,M,44\n", "utf-8-sig")
    write_text(
        "tab-delimited.tsv",
        "case_ref\tcountry_exploited\texploitation\n"
        "T-1\tThailand\tforced labour, fishing\n"
        "T-2\tMalaysia\tdomestic servitude\n",
    )
    write_text(
        "pipe-delimited.csv",
        "case_ref|nationality|age\nP-1|Nigeria|17\nP-2|Ghana, Accra region|25\nP-3| Togo |  \n",
    )
    write_text(
        "quoted-newlines.csv",
        "case_ref,notes,age\n"
        'Q-1,"first line\nsecond line",30\n'
        'Q-2,"said ""hello""",41\n'
        'Q-3,"a\nb\nc",22\n'
        "Q-4,plain,19\n",
    )
    write_text(
        "blank-rows.csv",
        "case_ref,sex,age\nBR-1,F,20\n\nBR-2,M,33\n,,\n   ,  ,\nBR-3,F,27\n\n",
    )
    write_text("empty.csv", "")
    write_text("duplicate-header.csv", "case_ref,sex,age,Sex\nD-1,F,20,F\n")
    write_text("ragged-row.csv", "case_ref,sex,age\nR-1,F,20\nR-2,M\nR-3,F,22\n")


def json_files() -> None:
    records = [
        {"case_ref": "J-1", "age": 23, "registration_date": "2023-01-15", "flags": {"minor": False}},
        {"case_ref": "J-2", "age": None, "sex": "M", "registration_date": "2023-02-01"},
        {"case_ref": "J-3", "age": 12.5, "sex": "F", "exploitation": ["labour", "sexual"]},
    ]
    (HERE / "records.json").write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", "utf-8")
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    (HERE / "records.jsonl").write_text(lines[0] + "\n\n" + lines[1] + "\n" + lines[2] + "\n", "utf-8")
    table = pa.table(
        {
            "case_ref": ["PQ-1", "PQ-2", None],
            "age": pa.array([34, None, None], pa.int64()),
            "minor": pa.array([False, True, None]),
            "registration_date": pa.array([dt.date(2022, 12, 31), dt.date(2023, 3, 9), None]),
            "country_exploited": ["Türkiye", "  ", None],
        }
    )
    pq.write_table(table, HERE / "records.parquet")


def xlsx_files() -> None:
    wb = xlsxwriter.Workbook(HERE / "title-row.xlsx")
    ws = wb.add_worksheet("Casos")
    ws.write("A1", "Registro de casos 2023")
    for c, h in enumerate(["case_ref", "sex", "age", "nationality"]):
        ws.write(2, c, h)
    ws.write_row(3, 0, ["TR-1", "F", 24, "Colombia"])
    ws.write_row(5, 0, ["TR-2", "M", 35.0, "Venezuela"])
    wb.close()

    wb = xlsxwriter.Workbook(HERE / "merged-header.xlsx")
    ws = wb.add_worksheet("Data")
    ws.write_row(0, 0, ["case_ref"])
    ws.merge_range("B1:C1", "exploitation", wb.add_format({"align": "center"}))
    ws.write("D1", "age")
    ws.write_row(1, 0, ["M-1", "labour", "agriculture", 30])
    ws.write_row(2, 0, ["M-2", "sexual", None, 19])
    wb.close()

    wb = xlsxwriter.Workbook(HERE / "two-sheets.xlsx")
    ws = wb.add_worksheet("Notes")  # the first sheet is empty
    ws = wb.add_worksheet("2022")
    ws.write_row(0, 0, ["case_ref", "age"])
    ws.write_row(1, 0, ["S22-1", 40])
    ws = wb.add_worksheet("2023")
    ws.write_row(0, 0, ["case_ref", "age"])
    ws.write_row(1, 0, ["S23-1", 18])
    ws.write_row(2, 0, ["S23-2", 52])
    wb.close()

    wb = xlsxwriter.Workbook(HERE / "hidden-sheet.xlsx")  # earlier records on a hidden sheet
    ws = wb.add_worksheet("Cases")
    ws.write_row(0, 0, ["case_ref", "age", "sex"])
    ws.write_row(1, 0, ["H-1", 30, "F"])
    ws = wb.add_worksheet("Old")
    ws.write_row(0, 0, ["case_ref", "age", "sex"])
    ws.write_row(1, 0, ["H-0", 41, "M"])
    ws.hide()
    wb.close()

    wb = xlsxwriter.Workbook(HERE / "lists-sheet.xlsx")  # a sheet of drop-down lists, a hidden scratch sheet
    ws = wb.add_worksheet("Cases")
    ws.write_row(0, 0, ["case_ref", "age", "sex"])
    ws.write_row(1, 0, ["L-1", 22, "F"])
    ws = wb.add_worksheet("Lists")
    ws.write_column(0, 0, ["sex options", "F", "M", "X"])
    ws = wb.add_worksheet("Scratch")
    ws.write("B2", "draft")
    ws.hide()
    wb.close()

    wb = xlsxwriter.Workbook(HERE / "dates-and-numbers.xlsx")
    ws = wb.add_worksheet("Cases")
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, ["case_ref", "age", "registration_date", "identified_at", "minor", "share"])
    ws.write_row(1, 0, ["DN-1", 12])
    ws.write_datetime(1, 2, dt.datetime(2023, 4, 5), date)
    ws.write_datetime(1, 3, dt.datetime(2023, 4, 5, 14, 30), stamp)
    ws.write_boolean(1, 4, True)
    ws.write_number(1, 5, 0.25)
    ws.write_row(2, 0, ["DN-2", 40.0])
    ws.write_datetime(2, 2, dt.datetime(2021, 12, 31), date)
    ws.write_boolean(2, 4, False)
    ws.write_number(2, 5, 1234567.0)
    ws.write_string(2, 3, "  unknown  ")
    wb.close()


if __name__ == "__main__":
    text_files()
    json_files()
    xlsx_files()
