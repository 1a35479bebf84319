"""Calibrated weights for the invented demo contributors.

Every number here is a rounded marginal or conditional rate, read once from the CTDC 2021 synthetic
dataset (CTDC_synthetic_20210825.csv, 193,025 rows) and the CTDC codebooks, then hard-coded: no
reference data ships with the package. Where the 2021 file has no such variable (restricts financial
access, uses children, the fine labour sectors) the rate is a plausible invention, marked as such.

Calibration notes (2021 synthetic, rows with the variable known):
- gender: 55% female, 21% male, 0.2% transgender/non-conforming, 24% missing;
- exploitation: women 49% sexual only, 15% forced labour only, 3% both; men 45% forced labour only,
  7% sexual only; about 6% of both sexes 'other';
- age bands by gender (women younger, men 30-38 most common); minors ~23%, rounded down here to ~16%
  as the brief asks for 15-20%;
- means of control among sexual-exploitation cases: threats 32%, psychological abuse 35%, physical
  29%, restricts movement 31%, psychoactive substances 23%, sexual abuse 20%; among forced-labour
  cases: takes earnings 60%, excessive hours 53%, psychological 51%, threats 49%, false promises
  49%, restricts movement 48%, withholds documents 40%;
- forced-labour sectors: men construction 34% / agriculture 22%; women domestic work 52%;
- sexual exploitation: prostitution 78%, pornography 13%, other 9%;
- recruiter: sexual cases intimate partner 33%, family 26%, other 29%, friend 13%; labour cases
  other (brokers, employers) 61%, friend 23%, family 11%;
- duration: 0-12 months 43%, 13-24 26%, 25-60 19%, 61+ 12%;
- registrations grow year on year (with a dip in 2020).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# -- categories shared by all contributors ---------------------------------------------------------

GENDERS = ("Female", "Male", "Trans", "Unknown")

#: exploitation kinds (one per case); the renderers turn them into each contributor's own shape
EXPLOITS = ("sexual", "labour", "sex_labour", "marriage", "other", "unknown")
EXPLOIT_BY_GENDER: dict[str, tuple[float, ...]] = {
    "Female": (0.58, 0.24, 0.04, 0.04, 0.06, 0.04),
    "Male": (0.07, 0.76, 0.01, 0.01, 0.10, 0.05),
    "Trans": (0.72, 0.15, 0.05, 0.0, 0.03, 0.05),
    "Unknown": (0.25, 0.45, 0.02, 0.02, 0.06, 0.20),
}

#: age bands of the standard (ageBroad), with the range an exact age is drawn from
AGE_BANDS = ((0, 8), (9, 17), (18, 20), (21, 23), (24, 26), (27, 29), (30, 38), (39, 47), (48, 72))
AGE_BY_GENDER: dict[str, tuple[float, ...]] = {
    "Female": (0.02, 0.14, 0.15, 0.15, 0.13, 0.10, 0.19, 0.08, 0.04),
    "Male": (0.04, 0.12, 0.05, 0.07, 0.08, 0.09, 0.29, 0.16, 0.10),
    "Trans": (0.0, 0.10, 0.10, 0.10, 0.22, 0.26, 0.17, 0.05, 0.0),
    "Unknown": (0.06, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12, 0.10),
}

#: suffixes of the standard's typeOfLabour flags
SECTORS = (
    "Agriculture",
    "Aquafarming",
    "Begging",
    "Construction",
    "DomesticWork",
    "Hospitality",
    "IllicitActivities",
    "Manufacturing",
    "MiningOrDrilling",
    "Peddling",
    "Transportation",
    "Other",
)
SECTOR_BY_GENDER: dict[str, tuple[float, ...]] = {
    "Female": (0.08, 0.03, 0.03, 0.01, 0.47, 0.12, 0.02, 0.11, 0.01, 0.04, 0.01, 0.07),
    "Male": (0.19, 0.12, 0.02, 0.27, 0.03, 0.05, 0.03, 0.10, 0.05, 0.02, 0.05, 0.07),
}

#: suffixes of the standard's typeOfSex flags
SEX_TYPES = ("Prostitution", "Pornography", "RemoteInteractiveServices", "PrivateSexualServices", "Other")
SEX_TYPE_WEIGHTS = (0.76, 0.11, 0.05, 0.03, 0.05)

#: suffixes of the standard's meansOfControl flags, with the rate among (sexual, labour) cases whose
#: means of control are known; restricts financial access and uses children are invented rates.
MEANS: tuple[tuple[str, float, float], ...] = (
    ("DebtBondage", 0.07, 0.22),
    ("TakesEarnings", 0.12, 0.60),
    ("RestrictsFinancialAccess", 0.06, 0.14),
    ("Threats", 0.32, 0.49),
    ("PsychologicalAbuse", 0.35, 0.51),
    ("PhysicalAbuse", 0.29, 0.29),
    ("SexualAbuse", 0.20, 0.02),
    ("FalsePromises", 0.10, 0.49),
    ("PsychoactiveSubstances", 0.23, 0.01),
    ("RestrictsMovement", 0.31, 0.48),
    ("RestrictsMedicalCare", 0.02, 0.23),
    ("ExcessiveWorkingHours", 0.03, 0.53),
    ("UsesChildren", 0.03, 0.01),
    ("ThreatOfLawEnforcement", 0.02, 0.28),
    ("WithholdsNecessities", 0.06, 0.30),
    ("WithholdsDocuments", 0.05, 0.40),
    ("Other", 0.21, 0.17),
)

#: recruiter relation (one per case): IntimatePartner, Friend, Family, Other, Unknown
RECRUITERS = ("IntimatePartner", "Friend", "Family", "Other", "Unknown")
RECRUITER_BY_EXPLOIT: dict[str, tuple[float, ...]] = {
    "sexual": (0.30, 0.13, 0.24, 0.27, 0.06),
    "labour": (0.04, 0.22, 0.10, 0.58, 0.06),
    "marriage": (0.10, 0.08, 0.64, 0.12, 0.06),
    "mixed": (0.12, 0.18, 0.18, 0.42, 0.10),
}

#: trafficking duration bands in months, with the range an exact duration is drawn from
MONTH_BANDS = ((0, 12), (13, 24), (25, 60), (61, 180))
MONTH_WEIGHTS = (0.43, 0.26, 0.19, 0.12)

#: registration years: growth with a dip in 2020
YEARS = tuple(range(2015, 2025))
YEAR_WEIGHTS = (4.0, 6.0, 7.0, 8.0, 9.0, 6.5, 9.0, 11.0, 13.0, 15.0)

#: share of minors who were minors when exploitation began vs adults exploited since childhood
ADULT_EXPLOITED_AS_MINOR = 0.08


@dataclass(frozen=True)
class Profile:
    """Who one invented contributor sees: population weights and how complete its records are."""

    name: str
    gender: tuple[float, float, float, float]
    citizenship: dict[str, float]
    exploitation: dict[str, float]
    domestic: float
    known_age: float = 0.9
    known_means: float = 0.8
    known_months: float = 0.6
    known_recruiter: float = 0.7
    known_citizenship: float = 0.95
    known_exploitation_country: float = 0.95
    sector_boost: dict[str, float] = field(default_factory=dict)


HARBOUR = Profile(
    name="harbour-casework",
    gender=(0.60, 0.385, 0.005, 0.01),
    citizenship={
        "PHL": 30,
        "IDN": 17,
        "KHM": 13,
        "MMR": 11,
        "VNM": 9,
        "THA": 6,
        "LAO": 4,
        "CHN": 3,
        "BGD": 2,
        "LKA": 2,
        "NPL": 1.5,
        "UKR": 1,
        "TLS": 0.5,
    },
    exploitation={
        "MYS": 30,
        "THA": 24,
        "IDN": 11,
        "SGP": 5,
        "ARE": 8,
        "SAU": 7,
        "KHM": 5,
        "CHN": 5,
        "KOR": 5,
    },
    domestic=0.28,
    known_age=0.93,
    known_means=0.86,
    known_months=0.62,
    known_recruiter=0.75,
    sector_boost={"Aquafarming": 2.2, "Manufacturing": 1.3},
)

LIGHTHOUSE = Profile(
    name="lighthouse-hotline",
    gender=(0.64, 0.31, 0.01, 0.04),
    citizenship={
        "UKR": 20,
        "ROU": 14,
        "NGA": 11,
        "MDA": 9,
        "BGR": 8,
        "ALB": 5,
        "VNM": 4,
        "CIV": 4,
        "BLR": 4,
        "TUR": 3,
        "DEU": 4,
        "POL": 3,
        "RUS": 3,
        "CHN": 3,
        "BRA": 3,
        "GRC": 1,
        "XKX": 1,
    },
    exploitation={
        "DEU": 30,
        "POL": 15,
        "ITA": 12,
        "NLD": 10,
        "TUR": 8,
        "GBR": 8,
        "FRA": 7,
        "ESP": 5,
        "AUT": 5,
    },
    domestic=0.15,
    known_age=0.72,
    known_means=0.58,
    known_recruiter=0.5,
    known_citizenship=0.85,
    known_exploitation_country=0.9,
    sector_boost={"Construction": 1.4, "Hospitality": 1.5, "Agriculture": 1.3, "Aquafarming": 0.2},
)

REFUGIO = Profile(
    name="refugio-ngo",
    gender=(0.70, 0.28, 0.01, 0.01),
    citizenship={
        "VEN": 28,
        "HND": 15,
        "GTM": 12,
        "MEX": 10,
        "COL": 10,
        "SLV": 7,
        "NIC": 5,
        "HTI": 4,
        "ECU": 3,
        "CUB": 3,
        "PER": 2,
        "BOL": 1,
    },
    exploitation={
        "MEX": 45,
        "GTM": 10,
        "COL": 8,
        "USA": 10,
        "PAN": 7,
        "CRI": 5,
        "CHL": 5,
        "ARG": 5,
        "ESP": 5,
    },
    domestic=0.2,
    known_age=0.96,
    known_means=0.78,
    known_recruiter=0.8,
    sector_boost={"Agriculture": 1.6, "Begging": 2.5, "Peddling": 2.5, "Aquafarming": 0.3},
)

#: share of each contributor in the total row count, and the xlsx cap
SHARES = {"harbour-casework": 0.60, "lighthouse-hotline": 0.25, "refugio-ngo": 0.15}
XLSX_MAX_ROWS = 200_000

#: realistic defects, per row: unmapped value, unknown country, future year, exact duplicate,
#: majority status contradicting the age band (where a contributor records both)
TYPO_RATE = 0.005
UNKNOWN_COUNTRY_RATE = 0.003
FUTURE_YEAR_RATE = 0.0005
DUPLICATE_RATE = 0.001
CONTRADICTION_RATE = 0.002
