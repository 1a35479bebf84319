"""The demo's record linkage, end to end: the contributors encode, the hub links, the answer key judges.

Acting as the contributors, `shared_secret` makes the linkage secret they share (in their folder, never
the hub's) and `encode_demo_file` writes a file with names and dates of birth replaced by a linkage key
(`ctdhub.linkage.encode_file`), with the hub's mapping of it: the demo spec plus `linkage_key` and the
encoded file's layout. Acting as the hub, `link_demo` runs `duplicates find` on the store, and
`write_demo_policy` lets a release measure at most two records of a person (a person is at most at the two
demo contributors with keys). `evaluate_against_truth` compares the persons found with the generator's
answer key (`truth/truth-persons.csv`). Nothing here puts a key, a name or a date of birth in a message.
"""

from __future__ import annotations

import io
import os
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path

import duckdb
import pyarrow as pa
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from ctdhub.demo.generate import DemoFile
from ctdhub.linkage.clk import load_secret, new_secret
from ctdhub.linkage.encode_file import KEY_COLUMN, EncodeReport, FieldMap, encode_file
from ctdhub.linkage.find import FindResult, find_duplicates
from ctdhub.mapping import load_spec
from ctdhub.read import SourceInfo, read_source
from ctdhub.release.create import HUB_POLICY
from ctdhub.sql import ql
from ctdhub.store import Hub

SECRET_FILE = "linkage-secret.txt"  # in the contributors' folder
ENCODED_DIR = "encoded"  # beside the contributors' files
MAX_RECORDS_PER_PERSON = 2  # a person is at most at harbour and at refugio

DEMO_POLICY = f"""\
# The demo hub's release policy (written by `ctdhub demo run`): the built-in defaults, except that a person
# linked by the hub's record linkage is measured with up to {MAX_RECORDS_PER_PERSON} records (an invented
# person is at most at the two demo contributors whose files carry linkage keys).
policy: demo
title: Demo counter-trafficking data hub release
privacy:
  max_records_per_person: {MAX_RECORDS_PER_PERSON}
"""


@dataclass(frozen=True)
class Identifiers:
    """The identifier columns of a demo contributor's file, and those kept after encoding all the same."""

    fields: FieldMap
    keep: tuple[str, ...] = ()


# The demo contributors with names and dates of birth. Harbour keeps its date of birth: its spec derives
# the age band from it, and drops it.
IDENTIFIERS: dict[str, Identifiers] = {
    "harbour-casework": Identifiers(
        FieldMap(given="Given name", family="Family name", dob="Date of birth", sex="Sex"),
        keep=("Date of birth",),
    ),
    "refugio-ngo": Identifiers(
        FieldMap(given="Nombre", family="Apellidos", dob="Fecha de nacimiento", sex="Sexo")
    ),
}


@dataclass(frozen=True)
class EncodedFile:
    """A demo contributor's file encoded for linkage, the hub's mapping of it, and where its rows went."""

    raw: DemoFile  # the contributor's own file (never sent)
    report: EncodeReport
    spec: Path  # the hub's mapping of the encoded file
    rows: dict[int, int]  # row of the raw file (as the hub reads it) -> row of the encoded file

    @property
    def path(self) -> Path:
        return self.report.out

    def to_ingest(self) -> DemoFile:
        """The file the contributor sends: the encoded file under its mapping."""
        return DemoFile(self.raw.contributor, self.path, self.spec, self.raw.rows, self.raw.description)


@dataclass(frozen=True)
class LinkageCheck:
    """The hub's persons against the demo's answer key, over the stored cases the key names. A pair is two
    records of two contributors; precision is 1 when nothing is linked."""

    records: int  # stored cases the answer key names
    linked_records: int  # records of persons found at two or more contributors
    linked_persons: int  # persons found at two or more contributors
    linked_pairs: int  # pairs of records the hub put in one person
    true_pairs: int  # pairs of records of one invented person
    correct_pairs: int  # pairs both
    truth_persons: int  # invented people with stored records at two or more contributors
    persons_exact: int  # of them, found as one person with their records at each of those contributors
    precision: float
    recall: float

    def line(self) -> str:
        return (
            f"Linked {self.linked_records} records of {self.linked_persons} persons across contributors; "
            f"against the demo's truth: precision {self.precision:.3f}, recall {self.recall:.3f}."
        )

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)


def shared_secret(folder: Path) -> tuple[Path, bytes]:
    """The contributors' shared linkage secret in `folder` (made readable by its owner only when new): its
    file and value. The hub never gets it."""
    path = Path(folder) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(new_secret() + "\n")
        os.chmod(path, 0o600)
    return path, load_secret(path)


def _layout(info: SourceInfo) -> CommentedMap:
    """The source settings of a file `encode_file` wrote (a UTF-8 comma CSV or a one-sheet workbook)."""
    if info.format == "xlsx":
        return CommentedMap(format="xlsx", sheet=info.sheet, header_row=info.header_row)
    return CommentedMap(format="csv", encoding="utf-8", delimiter=",")


def write_encoded_spec(spec: Path, info: SourceInfo, out: Path) -> Path:
    """Write `out`: the mapping `spec` for the encoded file `info` describes (its layout, and its
    `linkage_key` column named as the key: the spec must describe that column as dropped)."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    doc = yaml.load(Path(spec).read_text(encoding="utf-8"))
    doc["source"] = _layout(info)
    if KEY_COLUMN not in doc.get("columns", {}):
        raise ValueError(f"{spec.name}: no column {KEY_COLUMN!r} described (as drop)")
    if "linkage_key" not in doc:
        doc.insert(list(doc).index("columns"), "linkage_key", KEY_COLUMN)
    buf = io.StringIO()
    yaml.dump(doc, buf)
    head = (
        f"# Written by `ctdhub demo run` from {spec.name}: the hub's mapping of the file {info.path.name},\n"
        "# the contributor's file with names and date of birth encoded into the column linkage_key.\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(head + buf.getvalue(), encoding="utf-8")
    load_spec(out)  # the copy is a valid spec
    return out


def _read_rows(con: duckdb.DuckDBPyConnection, path: Path, settings: Mapping[str, object]) -> list[int]:
    """The rows the hub reads in `path` (line or sheet row), in order; `settings` as a spec's source."""

    def opt(key: str) -> str | None:
        value = settings.get(key)
        return None if value is None else str(value)

    header = settings.get("header_row")
    read_source(
        con,
        path,
        table="_demo_rows",
        format=opt("format"),
        sheet=opt("sheet"),
        header_row=int(str(header)) if header is not None else None,
        encoding=opt("encoding"),
        delimiter=opt("delimiter"),
    )
    return [int(r[0]) for r in con.execute("SELECT _row FROM _demo_rows ORDER BY _row").fetchall()]


def encode_demo_file(
    f: DemoFile,
    secret: bytes,
    spec_dir: Path,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> EncodedFile:
    """As the contributor `f.contributor`: encode its file into `ENCODED_DIR` beside it; as the hub: write
    the mapping of the encoded file into `spec_dir`. ValueError for a contributor without identifiers."""
    ids = IDENTIFIERS.get(f.contributor)
    if ids is None:
        raise ValueError(f"demo contributor {f.contributor!r} has no identifier columns to encode")
    spec = load_spec(f.spec)
    out = f.path.parent / ENCODED_DIR / f.path.name
    sheet = spec.source.get("sheet")
    report = encode_file(
        f.path,
        out,
        secret,
        ids.fields,
        keep=ids.keep,
        on_progress=on_progress,
        sheet=None if sheet is None else str(sheet),
    )
    con = duckdb.connect()
    try:
        raw_rows = _read_rows(con, f.path, spec.source)
        info = read_source(con, out, table="_demo_encoded")
        encoded_rows = _read_rows(con, out, _layout(info))
    finally:
        con.close()
    if len(raw_rows) != len(encoded_rows):
        raise ValueError(f"{out.name}: {len(encoded_rows)} rows, but {len(raw_rows)} in {f.path.name}")
    mapping = write_encoded_spec(Path(f.spec), info, Path(spec_dir) / f"{f.contributor}.yaml")
    return EncodedFile(f, report, mapping, dict(zip(raw_rows, encoded_rows, strict=True)))


def link_demo(hub: Hub, *, progress: Callable[[str], None] | None = None) -> FindResult:
    """`duplicates find` on the demo store, at the default threshold."""
    with hub.writer() as con:
        return find_duplicates(con, progress=progress)


def write_demo_policy(hub: Hub) -> Path:
    """Write the demo hub's release policy (`DEMO_POLICY`) where `create_release` looks for it."""
    path = hub.path / HUB_POLICY
    path.write_text(DEMO_POLICY, encoding="utf-8")
    return path


def _cross_pairs(groups: Mapping[str, list[tuple[str, str]]]) -> set[tuple[str, str]]:
    """Pairs of records of two contributors within each group of (case_id, contributor)."""
    pairs: set[tuple[str, str]] = set()
    for members in groups.values():
        for (a, ca), (b, cb) in combinations(sorted(members), 2):
            if ca != cb:
                pairs.add((a, b))
    return pairs


def _truth_cases(
    con: duckdb.DuckDBPyConnection, truth_path: Path, rows: Mapping[str, Mapping[int, int]]
) -> list[tuple[str, str, str, str | None]]:
    """(case_id, contributor, true person, hub person or None) of every stored case the answer key names."""
    truth = con.execute(
        f"SELECT contributor, source_row, person_id FROM read_csv({ql(str(truth_path))}, header = true, "
        "columns = {'contributor': 'VARCHAR', 'source_row': 'BIGINT', 'person_id': 'VARCHAR'})"
    ).fetchall()
    moved = [(c, rows[c].get(int(r)) if c in rows else int(r), p) for c, r, p in truth]
    table = pa.table(
        {
            "contributor": [c for c, _, _ in moved],
            "source_row": pa.array([r for _, r, _ in moved], pa.int64()),
            "truth": [p for _, _, p in moved],
        }
    )
    con.register("_demo_truth", table)
    try:
        found = con.execute(
            "SELECT c.case_id, c.contributor, t.truth, p.person_id FROM _demo_truth t "
            "JOIN cases c ON c.contributor = t.contributor AND c.source_row = t.source_row "
            "LEFT JOIN persons p ON p.case_id = c.case_id"
        ).fetchall()
    finally:
        con.unregister("_demo_truth")
    return [(str(a), str(b), str(t), None if p is None else str(p)) for a, b, t, p in found]


def evaluate_against_truth(
    con: duckdb.DuckDBPyConnection,
    truth_path: Path,
    *,
    rows: Mapping[str, Mapping[int, int]] | None = None,
) -> LinkageCheck:
    """Compare the store's persons (`con`: a connection to it) with the demo's answer key `truth_path`,
    whose rows are those of the generated files; `rows` maps a contributor's rows to those of the file it
    sent instead (an encoded file: `EncodedFile.rows`)."""
    cases = _truth_cases(con, Path(truth_path), rows or {})
    truth: dict[str, list[tuple[str, str]]] = defaultdict(list)
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for case, contributor, person, hub_person in cases:
        truth[person].append((case, contributor))
        if hub_person is not None:
            found[hub_person].append((case, contributor))
    true_pairs, linked_pairs = _cross_pairs(truth), _cross_pairs(found)
    correct = len(true_pairs & linked_pairs)
    linked = [m for m in found.values() if len({c for _, c in m}) > 1]
    hub_of = {case: hub_person for case, _, _, hub_person in cases}
    shared = [m for m in truth.values() if len({c for _, c in m}) > 1]
    exact = 0
    for members in shared:
        mine = {case for case, _ in members}
        candidates = {hub_of[case] for case in mine if hub_of[case] is not None}
        if any(
            {case for case, _ in found[h]} <= mine and {c for _, c in found[h]} == {c for _, c in members}
            for h in candidates
            if h is not None
        ):
            exact += 1
    return LinkageCheck(
        records=len(cases),
        linked_records=sum(len(m) for m in linked),
        linked_persons=len(linked),
        linked_pairs=len(linked_pairs),
        true_pairs=len(true_pairs),
        correct_pairs=correct,
        truth_persons=len(shared),
        persons_exact=exact,
        precision=correct / len(linked_pairs) if linked_pairs else 1.0,
        recall=correct / len(true_pairs) if true_pairs else 1.0,
    )
