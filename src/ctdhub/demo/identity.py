"""The invented people behind the demo's cases, the people two contributors share, and the answer key.

Each case of a contributor with identity columns (harbour, refugio) is one invented person named after
the case's citizenship, with the case's sex and a date of birth consistent with its age. About
`SHARED_SHARE` of refugio's people were first at harbour: refugio's case takes that person's sex,
citizenship and age, and records the name and date of birth with variations (`variation.vary`).
`write_truth` writes which row is which person to `truth/truth-persons.csv`: the demo's answer key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ctdhub.demo.latent import Cases
from ctdhub.demo.people import People, birth_dates, invent_people, registration_gaps
from ctdhub.demo.variation import vary

#: share of refugio's people who are also harbour's people
SHARED_SHARE = 0.10
#: the answer key, relative to the demo output directory
TRUTH_FILE = Path("truth") / "truth-persons.csv"
#: person sex of each case gender (Female, Male, Trans: mostly trans women, Unknown: drawn)
SEX_OF_GENDER = np.array(["f", "m", "f", ""])


@dataclass(frozen=True)
class Shared:
    """Harbour people who also come to refugio: who they are, and what harbour's cases say about them."""

    people: People
    gender: np.ndarray  # case gender codes
    nationality: np.ndarray  # ISO3
    registered: np.ndarray  # datetime64[D], at harbour
    exploitation: np.ndarray  # ISO3, "" unknown: the country of exploitation harbour recorded

    def __len__(self) -> int:
        return len(self.people)

    @staticmethod
    def pick(c: Cases, people: People, rows: np.ndarray) -> Shared:
        return Shared(
            people.take(rows),
            c.gender[rows],
            c.nationality[rows],
            c.registered[rows],
            c.exploitation_country[rows],
        )

    @staticmethod
    def join(parts: list[Shared]) -> Shared:
        people = People(
            **{
                f.name: np.concatenate([getattr(p.people, f.name) for p in parts])
                for f in dataclasses.fields(People)
            }
        )
        return Shared(
            people,
            np.concatenate([p.gender for p in parts]),
            np.concatenate([p.nationality for p in parts]),
            np.concatenate([p.registered for p in parts]),
            np.concatenate([p.exploitation for p in parts]),
        )


@dataclass(frozen=True)
class Written:
    """One written contributor file and the person behind each of its data rows."""

    path: Path
    person_id: np.ndarray  # per data row, in file order
    source_row: np.ndarray  # the row number the hub reads it at (CSV line, sheet row)


def people_rng(seed: int, contributor: int) -> np.random.Generator:
    """The generator of a contributor's people, apart from its cases' (so cases stay as they were)."""
    return np.random.default_rng(np.random.SeedSequence([seed, contributor, 7]))


def case_people(c: Cases, rng: np.random.Generator, first_id: int) -> People:
    """One invented person per case: the case's sex, nationality, and a birth date matching its age."""
    sex = SEX_OF_GENDER[np.clip(c.gender, 0, 3)]
    sex = np.where(sex == "", np.where(rng.random(c.n) < 0.5, "f", "m"), sex)
    dob = birth_dates(c.registered, c.age, rng)
    return invent_people(c.n, rng, c.nationality, sex=sex, dob=dob, first_id=first_id)


def shared_rows(n_harbour: int, n_refugio: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(harbour case rows, refugio case rows) of the shared people, pairwise; harbour's sorted."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 4]))
    k = min(round(SHARED_SHARE * n_refugio), n_harbour)
    return np.sort(rng.choice(n_harbour, k, replace=False)), rng.choice(n_refugio, k, replace=False)


def _ages(dob: np.ndarray, registered: np.ndarray) -> np.ndarray:
    days = (registered - dob).astype("timedelta64[D]").astype(np.int64)
    ages: np.ndarray = np.floor(days / 365.25).astype(np.int64)
    return ages


def adopt(
    c: Cases,
    people: People,
    shared: Shared,
    at: np.ndarray,
    rng: np.random.Generator,
    countries: Collection[str] = (),
) -> tuple[Cases, People]:
    """Refugio's cases and people with the shared people at rows `at`: their sex, citizenship and age,
    registered by refugio some time after harbour, mostly the same country of exploitation (one trafficking case; 5 % another leg of the journey), their
    names and dates of birth as refugio records them (varied). `countries`: the ISO3 codes refugio's file
    can write (another country of exploitation stays refugio's own)."""
    varied, _ = vary(shared.people, np.arange(len(shared)), rng)
    cols = {f.name: getattr(people, f.name).copy() for f in dataclasses.fields(People)}
    for name, values in cols.items():
        values[at] = getattr(varied, name)
    gender, age, registered = c.gender.copy(), c.age.copy(), c.registered.copy()
    nationality, citizenship = c.nationality.copy(), c.citizenship.copy()
    gender[at] = shared.gender
    nationality[at] = shared.nationality
    citizenship[at] = np.where(c.citizenship[at] != "", shared.nationality, "")
    exploitation = c.exploitation_country.copy()
    writable = np.isin(shared.exploitation, np.array(sorted(countries), dtype=object))
    same = writable & (rng.random(len(at)) >= 0.05)
    # refugio meets them after harbour (REGISTRATION_GAP_YEARS, a few weeks either way), not after its own last
    days = registration_gaps(len(at), rng) * 365 + rng.integers(-30, 31, len(at))
    reg = np.minimum(
        shared.registered + days.astype("timedelta64[D]"), max(c.registered.max(), shared.registered.max())
    )
    registered[at] = reg
    dob = shared.people.dob  # the true date of birth, whatever refugio wrote down
    age[at] = np.where(~np.isnat(dob), _ages(dob, reg), c.age[at])
    own = c.exploitation_country[at]
    # refugio's form cannot name harbour's country: left blank rather than another country
    exploitation[at] = np.where(same & (own != ""), shared.exploitation, np.where(writable, own, ""))
    cases = dataclasses.replace(
        c,
        gender=gender,
        age=age,
        registered=registered,
        nationality=nationality,
        citizenship=citizenship,
        exploitation_country=exploitation,
    )
    return cases, People(**cols)


def write_truth(out_dir: Path, written: dict[str, Written]) -> Path:
    """Write the answer key: contributor, source_row, person_id for every row with identity columns."""
    path = Path(out_dir) / TRUTH_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(written)
    table = pa.table(
        {
            "contributor": pa.array(np.repeat(names, [len(w.person_id) for w in written.values()]).tolist()),
            "source_row": pa.array(np.concatenate([w.source_row for w in written.values()]).astype(np.int64)),
            "person_id": pa.array(np.concatenate([w.person_id for w in written.values()]).astype(str)),
        }
    )
    with path.open("wb") as out:
        out.write(b"contributor,source_row,person_id\n")
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return path
