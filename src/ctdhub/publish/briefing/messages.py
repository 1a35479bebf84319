"""The briefing's messages, in English, under the names the briefing's code uses.

Each text is the msgid of the dashboard's gettext catalogues (``publish/web/locale``), where French and
Spanish live: one language layer for the web and the briefings (``tools/update_catalogues.py`` extracts
``N_`` and ``NP_`` from here). Placeholders are ``str.format`` fields (``{cases}``); numbers arrive already
formatted for the language. ``NP_`` gives a message about a number of things its singular and plural,
chosen by the language's plural rule (``Language.tn``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ctdhub.publish.web.i18n import N_


@dataclass(frozen=True)
class Plural:
    """A message with a singular and a plural form (gettext ngettext)."""

    one: str
    other: str


def NP_(one: str, other: str) -> Plural:
    """Mark a plural message for extraction; it is translated where it is shown."""
    return Plural(one, other)


MESSAGES: dict[str, str | Plural] = {
    "title": N_("Trafficking case data briefing"),
    "subtitle": N_("Release {release} · {selection}"),
    "all_cases": N_("all cases"),
    "all_years": N_("all years ({years})"),
    "sel_exploitation": N_("exploitation in {where}"),
    "sel_citizenship": N_("citizens of {where}"),
    "sel_datasource": N_("data source {what}"),
    "sel_contributor": N_("contributed by {what}"),
    "or": N_("or"),
    "and": N_("and"),
    # sections
    "h_headline": N_("Key figures"),
    "h_where": N_("Where victims were identified"),
    "h_profile": N_("Victim profile"),
    "h_origin": N_("Countries of origin"),
    "h_exploitation": N_("Types of exploitation and industries"),
    "h_control": N_("Means of control"),
    "h_recruiter": N_("Relationship with the recruiter"),
    "h_trend": N_("Trend over the years"),
    "h_methods": N_("Methods and caveats"),
    "h_citation": N_("Release and citation"),
    # key figures
    "k_cases": N_("Victims identified"),
    "k_change": N_("Change against {period}"),
    "k_countries": N_("Countries of exploitation"),
    "k_minors": N_("Minors"),
    "k_women": N_("Women and girls"),
    "k_women_of": NP_(
        "Women and girls, of the {n} victim whose gender is known",
        "Women and girls, of the {n} victims whose gender is known",
    ),
    "k_minors_age": NP_(
        "Minors, of the {n} victim whose age is known", "Minors, of the {n} victims whose age is known"
    ),
    "k_minors_status": NP_(
        "Minors, of the {n} victim whose majority status is known",
        "Minors, of the {n} victims whose majority status is known",
    ),
    "not_published": N_("not published"),
    # table headings
    "c_country": N_("Country"),
    "c_region": N_("Region"),
    "c_category": N_("Category"),
    "c_cases": N_("Cases"),
    "c_share": N_("Share"),
    "c_year": N_("Year"),
    "c_age": N_("Age band"),
    "c_total": N_("Total"),
    "c_gender": N_("Gender"),
    "c_type": N_("Type of exploitation"),
    # chart and table titles
    "t_exploitation_country": N_("Countries of exploitation (top {n})"),
    "t_exploitation_map": N_("Countries of exploitation (estimated cases)"),
    "map_none": N_("no case in the estimates"),
    "t_exploitation_region": N_("Region of exploitation"),
    "t_gender_age": N_("Victims by age band and gender"),
    "t_citizenship": N_("Citizenship (top {n})"),
    "t_citizenship_region": N_("Citizenship by region"),
    "t_typeOfExploit": N_("Type of exploitation"),
    "t_typeOfLabour": N_("Industry of forced labour"),
    "t_typeOfSex": N_("Type of sexual exploitation"),
    "t_meansOfControl": N_("Means of control"),
    "t_recruiterRelation": N_("Relationship with the recruiter"),
    "t_majorityStatus": N_("Majority status at registration"),
    "t_trend": N_("Victims identified by year of registration"),
    "t_trend_type": N_("By type of exploitation"),
    "share_of_info": N_(
        "Shares are of the {n} cases with information on this topic; a case can have several."
    ),
    "share_of_known": N_("Shares are of the {n} cases where this is known."),
    "share_of_all": N_("Shares are of all {n} cases."),
    "more_rows": NP_(
        "{n} further category is not listed ({s} with {lt} cases).",
        "{n} further categories are not listed ({s} of them with {lt} cases).",
    ),
    "few_info": N_(
        "Too few cases have information on this topic (fewer than {t}) to show a chart or shares."
    ),
    "no_data": N_("No information is recorded for this selection."),
    "map_note": N_("A map is not available; countries are ranked instead."),
    # narrative
    "n_in_year": N_("In {year}"),
    "n_in_period": N_("In {first}–{last}"),
    "n_in_selected": N_("In the selected years"),
    "n_in_all": N_("Across all years of the release"),
    "n_identified": N_("{when}, {cases} victims were identified in {countries} countries"),
    "n_identified_one": N_("{when}, {cases} victims were identified in one country"),
    "n_identified_nocountry": N_("{when}, {cases} victims were identified"),
    "n_total_hidden": N_("The number of victims identified cannot be published for this selection."),
    "n_more": N_(", {pct} more than the {prev} of {period}"),
    "n_fewer": N_(", {pct} fewer than the {prev} of {period}"),
    "n_same": N_(", as many as in {period}"),
    "n_women": NP_(
        "; {fraction} of the {n} victim whose gender is known was a woman or girl",
        "; {fraction} of the {n} victims whose gender is known were women or girls",
    ),
    "n_men": NP_(
        "; {fraction} of the {n} victim whose gender is known was a man or boy",
        "; {fraction} of the {n} victims whose gender is known were men or boys",
    ),
    "n_minors_age": NP_(
        "{minors} of the {n} victim whose age is known ({pct}) was under 18 when registered.",
        "{minors} of the {n} victims whose age is known ({pct}) were under 18 when registered.",
    ),
    "n_minors_status": NP_(
        "{minors} of the {n} victim whose majority status at registration is known ({pct}) was a minor when registered.",
        "{minors} of the {n} victims whose majority status at registration is known ({pct}) were minors when registered.",
    ),
    "n_top_country_tie": N_(
        "The largest numbers of victims were identified in {items}; their estimates are too close to rank."
    ),
    "n_top_origin_tie": N_(
        "The most frequent citizenships were {items}; their estimates are too close to rank."
    ),
    "n_top_type": NP_(
        "{label} was the most frequent type of exploitation ({pct} of the {n} case with information on the type).",
        "{label} was the most frequent type of exploitation ({pct} of the {n} cases with information on the type).",
    ),
    "n_top_type_tie": NP_(
        "The most frequent types of exploitation were {items}, of the {n} case with information on the type; their estimates are too close to rank.",
        "The most frequent types of exploitation were {items}, of the {n} cases with information on the type; their estimates are too close to rank.",
    ),
    "n_top_labour": NP_(
        "In the {n} case of forced labour with an industry recorded, {label} came first ({pct}).",
        "Among the {n} cases of forced labour with an industry recorded, {label} came first ({pct}).",
    ),
    "n_top_labour_tie": NP_(
        "In the {n} case of forced labour with an industry recorded, {items} came first; their estimates are too close to rank.",
        "Among the {n} cases of forced labour with an industry recorded, {items} came first; their estimates are too close to rank.",
    ),
    "n_top_control": NP_(
        "The most frequently reported means of control was {label} ({pct} of the {n} case with information on it).",
        "The most frequently reported means of control was {label} ({pct} of the {n} cases with information on it).",
    ),
    "n_top_control_tie": NP_(
        "The most frequently reported means of control were {items}, of the {n} case with information on it; their estimates are too close to rank.",
        "The most frequently reported means of control were {items}, of the {n} cases with information on it; their estimates are too close to rank.",
    ),
    "n_top_recruiter": NP_(
        "In the {n} case with information on the recruiter, the relationship was {label} ({pct}).",
        "Of the {n} cases with information on the recruiter, the most frequent relationship was {label} ({pct}).",
    ),
    "n_top_recruiter_tie": NP_(
        "In the {n} case with information on the recruiter, the relationships were {items}; their estimates are too close to rank.",
        "Of the {n} cases with information on the recruiter, the most frequent relationships were {items}; their estimates are too close to rank.",
    ),
    "n_top_country": N_("The largest number of victims was identified in {first} ({n}){rest}."),
    "n_followed_by": N_(", followed by {second} ({n})"),
    "n_top_origin": N_("The most frequent citizenship was {first} ({n}){rest}."),
    "n_trend_up": N_(
        "Between {first} and {last}, the number of victims identified per year rose from {a} to {b}."
    ),
    "n_trend_down": N_(
        "Between {first} and {last}, the number of victims identified per year fell from {a} to {b}."
    ),
    "n_suppressed": N_(
        "Figures shown as {lt} stand for 1 to {max} cases and are not published; a few further figures are withheld so that they cannot be worked out."
    ),
    # fractions
    "f_1_2": N_("one in two"),
    "f_1_3": N_("one in three"),
    "f_2_3": N_("two in three"),
    "f_1_4": N_("one in four"),
    "f_3_4": N_("three in four"),
    "f_1_5": N_("one in five"),
    "f_2_5": N_("two in five"),
    "f_3_5": N_("three in five"),
    "f_4_5": N_("four in five"),
    "f_9_10": N_("nine in ten"),
    "f_pct": N_("{pct}"),
    # methods
    "m_sources": N_("Sources: {n} contributing organisations ({names}); data sources: {sources}."),
    "m_coverage": N_(
        "Coverage: cases registered in {years} as held in release {release}; the selection is {selection}."
    ),
    "m_prevalence": N_(
        "These are identified cases, not prevalence: they reflect where organisations work and record cases, not how common trafficking is. Changes over time can reflect changes in programmes and reporting."
    ),
    "m_definitions": N_(
        "Definitions follow the ctdhub case-data standard {version} (CTDC codebook field names). The country of exploitation is where the exploitation took place; citizenship is the victim's nationality. Types of exploitation, means of control and recruiter relationship are multiple-choice: a case can count in several categories, and shares are of the cases with any information on the topic."
    ),
    "m_grouping": N_(
        "Grouping: {label}. {note} A case counts when its country was a member in the year the case was registered; cases without a year are left out."
    ),
    "m_citation": N_("Cite as: {citation}"),
    "m_generated": N_("Produced by ctdhub {version} from release {release} (published {created})."),
    # differential privacy and restricted exact figures
    "c_interval": N_("90 % interval"),
    "m_dp": N_(
        "Privacy: every figure is an estimate from the release's differentially private model (ε = {epsilon} for the whole release; the unit of privacy is one case record). Tables show each estimate's 90 % interval; estimates below {t} are shown as {lt}. Nothing is suppressed, and the figures agree with the release's tables, dashboard, API and downloads, whatever the selection. Percentages are computed from the estimates."
    ),
    "restricted": N_("Restricted: exact figures, not for publication"),
    "m_exact": N_(
        "Restricted: these are exact figures counted from the release's restricted records for the hub's own staff. Counts from 1 to {max} are shown as {lt} and a few further figures are withheld, but exact figures can still be worked out by comparing them with other documents: do not publish or share this briefing; use the public briefing instead."
    ),
    "modelled_note": N_(
        "* No table of the release measured this combination: the estimate rests on the model, and its interval covers the noise but not the model's own error."
    ),
}
