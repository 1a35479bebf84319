"""`refugio-ngo`: an invented NGO spreadsheet in Spanish (.xlsx, title row, header in row 3).

Row 1 holds a title, row 2 is blank, row 3 the Spanish headers; a few blank rows are scattered in the
data. Exact ages, real Excel dates, Spanish country names and multi-select "Amenazas, Deuda" text.
Region: Latin America.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter

from ctdhub.demo import distributions as d
from ctdhub.demo.arrow import duplicate_rows
from ctdhub.demo.latent import Cases, simulate

TITLE = "Registro de víctimas asistidas — Refugio (datos ficticios)"
HEADER = (
    "Nº de caso",
    "Nombre",
    "Sexo",
    "Edad",
    "Nacionalidad",
    "País de explotación",
    "Tipo de explotación",
    "Sector",
    "Formas de control",
    "Fecha de registro",
    "Relación con el reclutador",
    "Observaciones",
)
BLANK_ROW_RATE = 0.003
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)

SEXO = ("Mujer", "Hombre", "Mujer trans", "No indica")
TIPO = ("Sexual", "Laboral", "Ambas", "Matrimonio forzado", "Otra", "Sin dato")
SECTOR = (
    "Agricultura",
    "Pesca",
    "Mendicidad",
    "Construcción",
    "Trabajo doméstico",
    "Hostelería",
    "Actividades ilícitas",
    "Maquila",
    "Minería",
    "Venta ambulante",
    "Transporte",
    "Otro",
)
CONTROL = (
    "Deuda",
    "Retención de salario",
    "Control del dinero",
    "Amenazas",
    "Violencia psicológica",
    "Violencia física",
    "Violencia sexual",
    "Engaño",
    "Drogas o alcohol",
    "Encierro",
    "Sin atención médica",
    "Jornadas excesivas",
    "Amenazas a los hijos",
    "Amenaza de denuncia",
    "Privación de alimentos",
    "Retención de documentos",
    "Otra",
)
RELACION = ("Pareja", "Amistad", "Familiar", "Empleador o enganchador", "Desconocida")
COUNTRY: dict[str, tuple[str, ...]] = {
    "VEN": ("Venezuela",),
    "HND": ("Honduras",),
    "GTM": ("Guatemala",),
    "MEX": ("México", "Mexico"),
    "COL": ("Colombia",),
    "SLV": ("El Salvador",),
    "NIC": ("Nicaragua",),
    "HTI": ("Haití", "Haiti"),
    "ECU": ("Ecuador",),
    "CUB": ("Cuba",),
    "PER": ("Perú",),
    "BOL": ("Bolivia",),
    "USA": ("Estados Unidos",),
    "PAN": ("Panamá",),
    "CRI": ("Costa Rica",),
    "CHL": ("Chile",),
    "ARG": ("Argentina",),
    "ESP": ("España",),
}
BAD_COUNTRIES = ("Centroamérica", "Sudamérica")
NOMBRES = ("María", "Yuleisy", "Ana Lucía", "Daniela", "José", "Luis", "Karla", "Wendy", "Carlos", "Rosa")
APELLIDOS = ("García", "Hernández", "López", "Martínez", "Rodríguez", "Pérez", "Flores", "Ramírez")
OBS = ("", "Derivada a albergue.", "Acompañamiento legal en curso.", "Retorno voluntario solicitado.", "")


def _country(rng: np.random.Generator, iso3: np.ndarray) -> list[str | None]:
    out: list[str | None] = []
    n = len(iso3)
    bad = rng.random(n) < d.UNKNOWN_COUNTRY_RATE / 2
    alt = rng.random(n) < 0.15
    for code, b, a in zip(iso3.tolist(), bad.tolist(), alt.tolist(), strict=True):
        if not code:
            out.append(None)
        elif b:
            out.append(BAD_COUNTRIES[len(out) % 2])
        else:
            forms = COUNTRY[code]
            out.append(forms[1] if a and len(forms) > 1 else forms[0])
    return out


def _control(c: Cases, rng: np.random.Generator) -> list[str]:
    typo = rng.random(c.n) < d.TYPO_RATE / 3
    out = []
    for i, row in enumerate(c.means.tolist()):
        if not c.means_known[i]:
            out.append("Sin dato")
            continue
        chosen = [lab for lab, on in zip(CONTROL, row, strict=True) if on]
        if typo[i]:
            chosen = ["Amenzas", *chosen]
        out.append(", ".join(chosen) if chosen else "Ninguna")
    return out


def _rows(c: Cases, rng: np.random.Generator) -> list[list[Any]]:
    n = c.n
    sexo = np.where(c.gender < 3, c.gender, 3)
    sexo_text = [SEXO[i] for i in sexo.tolist()]
    for i in np.flatnonzero(rng.random(n) < d.TYPO_RATE / 2).tolist():
        sexo_text[i] = "Muger" if sexo[i] == 0 else "Hombr"
    edad: list[int | None] = [a if a >= 0 else None for a in c.age.tolist()]
    for i in np.flatnonzero(rng.random(n) < 0.0003).tolist():
        edad[i] = 300 + (edad[i] or 0)  # a slip of the keyboard: age out of range
    future = rng.random(n) < d.FUTURE_YEAR_RATE
    fechas = np.where(future, c.registered + np.timedelta64(3653, "D"), c.registered).astype(object).tolist()
    nac = _country(rng, c.citizenship)
    pais = _country(rng, c.exploitation_country)
    control = _control(c, rng)
    nombres = rng.integers(0, len(NOMBRES), n).tolist()
    apellidos = rng.integers(0, len(APELLIDOS), (n, 2)).tolist()
    obs = rng.integers(0, len(OBS), n).tolist()
    rows: list[list[Any]] = []
    for i in range(n):
        s = int(c.sector[i])
        r = int(c.recruiter[i])
        rows.append(
            [
                f"R-{i + 1:06d}",
                f"{NOMBRES[nombres[i]]} {APELLIDOS[apellidos[i][0]]} {APELLIDOS[apellidos[i][1]]}",
                sexo_text[i],
                edad[i],
                nac[i],
                pais[i],
                TIPO[int(c.exploit[i])],
                SECTOR[s] if s >= 0 else ("No aplica" if c.exploit[i] != 5 else None),
                control[i],
                fechas[i],
                RELACION[r] if r >= 0 else "Sin dato",
                OBS[obs[i]] or None,
            ]
        )
    return rows


def write_ngo_xlsx(path: Path, rows: int, *, seed: int = 7) -> Path:
    """Write `rows` invented NGO records to `path` (.xlsx, constant memory, deterministic bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    c = simulate(rows, d.REFUGIO, rng)
    rows_ = _rows(c, rng)
    data = [rows_[i] for i in duplicate_rows(rng, rows, d.DUPLICATE_RATE * 2).tolist()]
    blank = np.zeros(rows, bool)
    if rows > 10:
        blank[rng.choice(np.arange(5, rows), max(1, round(rows * BLANK_ROW_RATE)), replace=False)] = True
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "default_date_format": "dd/mm/yyyy"})
    wb.set_properties({"title": TITLE, "author": "ctdhub demo", "created": FIXED_TIME})
    ws = wb.add_worksheet("Registro")
    bold = wb.add_format({"bold": True})
    ws.write_string(0, 0, TITLE, bold)
    ws.write_row(2, 0, HEADER, bold)
    ws.set_column(0, len(HEADER) - 1, 18)
    r = 3
    for i, row in enumerate(data):
        if blank[i]:
            r += 1
        ws.write_row(r, 0, row)
        r += 1
    wb.close()
    return path
