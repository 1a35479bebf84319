"""Candidates for records without a linkage key, on quasi-identifiers alone (splink 5 on DuckDB).

A case a contributor sent without a key can still be another contributor's record of the same person; all
the hub knows of it are coarse quasi-identifiers: sex, an age band at registration (with the registration
year: an interval of birth years), citizenship, country of exploitation, registration year. They cannot
prove identity — many people share them — so these candidates are only ever put to the team for review
(band "review: quasi"), never merged by themselves.

The model is a Fellegi–Sunter one in splink: the m probabilities are fixed priors (how often one person's
two records agree on a field; too few true pairs are known to train them), the u probabilities are
estimated by random sampling of pairs with a fixed seed (how often two different people agree by chance,
value frequencies of citizenship and country of exploitation adjusting them), and the prior that two
records are one person's is `PRIOR_SHARE` (share of records with a counterpart) over the records they
could be compared with. A pair is compared only when it crosses contributors, at least one of its records
lacks a key, and it agrees on citizenship, sex and country of exploitation (splink's blocking rule). Each
record keeps its `TOP` best candidates with a match probability of at least `MIN_PROBABILITY`: in a large
hub hardly any pair of quasi-identifiers reaches it, as it should.

Splink runs on a private in-memory DuckDB connection fed one Arrow table (its working tables never touch
the store), with a memory limit (it spills to a temporary directory) and keeping only the pairs at or
above the minimum as it scores them — 200,000 invented records, none keyed: 19 million pairs compared in
15 s within 1 GB. Its result comes back as one Arrow table; splink is imported only when a run needs it. `exact_candidates` is the baseline the benchmark
compares against: pairs that agree exactly on every quasi-identifier.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ctdhub.sql import qi, ql
from ctdhub.standard import Standard, load_standard
from ctdhub.store.hub import spilling_connection

SEX, AGE, REGISTERED, MAJORITY, CITIZENSHIP, EXPLOITED = (
    "gender",
    "ageBroad",
    "yearOfRegistration",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
)
EXACT_COLUMNS = (SEX, AGE, REGISTERED, CITIZENSHIP, EXPLOITED)  # the baseline's quasi-identifiers
BINARY_SEXES = ("Female", "Male")  # other codes neither agree nor differ with these
MAX_AGE = 120  # the upper age of an open age band ("48+")

MIN_PROBABILITY = 0.05
TOP = 2  # candidates kept per record without a key
PRIOR_SHARE = 0.1  # share of records thought to have a record of the same person elsewhere
SEED = 20_240_611
U_PAIRS = 1e6  # pairs sampled to estimate u
MEMORY_LIMIT = "1GB"  # of splink's private DuckDB, which spills to a temporary directory beyond it

# fixed m probabilities: how often two records of one person agree
M_AGREE = {"sex": 0.95, "citizenship": 0.9, "exploited_in": 0.9, "birth": 0.95}
M_REGISTERED = (0.5, 0.35, 0.15)  # same year, within 2 years, further apart

_INPUT = "quasi_input"


@dataclass(frozen=True)
class QuasiPair:
    """One candidate of a record without a key (case_a < case_b)."""

    case_a: str
    case_b: str
    contributor_a: str
    contributor_b: str
    score: float  # splink's match probability
    evidence: str


@dataclass(frozen=True)
class QuasiOutcome:
    """What `quasi_candidates` found; the pairs are also left in the temporary table `table`."""

    table: str
    unkeyed: int  # records without a key
    records: int  # records given to splink (those that could pair with one without a key)
    compared: int  # pairs splink scored
    pairs: tuple[QuasiPair, ...]
    seconds: float


# --- SQL builders -------------------------------------------------------------------------------------


def birth_interval_sql(columns: set[str], std: Standard | None = None) -> tuple[str, str]:
    """SQL (earliest, latest) birth year of a case from its registration year and age band (else its
    majority status), NULL when unknown; only the columns in `columns` are read."""
    std = std or load_standard()
    if REGISTERED not in columns:
        return "NULL", "NULL"
    lo_age, hi_age = [], []
    if AGE in columns and std.has_field(AGE):
        for code in std.field(AGE).values:
            lo, hi = code.extra.get("min_age"), code.extra.get("max_age")
            when = f"WHEN {qi(AGE)} = {ql(code.code)}"
            lo_age.append(f"{when} THEN {int(lo) if lo is not None else 0}")
            hi_age.append(f"{when} THEN {int(hi) if hi is not None else MAX_AGE}")
    if MAJORITY in columns:
        lo_age.append(f"WHEN {qi(MAJORITY)} = 'Minor' THEN 0 WHEN {qi(MAJORITY)} = 'Adult' THEN 18")
        hi_age.append(f"WHEN {qi(MAJORITY)} = 'Minor' THEN 17 WHEN {qi(MAJORITY)} = 'Adult' THEN {MAX_AGE}")
    if not lo_age:
        return "NULL", "NULL"
    year = f"CAST({qi(REGISTERED)} AS INTEGER)"
    return f"{year} - (CASE {' '.join(hi_age)} END) - 1", f"{year} - (CASE {' '.join(lo_age)} END)"


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {str(d[0]) for d in con.execute(f"SELECT * FROM {qi(table)} LIMIT 0").description or []}


def input_sql(source: str, keyed: str | None, columns: set[str]) -> str:
    """Splink's input: the cases of `source` without a key, and those with one that share citizenship,
    sex and country of exploitation with one without (no other could be compared)."""

    def col(name: str) -> str:
        return f"CAST({qi(name)} AS VARCHAR)" if name in columns else "CAST(NULL AS VARCHAR)"

    lo, hi = birth_interval_sql(columns)
    registered = f"CAST({qi(REGISTERED)} AS INTEGER)" if REGISTERED in columns else "CAST(NULL AS INTEGER)"
    is_keyed = f"case_id IN (SELECT case_id FROM {qi(keyed)})" if keyed else "false"
    return f"""WITH q AS (
  SELECT CAST(case_id AS VARCHAR) AS case_id, CAST(contributor AS VARCHAR) AS contributor,
    {is_keyed} AS keyed, {col(SEX)} AS sex, {col(CITIZENSHIP)} AS citizenship,
    {col(EXPLOITED)} AS exploited_in, CAST({lo} AS INTEGER) AS birth_lo, CAST({hi} AS INTEGER) AS birth_hi,
    {registered} AS registered
  FROM {qi(source)}
)
SELECT * FROM q WHERE NOT keyed OR (citizenship, sex, exploited_in) IN (
  SELECT (citizenship, sex, exploited_in) FROM q WHERE NOT keyed)
ORDER BY case_id"""


def _level(sql: str, label: str, m: float | None, tf: str | None = None) -> dict[str, object]:
    level: dict[str, object] = {"sql_condition": sql, "label_for_charts": label}
    if m is None:
        level["is_null_level"] = True
    else:
        level["m_probability"] = m
    if tf:
        level.update(tf_adjustment_column=tf, tf_adjustment_weight=1.0)
    return level


def _exact(name: str, m: float, *, tf: bool = False) -> dict[str, object]:
    return {
        "output_column_name": name,
        "comparison_levels": [
            _level(f'"{name}_l" IS NULL OR "{name}_r" IS NULL', "unknown", None),
            _level(f'"{name}_l" = "{name}_r"', "agrees", m, name if tf else None),
            _level("ELSE", "differs", 1 - m),
        ],
    }


def comparisons() -> list[dict[str, object]]:
    """The model's comparisons, with their fixed m probabilities."""
    same, near, far = M_REGISTERED
    return [
        _exact("sex", M_AGREE["sex"]),
        _exact("citizenship", M_AGREE["citizenship"], tf=True),
        _exact("exploited_in", M_AGREE["exploited_in"], tf=True),
        {
            "output_column_name": "birth",
            "comparison_levels": [
                _level('"birth_lo_l" IS NULL OR "birth_lo_r" IS NULL', "unknown", None),
                _level(
                    '"birth_lo_l" <= "birth_hi_r" AND "birth_lo_r" <= "birth_hi_l"', "fits", M_AGREE["birth"]
                ),
                _level("ELSE", "differs", 1 - M_AGREE["birth"]),
            ],
        },
        {
            "output_column_name": "registered",
            "comparison_levels": [
                _level('"registered_l" IS NULL OR "registered_r" IS NULL', "unknown", None),
                _level('"registered_l" = "registered_r"', "same year", same),
                _level('abs("registered_l" - "registered_r") <= 2', "within 2 years", near),
                _level("ELSE", "further apart", far),
            ],
        },
    ]


BLOCKING_RULE = (
    "l.citizenship = r.citizenship AND l.sex = r.sex AND l.exploited_in = r.exploited_in "
    "AND l.contributor <> r.contributor AND NOT (l.keyed AND r.keyed)"
)

_EVIDENCE = {  # gamma column → (text per level, from the top level down)
    "gamma_sex": ("sex agrees", "sex differs"),
    "gamma_citizenship": ("citizenship agrees", "citizenship differs"),
    "gamma_exploited_in": ("country of exploitation agrees", "country of exploitation differs"),
    "gamma_birth": ("birth year fits", "birth year differs"),
    "gamma_registered": ("registered the same year", "registered within 2 years", "registered further apart"),
}


def compared_sql(table: str) -> str:
    """How many pairs the blocking rule lets through (counted by group, not built)."""
    return f"""WITH g AS (
  SELECT citizenship, sex, exploited_in, contributor, keyed, count(*) AS n FROM {table}
  WHERE citizenship IS NOT NULL AND sex IS NOT NULL AND exploited_in IS NOT NULL GROUP BY ALL
)
SELECT sum(x.n * y.n) FROM g x JOIN g y USING (citizenship, sex, exploited_in)
WHERE x.contributor < y.contributor AND NOT (x.keyed AND y.keyed)"""


def selected_sql(predictions: str, min_probability: float, top: int) -> str:
    """The pairs each record without a key keeps: its `top` best at or above `min_probability`."""
    texts = []
    for gamma, words in _EVIDENCE.items():
        whens = " ".join(f"WHEN {len(words) - 1 - i} THEN {ql(w)}" for i, w in enumerate(words))
        texts.append(f"CASE {gamma} {whens} END")
    return f"""WITH p AS (
  SELECT least(case_id_l, case_id_r) AS case_a, greatest(case_id_l, case_id_r) AS case_b,
    CASE WHEN case_id_l < case_id_r THEN contributor_l ELSE contributor_r END AS contributor_a,
    CASE WHEN case_id_l < case_id_r THEN contributor_r ELSE contributor_l END AS contributor_b,
    keyed_l, keyed_r, case_id_l, case_id_r, round(match_probability, 6) AS score,
    concat_ws('; ', 'quasi-identifiers only', {", ".join(texts)}) AS evidence
  FROM {predictions} WHERE match_probability >= {float(min_probability)}
), sides AS (
  SELECT case_id_l AS rec, case_a, case_b, score FROM p WHERE NOT keyed_l
  UNION ALL SELECT case_id_r, case_a, case_b, score FROM p WHERE NOT keyed_r
), ranked AS (
  SELECT case_a, case_b, row_number() OVER (PARTITION BY rec ORDER BY score DESC, case_a, case_b) AS rn
  FROM sides
)
SELECT case_a, case_b, contributor_a, contributor_b, score, evidence FROM p
WHERE (case_a, case_b) IN (SELECT (case_a, case_b) FROM ranked WHERE rn <= {int(top)})
ORDER BY case_a, case_b"""


# --- running splink -----------------------------------------------------------------------------------


def _predict(data: pa.Table, min_probability: float, top: int, seed: int) -> tuple[int, pa.Table]:
    """Run the model on `data` in a private DuckDB; (pairs scored, selected pairs)."""
    from splink import DuckDBAPI, Linker, SettingsCreator  # imported when needed: it takes a while
    from splink.blocking_rule_library import CustomRule

    with spilling_connection(MEMORY_LIMIT) as con:
        db = DuckDBAPI(con)
        settings = SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="case_id",
            comparisons=comparisons(),  # type: ignore[arg-type]  # splink accepts the dict form
            blocking_rules_to_generate_predictions=[CustomRule(BLOCKING_RULE, sql_dialect="duckdb")],
            probability_two_random_records_match=min(PRIOR_SHARE / max(data.num_rows, 1), 0.5),
            additional_columns_to_retain=["contributor", "keyed"],
        )
        linker = Linker(db.register(data, table_name=_INPUT), settings, log_level=logging.ERROR)
        linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=seed, num_chunks=1)
        compared = int(con.execute(compared_sql(_INPUT)).fetchall()[0][0] or 0)
        # only pairs at or above the minimum are kept as splink scores them: millions may be compared
        predictions = linker.inference.predict(
            threshold_match_probability=min_probability, warning_mode="never"
        ).physical_name
        return compared, con.sql(selected_sql(predictions, min_probability, top)).to_arrow_table()


def quasi_candidates(
    con: duckdb.DuckDBPyConnection,
    source: str = "cases",
    *,
    keyed: str | None = "linkage_keys",
    min_probability: float = MIN_PROBABILITY,
    top: int = TOP,
    seed: int = SEED,
    out: str = "_lk_quasi",
) -> QuasiOutcome:
    """Candidates of the records of `source` (case_id, contributor and quasi-identifier columns of the
    standard) whose case id is not in `keyed` (every record when None); left in the temporary table
    `out` (case_a, case_b, contributor_a, contributor_b, score, evidence) and returned."""
    start = time.perf_counter()
    columns = table_columns(con, source)
    data = con.sql(input_sql(source, keyed, columns)).to_arrow_table()
    unkeyed = int(pc.sum(pc.invert(data.column("keyed"))).as_py() or 0)
    compared, selected = (0, None) if unkeyed == 0 else _predict(data, min_probability, top, seed)
    if selected is None:
        selected = pa.table(
            {n: pa.array([], pa.string()) for n in ("case_a", "case_b", "contributor_a", "contributor_b")}
            | {"score": pa.array([], pa.float64()), "evidence": pa.array([], pa.string())}
        )
    con.execute("SELECT 1").fetchall()
    con.register("_lk_quasi_arrow", selected)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {qi(out)} AS SELECT * FROM _lk_quasi_arrow")
    finally:
        con.unregister("_lk_quasi_arrow")
    pairs = tuple(
        QuasiPair(*r) for r in con.execute(f"SELECT * FROM {qi(out)} ORDER BY case_a, case_b").fetchall()
    )
    return QuasiOutcome(
        table=out,
        unkeyed=unkeyed,
        records=data.num_rows,
        compared=compared,
        pairs=pairs,
        seconds=time.perf_counter() - start,
    )


def exact_sql(source: str, keyed: str | None, columns: tuple[str, ...]) -> str:
    """Pairs of records of two contributors that agree exactly on every column of `columns` (all known),
    at least one of them without a key when `keyed` is given."""
    is_keyed = f"case_id IN (SELECT case_id FROM {qi(keyed)})" if keyed else "false"
    known = " AND ".join(f"{qi(c)} IS NOT NULL" for c in columns) or "true"
    same = " AND ".join(f"x.{qi(c)} = y.{qi(c)}" for c in columns) or "true"
    picked = ", ".join(qi(c) for c in columns)
    return f"""WITH q AS (SELECT case_id, contributor, {is_keyed} AS keyed{", " + picked if picked else ""}
  FROM {qi(source)} WHERE {known})
SELECT x.case_id AS case_a, y.case_id AS case_b FROM q x JOIN q y ON {same}
WHERE x.case_id < y.case_id AND x.contributor <> y.contributor AND NOT (x.keyed AND y.keyed)
ORDER BY 1, 2"""


def exact_candidates(
    con: duckdb.DuckDBPyConnection,
    source: str = "cases",
    *,
    keyed: str | None = "linkage_keys",
    columns: tuple[str, ...] | None = None,
) -> list[tuple[str, str]]:
    """The baseline: (case_a, case_b) of two contributors agreeing exactly on every quasi-identifier in
    `columns` (default: those of EXACT_COLUMNS that `source` has)."""
    have = table_columns(con, source)
    use = columns if columns is not None else tuple(c for c in EXACT_COLUMNS if c in have)
    return [(str(a), str(b)) for a, b in con.execute(exact_sql(source, keyed, use)).fetchall()]
