"""`duplicates find`: records of one person across (and within) contributors, from their linkage keys.

`link_table` is the core, usable on any table with the columns of `linkage_keys` and, when it has them,
the quasi-identifiers of the standard (the benchmark runs it on its own table): candidates and similarity
come from `ctdhub.linkage.compare`, then the quasi-identifiers of the cases add a little evidence —
sex, the birth year (an interval derived from the age band at registration and the registration year, or
the majority status), citizenship, the country of exploitation and the year of registration (the same year,
or more than `REGISTRATION_FAR` apart) each add their `POINTS` when both records agree or differ (nothing
when either is unknown); a pair whose only identifier evidence is a name (a key
without the date of birth) moves down for a common name and up a little for a rare one (a term-frequency
adjustment, `NAME_FREQUENCY_WEIGHT`) — and each pair gets a band:

- "match": score ≥ threshold, records of two contributors, no close rival;
- "review: same contributor": score ≥ threshold within one contributor (rarely one person twice: the
  team decides);
- "review: ambiguous": one record's best two candidates at another contributor are within
  `AMBIGUITY_MARGIN` of each other, or a key lacking a field (a name without its date of birth) is
  contained at or above the threshold in two or more keys anywhere — it fits every namesake, so one
  candidate says little when the name is common (on 200,000 invented records, +0.02 per agreeing
  quasi-identifier then, this rule took the precision of the matches from 0.46 to 0.86); or such a key's
  best candidate does not beat every other of its candidates by `NAMESAKE_MARGIN`;
- "review": threshold − `REVIEW_MARGIN` ≤ score < threshold; lower pairs are not kept, nor review pairs
  beyond the `REVIEW_PER_RECORD` best of one of their records (a common name's crowd of namesakes).

`find_duplicates` runs it on the store, adds the quasi-identifier candidates of records without a key
(`ctdhub.linkage.quasi`, "review: quasi", never merged), replaces the previous run's `linkage_pairs`, and
clusters the matches under the team's decisions (`ctdhub.linkage.clusters`) into `persons`: every keyed
case (and every case an accepted decision names) gets one row, with a person id that is a keyed hash of
the cluster's smallest case id (stable across runs, revealing nothing). Neither a key nor any part of one
is ever written out, logged or put in a message.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from ctdhub.errors import CtdhubError
from ctdhub.linkage.clusters import Clustering, Link, cluster
from ctdhub.linkage.compare import KEY_COLUMNS, MAX_BLOCK, Comparison, compare_keys
from ctdhub.linkage.quasi import (
    AGE,
    BINARY_SEXES,
    CITIZENSHIP,
    EXPLOITED,
    MAJORITY,
    REGISTERED,
    SEX,
    QuasiOutcome,
    birth_interval_sql,
    quasi_candidates,
    table_columns,
)
from ctdhub.sql import qi, ql
from ctdhub.standard import Standard, load_standard
from ctdhub.store.hub import person_key_secret, transaction

DEFAULT_THRESHOLD = 0.84  # tuned on the benchmark (docs/benchmarks.md)
REVIEW_MARGIN = 0.05  # scores in [threshold − margin, threshold) are for review
AMBIGUITY_MARGIN = 0.02  # a record's best two candidates at one contributor closer than this: review
REVIEW_PER_RECORD = 3  # review candidates kept per record (the best); beyond, a name is too common to review
# points of a quasi-identifier both records know: (agree, differ). Tuned by grid search on the benchmark's
# 200,000 invented records (bench/linkage.py: two contributors, 10,000 true pairs): the key already holds sex
# and the date of birth, so agreeing again says little; a differing birth year (from the age band),
# citizenship or country of exploitation says much, above all for a key without a date of birth, and the
# country of exploitation (one trafficking case seen by two organisations) is the strongest agreement.
# At 0.84 these gave a precision of 0.96 and a recall of 0.96 (without the country of exploitation the best
# was a precision of 0.92 at a recall of 0.95); the name-frequency adjustment and the namesake margin below
# then gave 0.979 and 0.954 (0.975 and 0.956 on a second invented population); the registration years, once
# the benchmark's gaps followed quasi.M_REGISTERED (before, always 0–2 years), 0.982 and 0.957 (second
# population: 0.981 and 0.958; the weights were chosen on the first).
POINTS = {
    "sex": (0.0, -0.08),
    "birth year": (0.0, -0.15),
    "citizenship": (0.02, -0.15),
    "country of exploitation": (0.03, -0.10),  # it may differ: another leg of the journey
    # registered the same year / more than REGISTRATION_FAR years apart: the m-probabilities of the
    # quasi-identifier model (quasi.M_REGISTERED: 0.5 the same year, 0.15 more than two years apart) against
    # about 1/13 and 8/13 for two people registered over a dozen years
    "registration": (0.02, -0.05),
}
REGISTRATION_FAR = 2
# A pair whose only identifier evidence is a name (one key lacks the date of birth) is weighed by how many
# other people the name could be, as Fellegi and Sunter's term-frequency adjustment does: among the keys of
# the rarest blocking signature the two share (Soundex codes of two name parts), `k` besides the pair have a
# sex and a birth year (from the age, the date of birth or its year) that fit the undated key's, and the
# score moves by NAME_FREQUENCY_CAP − NAME_FREQUENCY_WEIGHT · log2(1 + k): +0.05 when no other such namesake
# exists, 0 for one, −0.05 for three, −0.10 for seven. Counting only the namesakes the quasi-identifiers
# cannot tell apart is the joint u-probability of name, sex and birth year (which add no points of their own
# when they agree); the count of the whole signature (before) took a common name's namesakes of every age as
# rivals and left out, in a 30,000-record table, true pairs the birth year alone would have told apart.
NAME_FREQUENCY_WEIGHT = 0.05
NAME_FREQUENCY_CAP = 0.05
NAME_FREQUENCY_REFERENCE = 4e-5
# A key lacking the date of birth matches only when its best candidate beats every other (anywhere) by this
# much: a name alone cannot choose between namesakes unless the quasi-identifiers clearly do.
NAMESAKE_MARGIN = 0.10
QUASI_COLUMNS = (SEX, AGE, REGISTERED, MAJORITY, CITIZENSHIP, EXPLOITED)  # read from the cases when there

MATCH = "match"
REVIEW = "review"
SAME_CONTRIBUTOR = "review: same contributor"
AMBIGUOUS = "review: ambiguous"
QUASI = "review: quasi"
BANDS = (MATCH, SAME_CONTRIBUTOR, AMBIGUOUS, REVIEW, QUASI)
STAGES = ("compare", "score", "quasi", "write", "cluster")

_SOURCE = "_lk_source"
_SCORED = "_lk_scored"
_REPEATS = "_lk_repeats"
REPEAT_EVIDENCE = "the row repeats another of its file exactly"


@dataclass(frozen=True)
class ScoredPair:
    """One candidate pair kept by `link_table` (score at or above threshold − review margin)."""

    case_a: str
    case_b: str
    contributor_a: str
    contributor_b: str
    similarity: float
    score: float
    evidence: str
    band: str


@dataclass(frozen=True)
class LinkOutcome:
    """What `link_table` found; the pairs are also left in the temporary table `table`."""

    table: str
    comparison: Comparison
    pairs: tuple[ScoredPair, ...]
    bands: dict[str, int]
    crowded: int  # review pairs left out: beyond REVIEW_PER_RECORD for one of their records
    seconds: float


@dataclass(frozen=True)
class FindResult:
    """Counts of one `duplicates find` run (never a key, never a case value)."""

    threshold: float
    keyed_records: int
    comparisons: int  # block pairs compared
    candidates: int  # distinct pairs whose similarity reached the scoring floor
    matches: int
    repeated_rows: int  # keyed rows repeating another row of their file exactly: joined to it, not compared
    review: dict[str, int]  # pairs by review band
    review_left_out: int  # review pairs beyond the REVIEW_PER_RECORD best of one of their records
    persons: int
    clusters_by_size: dict[int, int]
    skipped_blocks: int
    secret_groups: int
    unkeyed_records: int  # cases without a key (looked at by quasi-identifiers when asked)
    decisions_accepted: int
    decisions_rejected: int
    refused_same_contributor: int  # matches left apart: one contributor twice in a person
    refused_rejected: int  # matches left apart by a rejected decision
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["clusters_by_size"] = {str(k): v for k, v in sorted(self.clusters_by_size.items())}
        return data


# --- SQL builders -------------------------------------------------------------------------------------


def quasi_sql(source: str, columns: set[str], std: Standard) -> str:
    """Per case of `source`: sex, birth-year interval (birth_lo, birth_hi) and citizenship, NULL where the
    table lacks the column or the case the value."""

    def col(name: str) -> str:
        return f"CAST({qi(name)} AS VARCHAR)" if name in columns else "CAST(NULL AS VARCHAR)"

    lo, hi = birth_interval_sql(columns, std)
    registered = (
        f"TRY_CAST({qi(REGISTERED)} AS INTEGER)" if REGISTERED in columns else "CAST(NULL AS INTEGER)"
    )
    return (
        f"SELECT case_id, {col(SEX)} AS sex, CAST({lo} AS INTEGER) AS birth_lo, "
        f"CAST({hi} AS INTEGER) AS birth_hi, {col(CITIZENSHIP)} AS citizenship, {col(EXPLOITED)} AS exploited, "
        f"{registered} AS registered FROM {qi(source)}"
    )


def _evidence_sql() -> dict[str, str]:
    """Per quasi-identifier: 1 agrees, -1 differs, NULL unknown (aliases qa, qb)."""
    binary = ", ".join(ql(s) for s in BINARY_SEXES)
    return {
        "sex": (
            f"CASE WHEN qa.sex = qb.sex THEN 1 WHEN qa.sex IN ({binary}) AND qb.sex IN ({binary}) THEN -1 END"
        ),
        "birth year": (
            "CASE WHEN qa.birth_lo IS NULL OR qb.birth_lo IS NULL THEN NULL "
            "WHEN qa.birth_lo <= qb.birth_hi AND qb.birth_lo <= qa.birth_hi THEN 1 ELSE -1 END"
        ),
        "citizenship": "CASE WHEN qa.citizenship = qb.citizenship THEN 1 "
        "WHEN qa.citizenship IS NOT NULL AND qb.citizenship IS NOT NULL THEN -1 END",
        "country of exploitation": "CASE WHEN qa.exploited = qb.exploited THEN 1 "
        "WHEN qa.exploited IS NOT NULL AND qb.exploited IS NOT NULL THEN -1 END",
        "registration": "CASE WHEN qa.registered = qb.registered THEN 1 "
        f"WHEN abs(qa.registered - qb.registered) > {REGISTRATION_FAR} THEN -1 END",
    }


def name_frequency_sql(similar: str, keys: str, quasi: str) -> str:
    """Per similar pair of `keys` where a key lacks the date of birth: which one does (`undated_a`,
    `undated_b`) and `name_shift`, the term-frequency adjustment of the score (see NAME_FREQUENCY_WEIGHT).
    For each undated key of the pair, the rarest blocking signature the two share (every compared pair
    shares one) is taken, and its keys other than the pair whose sex and birth year (`quasi`: the table of
    `quasi_sql`) fit the undated key's are counted; the larger count of the pair's undated keys is `k`."""
    fits = (
        "(qr.sex IS NULL OR qm.sex IS NULL OR qr.sex = qm.sex OR qr.sex NOT IN ({b}) OR qm.sex NOT IN ({b})) "
        "AND (qr.birth_lo IS NULL OR qm.birth_lo IS NULL OR (qr.birth_lo <= qm.birth_hi AND qm.birth_lo <= qr.birth_hi))"
    ).format(b=", ".join(ql(s) for s in BINARY_SEXES))
    return f"""WITH sig AS (SELECT secret_check, case_id, unnest(blocks) AS block FROM {qi(keys)}),
sizes AS (SELECT secret_check, block, count(*) AS n FROM sig GROUP BY ALL),
total AS (SELECT secret_check, count(*) AS n FROM {qi(keys)} GROUP BY ALL),
pairs AS (
  SELECT s.case_a, s.case_b, ka.secret_check, NOT contains(ka.fields, 'd') AS undated_a,
    NOT contains(kb.fields, 'd') AS undated_b, list_intersect(ka.blocks, kb.blocks) AS shared
  FROM {qi(similar)} s JOIN {qi(keys)} ka ON ka.case_id = s.case_a JOIN {qi(keys)} kb ON kb.case_id = s.case_b
  WHERE NOT contains(ka.fields, 'd') OR NOT contains(kb.fields, 'd')
), sides AS (
  SELECT case_a, case_b, case_a AS rec, case_b AS partner, secret_check, unnest(shared) AS block FROM pairs
  WHERE undated_a
  UNION ALL SELECT case_a, case_b, case_b, case_a, secret_check, unnest(shared) FROM pairs WHERE undated_b
), rarest AS (
  SELECT case_a, case_b, rec, partner, secret_check, arg_min(block, n) AS block
  FROM sides JOIN sizes USING (secret_check, block) GROUP BY ALL
), others AS (
  SELECT r.case_a, r.case_b, r.rec, count(*) FILTER (WHERE m.case_id <> r.rec AND m.case_id <> r.partner
    AND {fits}) AS k
  FROM rarest r JOIN sig m USING (secret_check, block)
  LEFT JOIN {qi(quasi)} qr ON qr.case_id = r.rec LEFT JOIN {qi(quasi)} qm ON qm.case_id = m.case_id
  GROUP BY ALL
)
SELECT p.case_a, p.case_b, p.undated_a, p.undated_b,
  least({NAME_FREQUENCY_CAP}, -{NAME_FREQUENCY_WEIGHT} * log2((1 + max(o.k))
    / greatest(any_value(t.n) * {NAME_FREQUENCY_REFERENCE}, 2))) AS name_shift
FROM pairs p JOIN others o USING (case_a, case_b) JOIN total t USING (secret_check) GROUP BY ALL"""


def scored_sql(
    similar: str, quasi: str, threshold: float, margin: float, frequency: str | None = None
) -> str:
    """Score, evidence and band of each similar pair (before the ambiguity check); `frequency` is the
    table of `name_frequency_sql` when there is one."""
    ev = _evidence_sql()
    names = {
        "sex": "e_sex",
        "birth year": "e_birth",
        "citizenship": "e_cit",
        "country of exploitation": "e_exp",
        "registration": "e_reg",
    }
    evidence_cols = ", ".join(f"{expr} AS {names[k]}" for k, expr in ev.items())
    points = " + ".join(
        f"coalesce(CASE {c} WHEN 1 THEN {POINTS[k][0]} WHEN -1 THEN {POINTS[k][1]} END, 0)"
        for k, c in names.items()
    )
    verb = {
        "sex": "agrees",
        "birth year": "fits",
        "citizenship": "agrees",
        "country of exploitation": "agrees",
        "registration": "the same year",
    }
    differs = {k: "differs" for k in names} | {"registration": f"more than {REGISTRATION_FAR} years apart"}
    words = ", ".join(
        f"CASE {c} WHEN 1 THEN '{k} {verb[k]}' WHEN -1 THEN '{k} {differs[k]}' END" for k, c in names.items()
    )
    shift = (
        "f.name_shift, coalesce(f.undated_a, false) AS undated_a, coalesce(f.undated_b, false) AS undated_b"
    )
    if not frequency:
        shift = "NULL AS name_shift, false AS undated_a, false AS undated_b"
    join = f"LEFT JOIN {qi(frequency)} f USING (case_a, case_b)" if frequency else ""
    return f"""WITH q AS ({quasi}),
e AS (
  SELECT s.*, {evidence_cols}, {shift}
  FROM {qi(similar)} s LEFT JOIN q qa ON qa.case_id = s.case_a LEFT JOIN q qb ON qb.case_id = s.case_b
  {join}
), p AS (
  SELECT *, round(similarity + {points} + coalesce(name_shift, 0), 6) AS score FROM e
)
SELECT case_a, case_b, contributor_a, contributor_b, round(similarity, 6) AS similarity, score, contained,
  undated_a, undated_b,
  concat_ws('; ', CASE WHEN contained IS NOT NULL THEN 'keys hold different fields' END,
    CASE WHEN name_shift < -0.02 THEN 'common name' WHEN name_shift > 0.02 THEN 'rare name' END,
    {words}) AS evidence,
  CASE WHEN score >= {threshold} AND contributor_a = contributor_b THEN {ql(SAME_CONTRIBUTOR)}
       WHEN score >= {threshold} THEN {ql(MATCH)} ELSE {ql(REVIEW)} END AS band
FROM p WHERE score >= {threshold - margin}"""


def ambiguous_sql(
    scored: str, threshold: float, margin: float, namesake_margin: float = NAMESAKE_MARGIN
) -> str:
    """Matches of `scored` to mark ambiguous: (1) for a record and another contributor, those within
    `margin` of that record's best there, when there are two or more; (2) those of a key contained in a
    larger one (fewer fields) when it is contained, at or above the threshold, in two or more keys anywhere:
    a name without its date of birth fits every namesake, so one candidate alone says little when the name
    is common; (3) those of a key without a date of birth that another of its pairs in `scored` (any band,
    any contributor) comes within `namesake_margin` of."""
    return f"""WITH m AS (SELECT case_a, case_b, contributor_a, contributor_b, score, contained, undated_a, undated_b
  FROM {qi(scored)} WHERE band = {ql(MATCH)}),
undated AS (SELECT case_a AS rec, case_b AS partner, case_a, case_b, score FROM m WHERE undated_a
  UNION ALL SELECT case_b, case_a, case_a, case_b, score FROM m WHERE undated_b),
rivals AS (SELECT case_a AS rec, case_b AS other, score FROM {qi(scored)}
  UNION ALL SELECT case_b, case_a, score FROM {qi(scored)}),
namesakes AS (SELECT DISTINCT u.case_a, u.case_b FROM undated u JOIN rivals r ON r.rec = u.rec
  AND r.other <> u.partner AND r.score > u.score - {namesake_margin}),
sides AS (
  SELECT case_a AS rec, contributor_b AS other, case_a, case_b, score FROM m
  UNION ALL SELECT case_b, contributor_a, case_a, case_b, score FROM m
), best AS (SELECT *, max(score) OVER (PARTITION BY rec, other) AS top FROM sides),
close AS (SELECT *, count(*) OVER (PARTITION BY rec, other) AS n FROM best WHERE score >= top - {margin}),
common AS (SELECT contained FROM {qi(scored)} WHERE contained IS NOT NULL AND score >= {threshold}
  GROUP BY contained HAVING count(*) >= 2)
SELECT case_a, case_b FROM close WHERE n >= 2
UNION SELECT case_a, case_b FROM m WHERE contained IN (SELECT contained FROM common)
UNION SELECT case_a, case_b FROM namesakes"""


def crowded_sql(scored: str, per_record: int) -> str:
    """Review pairs beyond the `per_record` best review candidates of either of their records."""
    return f"""WITH r AS (SELECT case_a, case_b, score FROM {qi(scored)} WHERE band <> {ql(MATCH)}),
sides AS (SELECT case_a AS rec, case_a, case_b, score FROM r UNION ALL SELECT case_b, case_a, case_b, score FROM r),
ranked AS (SELECT case_a, case_b,
  row_number() OVER (PARTITION BY rec ORDER BY score DESC, case_a, case_b) AS rn FROM sides)
SELECT DISTINCT case_a, case_b FROM ranked WHERE rn > {int(per_record)}"""


# --- the core -----------------------------------------------------------------------------------------


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise CtdhubError(f"The threshold must be above 0 and at most 1, not {threshold:g}.")


def link_table(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    review_margin: float = REVIEW_MARGIN,
    max_block: int = MAX_BLOCK,
    out: str = _SCORED,
    progress: Callable[[str], None] | None = None,
) -> LinkOutcome:
    """Score the candidate pairs of the keys in `table_name` (the columns of `linkage_keys`, plus any of
    QUASI_COLUMNS) and band them; the pairs at or above threshold − review margin are returned and left in
    the temporary table `out`."""
    _check_threshold(threshold)
    start = time.perf_counter()
    step = progress or (lambda _stage: None)
    columns = table_columns(con, table_name)
    missing = [c for c in KEY_COLUMNS if c not in columns]
    if missing:
        raise CtdhubError(f"Table {table_name} lacks the linkage-key column(s) {', '.join(missing)}.")
    step("compare")
    floor = threshold - review_margin - sum(agree for agree, _ in POINTS.values())
    comparison = compare_keys(con, table_name, floor, max_block=max_block)
    step("score")
    quasi, frequency = f"{out}_quasi", f"{out}_frequency"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {qi(quasi)} AS {quasi_sql(table_name, columns, load_standard())}"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {qi(frequency)} AS "
        f"{name_frequency_sql(comparison.table, table_name, quasi)}"
    )
    scored = scored_sql(comparison.table, f"SELECT * FROM {qi(quasi)}", threshold, review_margin, frequency)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {qi(out)} AS {scored}")
    con.execute(f"DROP TABLE {qi(frequency)}")
    con.execute(f"DROP TABLE {qi(quasi)}")
    con.execute(
        f"UPDATE {qi(out)} SET band = {ql(AMBIGUOUS)} FROM ({ambiguous_sql(out, threshold, AMBIGUITY_MARGIN)}) "
        f"amb WHERE {qi(out)}.case_a = amb.case_a AND {qi(out)}.case_b = amb.case_b"
    )
    crowded = con.execute(
        f"DELETE FROM {qi(out)} WHERE (case_a, case_b) IN (SELECT (case_a, case_b) FROM "
        f"({crowded_sql(out, REVIEW_PER_RECORD)}))"
    ).fetchall()[0][0]
    con.execute(f"DROP TABLE IF EXISTS {qi(comparison.table)}")
    rows = con.execute(
        "SELECT case_a, case_b, contributor_a, contributor_b, similarity, score, evidence, band "
        f"FROM {qi(out)} ORDER BY case_a, case_b"
    ).fetchall()
    pairs = tuple(ScoredPair(*r) for r in rows)
    return LinkOutcome(
        table=out,
        comparison=comparison,
        pairs=pairs,
        bands=dict(Counter(p.band for p in pairs)),
        crowded=int(crowded),
        seconds=time.perf_counter() - start,
    )


# --- the store ----------------------------------------------------------------------------------------


def repeats_sql() -> str:
    """(repeat, original) of every keyed case whose row repeats an earlier keyed row of its file exactly
    (validation's `duplicate_row` finding names the row it repeats): the same record sent twice."""
    return (
        f"CREATE OR REPLACE TEMP TABLE {_REPEATS} AS SELECT r.case_id AS repeat, o.case_id AS original "
        "FROM findings f JOIN cases r ON r.batch_id = f.batch_id AND r.source_row = f.source_row "
        "JOIN cases o ON o.batch_id = f.batch_id AND o.source_row = TRY_CAST(f.value AS BIGINT) "
        "WHERE f.rule = 'duplicate_row' AND r.case_id IN (SELECT case_id FROM linkage_keys) "
        "AND o.case_id IN (SELECT case_id FROM linkage_keys)"
    )


def source_sql(std: Standard) -> str:
    """The store's keys with the quasi-identifiers of their cases (keys of cases no longer stored left
    out, and repeated rows: they join their original's person)."""
    quasi = ", ".join(f"c.{qi(n)}" for n in QUASI_COLUMNS if std.has_field(n))
    keys = ", ".join(f"k.{qi(c)}" for c in KEY_COLUMNS)
    return (
        f"CREATE OR REPLACE TEMP TABLE {_SOURCE} AS SELECT {keys}{', ' + quasi if quasi else ''} "
        f"FROM linkage_keys k JOIN cases c ON c.case_id = k.case_id "
        f"WHERE k.case_id NOT IN (SELECT repeat FROM {_REPEATS})"
    )


def person_id(secret: bytes, representative: str) -> str:
    """A person's id: a keyed hash of the cluster's smallest case id (stable; reveals nothing)."""
    digest = hmac.new(secret, b"person:" + representative.encode("utf-8"), hashlib.sha256).hexdigest()
    return "person-" + digest[:16]


def _decisions(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    rows = con.execute("SELECT case_a, case_b, decision FROM linkage_decisions").fetchall()
    accepted = [(str(a), str(b)) for a, b, d in rows if d == "accept"]
    rejected = [(str(a), str(b)) for a, b, d in rows if d == "reject"]
    return accepted, rejected


def _cluster_store(con: duckdb.DuckDBPyConnection, outcome: LinkOutcome) -> tuple[Clustering, dict[str, str]]:
    """Cluster the keyed cases (with their repeated rows, and the cases accepted decisions name) under the
    decisions."""
    accepted, rejected = _decisions(con)
    repeats = [
        (str(a), str(b)) for a, b in con.execute(f"SELECT repeat, original FROM {_REPEATS}").fetchall()
    ]
    named = sorted({c for pair in accepted for c in pair} | {a for a, _ in repeats})
    contributor = dict(con.execute(f"SELECT case_id, contributor FROM {_SOURCE}").fetchall())
    if named:
        con.execute("SELECT 1").fetchall()
        con.register("_lk_named", pa.table({"case_id": named}))
        try:
            rows = con.execute(
                "SELECT c.case_id, c.contributor FROM cases c JOIN _lk_named n ON n.case_id = c.case_id"
            ).fetchall()
        finally:
            con.unregister("_lk_named")
        contributor.update(dict(rows))
    links = [Link(p.case_a, p.case_b, p.score) for p in outcome.pairs if p.band == MATCH]
    clustering = cluster(contributor, links, repeats=repeats, accepted=accepted, rejected=rejected)
    return clustering, contributor


def sync_sql(target: str, new: str, keys: tuple[str, ...], values: tuple[str, ...]) -> list[str]:
    """Make `target` hold exactly the rows of `new`, touching only the rows that differ: rewriting every
    row of a large table (and its primary-key index) costs far more than the few a re-run changes."""
    same_key = " AND ".join(f"n.{qi(k)} = t.{qi(k)}" for k in keys)
    same = " AND ".join([same_key, *(f"n.{qi(v)} IS NOT DISTINCT FROM t.{qi(v)}" for v in values)])
    cols = ", ".join(qi(c) for c in (*keys, *values))
    return [
        f"DELETE FROM {qi(target)} t WHERE NOT EXISTS (SELECT 1 FROM {qi(new)} n WHERE {same})",
        f"INSERT INTO {qi(target)} ({cols}) SELECT {cols} FROM {qi(new)} n "
        f"WHERE NOT EXISTS (SELECT 1 FROM {qi(target)} t WHERE {same_key})",
    ]


def _write_persons(con: duckdb.DuckDBPyConnection, clustering: Clustering) -> dict[int, int]:
    secret = person_key_secret(con)
    rep = clustering.representative
    sizes = Counter(rep.values())
    cases = sorted(rep)
    ids = {r: person_id(secret, r) for r in sizes}

    def method(r: str) -> str:
        if r in clustering.by_decision:
            return "decision"
        if r in clustering.by_repeat:
            return "repeat"
        return "clk" if sizes[r] > 1 else "single"

    table = pa.table(
        {
            "case_id": cases,
            "person_id": [ids[rep[c]] for c in cases],
            "method": [method(rep[c]) for c in cases],
        }
    )
    con.execute("SELECT 1").fetchall()  # settles person_key_secret's result before registering
    con.register("_lk_persons_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _lk_persons AS SELECT * FROM _lk_persons_arrow")
    finally:
        con.unregister("_lk_persons_arrow")
    for statement in sync_sql("persons", "_lk_persons", ("case_id",), ("person_id", "method")):
        con.execute(statement)
    con.execute("DROP TABLE _lk_persons")
    return dict(Counter(sizes.values()))


def _write_pairs(con: duckdb.DuckDBPyConnection, outcome: LinkOutcome, quasi: QuasiOutcome | None) -> None:
    quasi_rows = (
        f"UNION ALL SELECT case_a, case_b, 'quasi', NULL, score, evidence, {ql(QUASI)} FROM {qi(quasi.table)} "
        f"WHERE (case_a, case_b) NOT IN (SELECT (case_a, case_b) FROM {qi(outcome.table)})"
        if quasi is not None
        else ""
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _lk_pairs AS SELECT case_a, case_b, 'clk' AS method, similarity, score, "
        f"evidence, band FROM {qi(outcome.table)} {quasi_rows} "
        "UNION ALL SELECT least(repeat, original), greatest(repeat, original), 'repeat', NULL, 1.0, "
        f"{ql(REPEAT_EVIDENCE)}, {ql(MATCH)} FROM {_REPEATS}"
    )
    values = ("method", "similarity", "score", "evidence", "band")
    for statement in sync_sql("linkage_pairs", "_lk_pairs", ("case_a", "case_b"), values):
        con.execute(statement)
    con.execute("DROP TABLE _lk_pairs")


def find_duplicates(
    con: duckdb.DuckDBPyConnection,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    quasi: bool = True,
    progress: Callable[[str], None] | None = None,
) -> FindResult:
    """Find the records of one person in the store (`con` is the writer) and replace the last run's
    `linkage_pairs` and `persons`; the team's `linkage_decisions` are kept and applied."""
    _check_threshold(threshold)
    start = time.perf_counter()
    step = progress or (lambda _stage: None)
    std = load_standard()
    con.execute(repeats_sql())
    repeated = int(con.execute(f"SELECT count(*) FROM {_REPEATS}").fetchall()[0][0])
    con.execute(source_sql(std))
    outcome = link_table(con, _SOURCE, threshold, progress=step)
    step("quasi")
    unkeyed = int(
        con.execute(
            "SELECT count(*) FROM cases WHERE case_id NOT IN (SELECT case_id FROM linkage_keys)"
        ).fetchall()[0][0]
    )
    found_quasi = quasi_candidates(con) if quasi and unkeyed else None
    step("write")
    with transaction(con):
        _write_pairs(con, outcome, found_quasi)
        step("cluster")
        clustering, _ = _cluster_store(con, outcome)
        by_size = _write_persons(con, clustering)
    accepted, rejected = _decisions(con)
    for table in (outcome.table, _SOURCE, _REPEATS, found_quasi.table if found_quasi else None):
        if table:
            con.execute(f"DROP TABLE IF EXISTS {qi(table)}")
    review = {b: n for b, n in outcome.bands.items() if b != MATCH}
    if found_quasi is not None and found_quasi.pairs:
        review[QUASI] = len(found_quasi.pairs)
    notes = []
    if outcome.comparison.secret_groups > 1:
        notes.append(
            f"The keys were made with {outcome.comparison.secret_groups} different secrets: keys of "
            "different secrets are never compared (a contributor may be using a wrong secret)."
        )
    return FindResult(
        threshold=threshold,
        keyed_records=outcome.comparison.records,
        comparisons=outcome.comparison.comparisons,
        candidates=outcome.comparison.candidates,
        matches=outcome.bands.get(MATCH, 0),
        repeated_rows=repeated,
        review=review,
        review_left_out=outcome.crowded,
        persons=sum(by_size.values()),
        clusters_by_size=by_size,
        skipped_blocks=outcome.comparison.skipped_blocks,
        secret_groups=outcome.comparison.secret_groups,
        unkeyed_records=unkeyed,
        decisions_accepted=len(accepted),
        decisions_rejected=len(rejected),
        refused_same_contributor=clustering.refused_contributor,
        refused_rejected=clustering.refused_rejected,
        seconds=time.perf_counter() - start,
        notes=notes,
    )
