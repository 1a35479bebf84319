"""`refugio-ngo`: an invented NGO spreadsheet in Spanish (.xlsx, title row, header in row 3).

Row 1 holds a title, row 2 is blank, row 3 the Spanish headers; a few blank rows are scattered in the
data. Exact ages, real Excel dates, Spanish country names and multi-select "Amenazas, Deuda" text.
Region: Latin America. Each case is an invented person (`identity`): Nombre, Apellidos and Fecha de
nacimiento (YYYY-MM-DD text); about 10 % of them were also harbour's, recorded with variations.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter

from ctdhub.demo import distributions as d
from ctdhub.demo.arrow import duplicate_rows
from ctdhub.demo.identity import Shared, Written, adopt, case_people, people_rng
from ctdhub.demo.latent import Cases, simulate
from ctdhub.demo.people import People

TITLE = "Registro de víctimas asistidas — Refugio (datos ficticios)"
HEADER = (
    "Nº de caso",
    "Nombre",
    "Apellidos",
    "Sexo",
    "Edad",
    "Fecha de nacimiento",
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
    # citizenships of people who were first at harbour (South-East Asia)
    "PHL": ("Filipinas",),
    "IDN": ("Indonesia",),
    "KHM": ("Camboya",),
    "MMR": ("Myanmar",),
    "VNM": ("Viet Nam", "Vietnam"),
    "THA": ("Tailandia",),
    "LAO": ("Laos",),
    "CHN": ("China",),
    "BGD": ("Bangladesh",),
    "LKA": ("Sri Lanka",),
    "NPL": ("Nepal",),
    "UKR": ("Ucrania",),
    "TLS": ("Timor-Leste",),
}
BAD_COUNTRIES = ("Centroamérica", "Sudamérica")
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


def _text(values: np.ndarray) -> list[str | None]:
    return [v or None for v in values.tolist()]


def _rows(c: Cases, people: People, rng: np.random.Generator) -> list[list[Any]]:
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
    nombres, apellidos = _text(people.given), _text(people.family)
    nacimiento = [None if d is None else d.isoformat() for d in people.birth_dates()]
    obs = rng.integers(0, len(OBS), n).tolist()
    rows: list[list[Any]] = []
    for i in range(n):
        s = int(c.sector[i])
        r = int(c.recruiter[i])
        rows.append(
            [
                f"R-{i + 1:06d}",
                nombres[i],
                apellidos[i],
                sexo_text[i],
                edad[i],
                nacimiento[i],
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


def write_ngo(
    path: Path,
    rows: int,
    *,
    seed: int = 7,
    shared: Shared | None = None,
    at: np.ndarray | None = None,
    first_person: int = 1,
) -> Written:
    """Write `rows` invented NGO records to `path` (.xlsx, constant memory, deterministic bytes).

    The cases at rows `at` are the `shared` people (another contributor's too); the others are new
    people numbered from `first_person`. Returns who is behind each data row.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    prng = people_rng(seed, 3)
    c = simulate(rows, d.REFUGIO, rng)
    people = case_people(c, prng, first_person)
    if shared is not None and at is not None and len(shared):
        c, people = adopt(c, people, shared, np.asarray(at, np.int64), prng, COUNTRY.keys())
    rows_ = _rows(c, people, rng)
    take = duplicate_rows(rng, rows, d.DUPLICATE_RATE * 2)
    data = [rows_[i] for i in take.tolist()]
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
    sheet_rows = np.zeros(len(data), np.int64)
    for i, row in enumerate(data):
        if blank[i]:
            r += 1
        ws.write_row(r, 0, row)
        sheet_rows[i] = r + 1
        r += 1
    wb.close()
    return Written(path, people.person_id[take], sheet_rows)


def write_ngo_xlsx(path: Path, rows: int, *, seed: int = 7) -> Path:
    """Write `rows` invented NGO records to `path` (.xlsx); no people shared with another contributor."""
    return write_ngo(path, rows, seed=seed).path
