"""The names of the published dimensions and their special values, shared by every stage that writes or
reads tables (release, publish, briefings, dictionary): one definition, so they cannot drift."""

from __future__ import annotations

UNKNOWN = "Unknown"  # the value of a dimension whose field is unknown for the case
ANY_INFO = "(any information)"  # a flag family's "has any information" value
YEAR = "yearOfRegistration"
SIMPLE_DIMS: tuple[str, ...] = (
    YEAR,
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
    "citizenship_region",
    "citizenship_subregion",
    "exploitation_region",
    "exploitation_subregion",
    "Datasource",
    "contributor",
)
# coarse dimension -> (fine country dimension, region column of the geo table)
GEO_DIMS: dict[str, tuple[str, str]] = {
    "citizenship_region": ("citizenship", "un_region"),
    "citizenship_subregion": ("citizenship", "un_subregion"),
    "exploitation_region": ("CountryOfExploitation", "un_region"),
    "exploitation_subregion": ("CountryOfExploitation", "un_subregion"),
}
