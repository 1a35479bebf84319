"""`ctdhub demo run` with record linkage, end to end, in process: the contributors' encoded files hold no
name nor date of birth, the hub's persons match the demo's answer key, the release counts persons and
records with the person as the unit of privacy, and no public artefact (release files, API answers,
dashboard pages) nor any line the command prints holds a linkage key, a person id or a rare name."""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ctdhub.cli import cli
from ctdhub.demo.linkage import ENCODED_DIR, SECRET_FILE
from ctdhub.publish.app import create_app
from ctdhub.read import read_source

ROWS = 1500
LINE = re.compile(
    r"Linked (\d+) records of (\d+) persons across contributors; against the demo's truth: "
    r"precision ([\d.]+), recall ([\d.]+)\."
)
FRAGMENT = 12  # characters of a key that must appear nowhere public
PRIVATE_DIRS = ("restricted", "research")
PAGES = ("/", "/map", "/flows", "/profile", "/downloads", "/about")
API = ("/api/v1/releases", "/api/v1/releases/latest", "/api/v1/stats", "/api/v1/stats?dims=gender")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass(frozen=True)
class Run:
    base: Path
    stdout: str
    stderr: str
    logs: list[str]

    @property
    def files(self) -> Path:
        return self.base / "files"

    @property
    def hub(self) -> Path:
        return self.base / "hub"

    @property
    def release(self) -> Path:
        return self.hub / "releases" / "0001"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("demo-linkage") / "demo"
    handler, root = _Records(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        r = CliRunner().invoke(cli, ["demo", "run", "--rows", str(ROWS), "--dir", str(base), "--no-serve"])
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert r.exit_code == 0, r.output
    return Run(base, r.stdout, r.stderr, handler.lines)


# --- what the raw and encoded files hold ------------------------------------------------------------------


def _table(
    path: Path, sheet: str | None = None, header_row: int | None = None
) -> list[dict[str, str | None]]:
    """The rows of a file as the hub reads them (every value text)."""
    con = duckdb.connect()
    try:
        read_source(con, path, table="t", sheet=sheet, header_row=header_row)
        cur = con.execute("SELECT * EXCLUDE (_row) FROM t ORDER BY _row")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def raw(run: Run) -> dict[str, list[dict[str, str | None]]]:
    return {
        "harbour-casework": _table(run.files / "harbour-casework.csv"),
        "refugio-ngo": _table(run.files / "refugio-ngo.xlsx", sheet="Registro", header_row=3),
    }


@pytest.fixture(scope="module")
def encoded(run: Run) -> dict[str, list[dict[str, str | None]]]:
    folder = run.files / ENCODED_DIR
    return {
        "harbour-casework": _table(folder / "harbour-casework.csv"),
        "refugio-ngo": _table(folder / "refugio-ngo.xlsx"),
    }


NAMES = {"harbour-casework": ("Given name", "Family name"), "refugio-ngo": ("Nombre", "Apellidos")}
DOB = {"harbour-casework": "Date of birth", "refugio-ngo": "Fecha de nacimiento"}


@pytest.fixture(scope="module")
def rare_names(raw: dict[str, list[dict[str, str | None]]]) -> set[str]:
    """Name words (of both files) written once only and of six letters or more, lower-cased."""
    words = Counter(
        w.lower()
        for contributor, rows in raw.items()
        for row in rows
        for column in NAMES[contributor]
        for w in re.findall(r"[^\W\d_]+", row[column] or "")
    )
    rare = {w for w, n in words.items() if n == 1 and len(w) >= 6}
    assert len(rare) > 50
    return rare


@pytest.fixture(scope="module")
def keys(encoded: dict[str, list[dict[str, str | None]]]) -> list[str]:
    found = [str(row["linkage_key"]) for rows in encoded.values() for row in rows if row["linkage_key"]]
    assert len(found) == sum(len(rows) for rows in encoded.values())
    assert all(k.startswith("pprl1.") for k in found)
    return found


def test_secret_is_the_contributors_not_the_hubs(run: Run) -> None:
    secret = run.files / SECRET_FILE
    assert secret.is_file() and secret.stat().st_mode & 0o077 == 0
    assert not any(p.name == SECRET_FILE for p in run.hub.rglob("*"))
    text = secret.read_text(encoding="ascii").strip()
    assert text not in run.stdout + run.stderr
    assert "shared linkage secret" in run.stdout and "never given to the hub" in run.stdout


def test_encoded_files_hold_no_name_nor_date_of_birth(
    raw: dict[str, list[dict[str, str | None]]],
    encoded: dict[str, list[dict[str, str | None]]],
    rare_names: set[str],
) -> None:
    for contributor, rows in encoded.items():
        before = raw[contributor]
        assert len(rows) == len(before)
        gone = set(NAMES[contributor]) | ({DOB[contributor]} if contributor == "refugio-ngo" else set())
        assert set(rows[0]) == (set(before[0]) - gone) | {"linkage_key"}
        names = {row[c] for row in before for c in NAMES[contributor] if row[c]}
        cells = {v for row in rows for k, v in row.items() if k != "linkage_key" and v}
        assert not names & cells
        text = " ".join(str(v) for v in cells).lower()
        assert not [w for w in rare_names if re.search(rf"\b{re.escape(w)}\b", text)]
    # harbour keeps its date of birth (its spec derives the age band from it, and drops it); refugio's goes
    dobs = {row[DOB["refugio-ngo"]] for row in raw["refugio-ngo"] if row[DOB["refugio-ngo"]]}
    assert not dobs & {v for row in encoded["refugio-ngo"] for v in row.values()}


def _store_text(hub: Path) -> str:
    con = duckdb.connect(str(hub / "hub.duckdb"), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return "\n".join(str(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    finally:
        con.close()


def test_the_store_holds_no_date_of_birth_nor_name(
    run: Run, raw: dict[str, list[dict[str, str | None]]], rare_names: set[str]
) -> None:
    assert (run.hub / "hub.duckdb").is_file()
    text = _store_text(run.hub)
    dobs = {row[DOB[c]] for c, rows in raw.items() for row in rows if row[DOB[c]]}
    assert len(dobs) > 100
    assert not [d for d in dobs if d in text]
    lowered = text.lower()
    assert not [w for w in rare_names if re.search(rf"\b{re.escape(w)}\b", lowered)]


# --- linkage against the answer key, and the release -----------------------------------------------------


def test_persons_match_the_demo_truth(run: Run) -> None:
    m = LINE.search(run.stdout)
    assert m, run.stdout
    records, persons, precision, recall = int(m[1]), int(m[2]), float(m[3]), float(m[4])
    assert persons > 5 and persons <= records <= 2 * persons
    assert precision >= 0.9 and recall >= 0.9


def test_release_counts_persons_and_records_with_the_person_as_unit(run: Run) -> None:
    manifest = json.loads((run.release / "release.json").read_text(encoding="utf-8"))
    population = manifest["population"]
    assert population["linked"] is True and population["unit"] == "person"
    assert population["persons"] < population["records"]
    assert manifest["policy"]["privacy"]["max_records_per_person"] == 2
    report = json.loads((run.release / "privacy.json").read_text(encoding="utf-8"))
    assert report["privacy"]["unit"].startswith("one person")
    assert "The unit of privacy is one person." in (run.release / "report.html").read_text(encoding="utf-8")
    assert "the unit of privacy is the person" in run.stdout


# --- the attack: nothing public holds a key, a person id or a rare name ----------------------------------


def _file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return str(pq.read_table(path).to_pylist())
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return path.read_bytes().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def public(run: Run) -> Iterator[dict[str, str]]:
    """Every public artefact of the demo release as text: its files (but the restricted and research
    folders), the API's answers and the dashboard's pages."""
    out = {
        str(p.relative_to(run.release)): _file_text(p)
        for p in sorted(run.release.rglob("*"))
        if p.is_file() and p.relative_to(run.release).parts[0] not in PRIVATE_DIRS
    }
    assert "release.json" in out and "data/synthetic.csv" in out and "report.html" in out
    with TestClient(create_app(run.hub / "releases")) as client:
        for url in (*API, *PAGES):
            r = client.get(url)
            assert r.status_code == 200, url
            out[url] = r.text
    assert "Identified persons" in out["/"] and "Case records" in out["/"]
    yield out


@pytest.fixture(scope="module")
def person_ids(run: Run) -> set[str]:
    con = duckdb.connect(str(run.hub / "hub.duckdb"), read_only=True)
    try:
        ids = {str(r[0]) for r in con.execute("SELECT DISTINCT person_id FROM persons").fetchall()}
    finally:
        con.close()
    assert len(ids) > 100
    return ids


def _fragments(keys: list[str]) -> set[str]:
    """Every FRAGMENT-character piece of every key past its 'pprl1.' prefix."""
    out: set[str] = set()
    for key in keys:
        body = key.removeprefix("pprl1.")
        out.update(body[i : i + FRAGMENT] for i in range(len(body) - FRAGMENT + 1))
    return out


def _leaks(
    text: str, keys: list[str], fragments: set[str], person_ids: set[str], rare: set[str]
) -> list[str]:
    found = ["pprl1."] if "pprl1." in text else []
    found += [k.rsplit(".", 1)[1][:20] + "…" for k in keys if k.rsplit(".", 1)[1] in text]
    found += sorted({text[i : i + FRAGMENT] for i in range(len(text) - FRAGMENT + 1)} & fragments)[:3]
    found += [p for p in person_ids if p in text or p.removeprefix("person-") in text][:3]
    lowered = text.lower()
    found += [w for w in rare if re.search(rf"\b{re.escape(w)}\b", lowered)][:3]
    return found


def test_no_public_artefact_holds_a_key_a_person_id_or_a_rare_name(
    public: dict[str, str], keys: list[str], person_ids: set[str], rare_names: set[str]
) -> None:
    fragments = _fragments(keys)
    leaks = {
        name: found
        for name, text in public.items()
        if (found := _leaks(text, keys, fragments, person_ids, rare_names))
    }
    assert not leaks


def test_no_line_printed_holds_a_key(run: Run, keys: list[str], person_ids: set[str]) -> None:
    fragments = _fragments(keys)
    for text in (run.stdout, run.stderr, "\n".join(run.logs)):
        assert not _leaks(text, keys, fragments, person_ids, set())
    assert "Linked " in run.stdout


def test_the_hubs_mapping_of_the_encoded_files_names_the_key(run: Run) -> None:
    for name in ("harbour-casework", "refugio-ngo"):
        spec = (run.base / "specs" / f"{name}.yaml").read_text(encoding="utf-8")
        assert "\nlinkage_key: linkage_key\n" in spec and "linkage_key: {drop:" in spec
