"""One-line plain explanations of the findings' rules, for a data officer reading `ctdhub mapping check`.

Each explanation says what an offending row holds. A validation rule added later without an entry here is
explained by its own description (`ctdhub.validate.RULES`).
"""

from __future__ import annotations

from ctdhub.validate import RULES

RULE_EXPLANATIONS: dict[str, str] = {
    "unmapped_value": "a value the spec does not map to a code of the standard: add it to the column's values",
    "unknown_country": "a value that is not a country name or code the hub knows: map it in the column's values",
    "country_pattern_match": (
        "a value read as a country by a loose name pattern, not an exact name or code: "
        "confirm it by adding it to the column's values"
    ),
    "not_a_number": "a value that is not a whole number (an age, a count or a year)",
    "not_a_date": "a value that is not a date in the column's date_format nor an ISO date (YYYY-MM-DD)",
    "not_a_duration": "a value that is not a number of months",
    "age_out_of_range": "an age (given or computed from a birth date) outside the plausible range",
    "vocabulary": "a categorical value outside the standard's codes reached validation (a fault in the spec)",
    "year_in_future": "a year of registration later than this year",
    "year_too_early": "a year of registration before the earliest year the standard accepts",
    "majority_vs_age": "a minor/adult status that contradicts the age band of the same row",
    "labour_type_without_forced_labour": "an industry of forced labour set on a row whose forced labour flag is 0",
    "sex_type_without_sexual_exploitation": (
        "a type of sexual exploitation set on a row whose sexual exploitation flag is 0"
    ),
    "not_specified_with_values": "a family's not-specified flag set together with a specific flag of the family",
    "empty_record": "a row in which no column gives any field of the standard a value",
    "duplicate_row": "a row that repeats an earlier row of the same file exactly (stored, with a warning)",
}


def explain_rule(rule: str) -> str:
    """The plain explanation of a finding's rule ('' for a rule the hub does not know)."""
    if rule in RULE_EXPLANATIONS:
        return RULE_EXPLANATIONS[rule]
    declared = next((r for r in RULES if r.name == rule), None)
    return declared.description if declared else ""
