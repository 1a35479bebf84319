"""`harbour-casework`: an invented case-management export in English (CSV, UTF-8, comma, ~60 columns).

One Yes/No/Unknown column per means of control, exploitation type, labour sector, type of sexual
exploitation and recruiter relation; N/A where a family does not apply. Region: South-East Asia.
Each case is an invented person (`identity`): given and family names and date of birth (DD/MM/YYYY).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ctdhub.demo import arrow as ar
from ctdhub.demo import distributions as d
from ctdhub.demo.identity import Shared, Written, case_people, people_rng
from ctdhub.demo.latent import Cases, simulate
from ctdhub.demo.people import People

CHUNK = 250_000
YES_NO = ("No", "Yes", "Unknown", "N/A")
TYPO_YES = ("Yse", "Y es", "Noo")

MEANS_COLUMNS = {
    "DebtBondage": "Control: Debt Bondage",
    "TakesEarnings": "Control: Withholds Wages",
    "RestrictsFinancialAccess": "Control: Restricts Access to Money",
    "Threats": "Control: Threats",
    "PsychologicalAbuse": "Control: Psychological Abuse",
    "PhysicalAbuse": "Control: Physical Abuse",
    "SexualAbuse": "Control: Sexual Abuse",
    "FalsePromises": "Control: False Promises",
    "PsychoactiveSubstances": "Control: Drugs or Alcohol",
    "RestrictsMovement": "Control: Restricted Movement",
    "RestrictsMedicalCare": "Control: Denied Medical Care",
    "ExcessiveWorkingHours": "Control: Excessive Working Hours",
    "UsesChildren": "Control: Uses Children",
    "ThreatOfLawEnforcement": "Control: Threat of Police or Deportation",
    "WithholdsNecessities": "Control: Withholds Food or Necessities",
    "WithholdsDocuments": "Control: Withholds Documents",
    "Other": "Control: Other",
}
EXPLOIT_COLUMNS = {
    "isSexualExploit": "Exploitation: Sexual",
    "isForcedLabour": "Exploitation: Forced Labour",
    "isForcedMarriage": "Exploitation: Forced Marriage",
    "isOtherExploit": "Exploitation: Other",
    "isAbduction": "Abducted",
}
SECTOR_COLUMNS = {
    "Agriculture": "Sector: Agriculture",
    "Aquafarming": "Sector: Fishing and Aquaculture",
    "Begging": "Sector: Begging",
    "Construction": "Sector: Construction",
    "DomesticWork": "Sector: Domestic Work",
    "Hospitality": "Sector: Hospitality",
    "IllicitActivities": "Sector: Illicit Activities",
    "Manufacturing": "Sector: Manufacturing",
    "MiningOrDrilling": "Sector: Mining",
    "Peddling": "Sector: Street Vending",
    "Transportation": "Sector: Transport",
    "Other": "Sector: Other",
}
SEX_COLUMNS = {
    "Prostitution": "Sexual Exploitation: Prostitution",
    "Pornography": "Sexual Exploitation: Pornography",
    "RemoteInteractiveServices": "Sexual Exploitation: Online or Webcam",
    "PrivateSexualServices": "Sexual Exploitation: Private Sexual Services",
    "Other": "Sexual Exploitation: Other",
}
RECRUITER_COLUMNS = {
    "IntimatePartner": "Recruiter: Intimate Partner",
    "Friend": "Recruiter: Friend or Acquaintance",
    "Family": "Recruiter: Family Member",
    "Other": "Recruiter: Broker, Employer or Other",
    "Unknown": "Recruiter: Relationship Not Known",
}

COUNTRY_FORMS: dict[str, tuple[str, ...]] = {
    "PHL": ("Philippines", "PHL"),
    "IDN": ("Indonesia", "IDN"),
    "KHM": ("Cambodia", "KHM"),
    "MMR": ("Myanmar", "MMR", "Burma"),
    "VNM": ("Viet Nam", "VNM", "Vietnam"),
    "THA": ("Thailand", "THA"),
    "LAO": ("Lao PDR", "LAO", "Laos"),
    "CHN": ("China", "CHN"),
    "BGD": ("Bangladesh", "BGD"),
    "LKA": ("Sri Lanka", "LKA"),
    "NPL": ("Nepal", "NPL"),
    "UKR": ("Ukraine", "UKR"),
    "TLS": ("Timor-Leste", "TLS"),
    "MYS": ("Malaysia", "MYS"),
    "SGP": ("Singapore", "SGP"),
    "ARE": ("United Arab Emirates", "ARE"),
    "SAU": ("Saudi Arabia", "SAU"),
    "KOR": ("Republic of Korea", "KOR", "South Korea"),
}
BAD_COUNTRIES = ("Phillipines", "Cambodja", "At sea", "Thai-Burma border")

OFFICES = ("Manila", "Cebu", "Jakarta", "Kuala Lumpur", "Bangkok", "Phnom Penh")
REFERRALS = ("Self-referral", "Police", "Embassy", "NGO partner", "Labour inspectorate", "Hotline")
STATUS = ("Open", "Closed", "Referred")
NOTES = (
    "Referred by partner agency; follow-up scheduled.",
    "Shelter placement arranged.",
    "Awaiting travel documents from the embassy.",
    "Client declined further assistance.",
    "",
    "Family tracing requested, see file.",
)


def _flag(rng: np.random.Generator, value: np.ndarray, known: np.ndarray, applies: np.ndarray) -> pa.Array:
    idx = np.where(applies, np.where(known, value.astype(np.int64), 2), 3)
    return ar.with_defects(rng, YES_NO, idx, d.TYPO_RATE / 80, TYPO_YES)


def _names(values: np.ndarray) -> pa.Array:
    return pa.array(values.tolist(), pa.string(), mask=values == "")


def _table(
    c: Cases, people: People, rng: np.random.Generator, first_case: int
) -> tuple[pa.Table, np.ndarray]:
    """The chunk's table (duplicate rows included) and, per row, the case it shows."""
    n = c.n
    years = c.registered.astype("datetime64[Y]").astype(np.int64) + 1970
    future = rng.random(n) < d.FUTURE_YEAR_RATE
    registered = np.where(future, c.registered + np.timedelta64(365 * 12, "D"), c.registered)
    unknown = np.isnat(people.dob)
    born = np.where(unknown, np.datetime64("2000-01-01", "D"), people.dob)
    cols: dict[str, pa.Array] = {}
    seq = ar.integers(np.arange(first_case, first_case + n) + 100_000, np.zeros(n, bool))
    cols["Case Number"] = pc.binary_join_element_wise("HC", ar.integers(years, np.zeros(n, bool)), seq, "-")
    cols["Given name"] = _names(people.given)
    cols["Family name"] = _names(people.family)
    cols["Phone"] = pc.binary_join_element_wise(
        "+63",
        ar.integers(rng.integers(900, 999, n), np.zeros(n, bool)),
        ar.integers(rng.integers(1_000_000, 9_999_999, n), np.zeros(n, bool)),
        " ",
    )
    cols["Date of birth"] = ar.dates(born, "%d/%m/%Y", unknown)
    cols["Registration Date"] = ar.dates(registered, "%d/%m/%Y")
    cols["Office"] = ar.strings(OFFICES, rng.integers(0, len(OFFICES), n))
    cols["Caseworker"] = ar.strings(("J. Ramos", "P. Wong", "S. Nair", "A. Lopez"), rng.integers(0, 4, n))
    sex = np.select([c.gender == 0, c.gender == 1, c.gender == 2], [0, 1, 2], default=-1)
    cols["Sex"] = ar.with_defects(rng, ("F", "M", "Other"), sex, d.TYPO_RATE / 2, ("Femal", "Mle"))
    half = d.UNKNOWN_COUNTRY_RATE / 2
    cols["Nationality"] = ar.countries(rng, c.citizenship, COUNTRY_FORMS, 0.3, BAD_COUNTRIES[:2], half)
    cols["Country of Exploitation"] = ar.countries(
        rng, c.exploitation_country, COUNTRY_FORMS, 0.2, BAD_COUNTRIES[2:], half
    )
    minor = np.where(c.minor_at_exploit < 0, 2, c.minor_at_exploit)
    cols["Minor When Exploitation Began"] = ar.strings(YES_NO, minor)
    cols["Months in Trafficking"] = ar.integers(c.months, c.months < 0)
    cols["Referral Source"] = ar.strings(REFERRALS, ar.inject(rng, np.zeros(n, np.int64), 0.7, range(6)))
    cols["Case Status"] = ar.strings(STATUS, rng.integers(0, 3, n))
    known_exploit = c.exploit != 5
    exploit_values = {
        "isSexualExploit": c.sexual,
        "isForcedLabour": c.labour,
        "isForcedMarriage": c.exploit == 3,
        "isOtherExploit": c.exploit == 4,
        "isAbduction": c.abduction,
    }
    everywhere = np.ones(n, bool)
    for key, name in EXPLOIT_COLUMNS.items():
        cols[name] = _flag(rng, exploit_values[key], known_exploit, everywhere)
    for i, (_key, name) in enumerate(MEANS_COLUMNS.items()):
        cols[name] = _flag(rng, c.means[:, i], c.means_known, everywhere)
    for i, name in enumerate(SECTOR_COLUMNS.values()):
        cols[name] = _flag(rng, c.sector == i, known_exploit, c.labour | ~known_exploit)
    for i, name in enumerate(SEX_COLUMNS.values()):
        cols[name] = _flag(rng, c.sex_type == i, known_exploit, c.sexual | ~known_exploit)
    for i, name in enumerate(RECRUITER_COLUMNS.values()):
        cols[name] = _flag(rng, c.recruiter == i, c.recruiter >= 0, everywhere)
    cols["Shelter Provided"] = ar.strings(YES_NO, rng.integers(0, 2, n))
    cols["Caseworker Notes"] = ar.strings(NOTES, rng.integers(0, len(NOTES), n))
    take = ar.duplicate_rows(rng, n, d.DUPLICATE_RATE)
    return pa.table(cols).take(pa.array(take)), take


def write_casework(
    path: Path, rows: int, *, seed: int = 7, share: np.ndarray | None = None, first_person: int = 1
) -> tuple[Written, Shared]:
    """Write `rows` invented case-management records to `path` (CSV, UTF-8, comma); chunked.

    Returns who is behind each row (person ids from `first_person`) and the people of the case rows
    `share` (sorted), who will also be another contributor's.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    prng = people_rng(seed, 1)
    share = np.zeros(0, np.int64) if share is None else np.asarray(share, np.int64)
    ids: list[np.ndarray] = []
    shared: list[Shared] = []
    writer: pacsv.CSVWriter | None = None
    try:
        done = 0
        while done < rows or writer is None:
            n = min(CHUNK, rows - done)
            cases = simulate(n, d.HARBOUR, rng)
            people = case_people(cases, prng, first_person + done)
            table, take = _table(cases, people, rng, done)
            if writer is None:
                writer = pacsv.CSVWriter(str(path), table.schema)
            writer.write_table(table)
            ids.append(people.person_id[take])
            here = share[(share >= done) & (share < done + n)] - done
            shared.append(Shared.pick(cases, people, here))
            done += n
    finally:
        if writer is not None:
            writer.close()
    person_id = np.concatenate(ids)
    return Written(path, person_id, np.arange(person_id.shape[0]) + 2), Shared.join(shared)


def write_casework_csv(path: Path, rows: int, *, seed: int = 7) -> Path:
    """Write `rows` invented case-management records to `path` (CSV, UTF-8, comma); chunked."""
    return write_casework(path, rows, seed=seed)[0].path
