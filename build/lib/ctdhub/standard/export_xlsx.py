"""Export an Excel template for contributors without a case-management system.

One `Cases` sheet with the standard's columns, each with a drop-down list of allowed values,
an input message explaining the field, and a `Dictionary` sheet. Lists live on a hidden sheet.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from ctdhub.geo import resolver
from ctdhub.standard.model import Standard

TEMPLATE_ROWS = 5000


def write_template(std: Standard, path: str | Path) -> Path:
    out = Path(path)
    wb = xlsxwriter.Workbook(str(out))
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    cases = wb.add_worksheet("Cases")
    lists = wb.add_worksheet("Lists")
    dictionary = wb.add_worksheet("Dictionary")
    countries = resolver().codes
    list_col = 0
    for col, f in enumerate(std.fields):
        cases.write(0, col, f.name, head)
        cases.set_column(col, col, max(12, min(len(f.name) + 2, 40)))
        msg = f.label[:32]
        if f.type == "integer":
            cases.data_validation(
                1,
                col,
                TEMPLATE_ROWS,
                col,
                {
                    "validate": "integer",
                    "criteria": ">=",
                    "value": f.minimum or 1900,
                    "input_title": msg,
                    "input_message": "A year, e.g. 2021"[:255],
                },
            )
            continue
        values = ["1", "0"] if f.type == "flag" else countries if f.type == "country" else list(f.codes)
        lists.write(0, list_col, f.name)
        for i, v in enumerate(values, start=1):
            lists.write(i, list_col, v)
        letter = xlsxwriter.utility.xl_col_to_name(list_col)
        cases.data_validation(
            1,
            col,
            TEMPLATE_ROWS,
            col,
            {
                "validate": "list",
                "source": f"=Lists!${letter}$2:${letter}${len(values) + 1}",
                "input_title": msg,
                "input_message": f.description[:250],
                "error_type": "stop",
            },
        )
        list_col += 1
    cases.freeze_panes(1, 0)
    lists.hide()
    for col, title in enumerate(["field", "label", "type", "values", "description"]):
        dictionary.write(0, col, title, head)
    for row, f in enumerate(std.fields, start=1):
        listed = (
            "0, 1" if f.type == "flag" else "ISO3 country code" if f.type == "country" else ", ".join(f.codes)
        )
        dictionary.write_row(row, 0, [f.name, f.label, f.type, listed or "year", f.description])
    dictionary.set_column(0, 0, 38)
    dictionary.set_column(4, 4, 100)
    wb.close()
    return out
