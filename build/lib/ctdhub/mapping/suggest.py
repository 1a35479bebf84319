"""Draft a mapping spec from a file's headers and values, so a small NGO starts from a draft.

Headers are matched (accent- and case-insensitive, fuzzy) against the standard's field names and labels
and a small multilingual (English, French, Spanish) vocabulary; values against the field's codes, labels
and synonyms. A date column's `date_format` is judged on its text dates that are not ISO (a workbook's real
dates reach us as ISO text, and ISO dates are always read). Columns that look like direct identifiers are drafted as `drop`. Anything not matched is
marked `TODO` in the YAML and listed in the summary — and drafted as `drop`, so that an unreviewed
draft can never let an unknown column into the store.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from ctdhub.geo import CountryResolver, resolver
from ctdhub.mapping.identifiers import DIRECT_IDENTIFIER_WORDS, norm_key, words_match
from ctdhub.mapping.values import FLAG_WORDS
from ctdhub.standard import Standard, load_standard

ColumnProfile = list[tuple[str, int]]  # (distinct value, count), most frequent first

# what the drafter drops besides direct identifiers: case references, free-text notes, staff names
PII_WORDS = (
    *DIRECT_IDENTIFIER_WORDS,
    "street",
    "calle",
    "casenumber",
    "caseno",
    "caseid",
    "caseref",
    "reference",
    "ref",
    "expediente",
    "dossier",
    "numero",
    "number",
    "notes",
    "note",
    "comment",
    "comments",
    "observaciones",
    "remarques",
    "caseworker",
    "worker",
    "gps",
    "latitude",
    "longitude",
    "ip",
)
BIRTH_WORDS = ("birth", "dob", "naissance", "nacimiento", "birthdate", "datenaiss", "fechanac")
REGISTRATION_WORDS = ("registration", "registro", "enregistrement", "intake", "referral", "opened", "ingreso")
# words of a victim's identification: the registration date only when the header also names a date
# ("Date of identification", "Fecha de identificación"), as "Identification number" is an identifier
IDENTIFICATION_WORDS = ("identification", "identificacion", "identified", "identifie", "identificado")
DATE_WORDS = ("date", "fecha", "year", "annee")

# header keyword (normalised) -> standard field or family
HEADER_SYNONYMS: dict[str, str] = {
    "sex": "gender",
    "sexe": "gender",
    "sexo": "gender",
    "gender": "gender",
    "genero": "gender",
    "genre": "gender",
    "age": "age",
    "edad": "age",
    "agegroup": "ageBroad",
    "ageband": "ageBroad",
    "grupodeedad": "ageBroad",
    "trancheage": "ageBroad",
    "nationality": "citizenship",
    "nacionalidad": "citizenship",
    "nationalite": "citizenship",
    "citizenship": "citizenship",
    "countryoforigin": "citizenship",
    "paisdeorigen": "citizenship",
    "paysdorigine": "citizenship",
    "origin": "citizenship",
    "countryofexploitation": "CountryOfExploitation",
    "paisdeexplotacion": "CountryOfExploitation",
    "paysdexploitation": "CountryOfExploitation",
    "destination": "CountryOfExploitation",
    "countryexploited": "CountryOfExploitation",
    "year": "yearOfRegistration",
    "ano": "yearOfRegistration",
    "annee": "yearOfRegistration",
    "datasource": "Datasource",
    "fuente": "Datasource",
    "source": "Datasource",
    "exploitation": "typeOfExploit",
    "typeofexploitation": "typeOfExploit",
    "tipodeexplotacion": "typeOfExploit",
    "typedexploitation": "typeOfExploit",
    "explotacion": "typeOfExploit",
    "meansofcontrol": "meansOfControl",
    "control": "meansOfControl",
    "formasdecontrol": "meansOfControl",
    "moyensdecontrole": "meansOfControl",
    "methodsofcontrol": "meansOfControl",
    "sector": "typeOfLabour",
    "industry": "typeOfLabour",
    "secteur": "typeOfLabour",
    "labour": "typeOfLabour",
    "typeoflabour": "typeOfLabour",
    "sexexploitation": "typeOfSex",
    "typeofsex": "typeOfSex",
    "recruiter": "recruiterRelation",
    "reclutador": "recruiterRelation",
    "recruteur": "recruiterRelation",
    "recruiterrelation": "recruiterRelation",
    "months": "traffickMonths",
    "meses": "traffickMonths",
    "mois": "traffickMonths",
    "duration": "traffickMonths",
    "duracion": "traffickMonths",
    "duree": "traffickMonths",
}

VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "gender": {
        "f": "Female",
        "female": "Female",
        "woman": "Female",
        "women": "Female",
        "girl": "Female",
        "femme": "Female",
        "feminin": "Female",
        "fille": "Female",
        "mujer": "Female",
        "femenino": "Female",
        "nina": "Female",
        "feminine": "Female",
        "m": "Male",
        "male": "Male",
        "man": "Male",
        "men": "Male",
        "boy": "Male",
        "homme": "Male",
        "masculin": "Male",
        "garcon": "Male",
        "hombre": "Male",
        "masculino": "Male",
        "nino": "Male",
        "masculine": "Male",
        "transgender": "Transgender/NonConforming",
        "nonbinary": "Transgender/NonConforming",
        "other": "Transgender/NonConforming",
        "otro": "Transgender/NonConforming",
        "autre": "Transgender/NonConforming",
    },
    "majorityStatus": {
        "minor": "Minor",
        "menor": "Minor",
        "mineur": "Minor",
        "child": "Minor",
        "adult": "Adult",
        "adulto": "Adult",
        "adulte": "Adult",
    },
    "Datasource": {"casemanagement": "Case Management", "hotline": "Hotline", "helpline": "Hotline"},
}

# keyword (normalised, substring) -> flag field, for multi-select tokens and yes/no columns
FLAG_KEYWORDS: dict[str, str] = {
    "debt": "meansOfControlDebtBondage",
    "deuda": "meansOfControlDebtBondage",
    "dette": "meansOfControlDebtBondage",
    "earning": "meansOfControlTakesEarnings",
    "salario": "meansOfControlTakesEarnings",
    "threat": "meansOfControlThreats",
    "amenaza": "meansOfControlThreats",
    "menace": "meansOfControlThreats",
    "psycholog": "meansOfControlPsychologicalAbuse",
    "psicolog": "meansOfControlPsychologicalAbuse",
    "physical": "meansOfControlPhysicalAbuse",
    "fisic": "meansOfControlPhysicalAbuse",
    "physique": "meansOfControlPhysicalAbuse",
    "violence": "meansOfControlPhysicalAbuse",
    "sexualabuse": "meansOfControlSexualAbuse",
    "abusosexual": "meansOfControlSexualAbuse",
    "promise": "meansOfControlFalsePromises",
    "promesa": "meansOfControlFalsePromises",
    "promesse": "meansOfControlFalsePromises",
    "drug": "meansOfControlPsychoactiveSubstances",
    "droga": "meansOfControlPsychoactiveSubstances",
    "drogue": "meansOfControlPsychoactiveSubstances",
    "alcohol": "meansOfControlPsychoactiveSubstances",
    "movement": "meansOfControlRestrictsMovement",
    "encierro": "meansOfControlRestrictsMovement",
    "confined": "meansOfControlRestrictsMovement",
    "medical": "meansOfControlRestrictsMedicalCare",
    "hours": "meansOfControlExcessiveWorkingHours",
    "horas": "meansOfControlExcessiveWorkingHours",
    "heures": "meansOfControlExcessiveWorkingHours",
    "document": "meansOfControlWithholdsDocuments",
    "papeles": "meansOfControlWithholdsDocuments",
    "papiers": "meansOfControlWithholdsDocuments",
    "necessit": "meansOfControlWithholdsNecessities",
    "food": "meansOfControlWithholdsNecessities",
    "comida": "meansOfControlWithholdsNecessities",
    "police": "meansOfControlThreatOfLawEnforcement",
    "policia": "meansOfControlThreatOfLawEnforcement",
    "deport": "meansOfControlThreatOfLawEnforcement",
    "forcedlabour": "isForcedLabour",
    "forcedlabor": "isForcedLabour",
    "labour": "isForcedLabour",
    "labor": "isForcedLabour",
    "laboral": "isForcedLabour",
    "travail": "isForcedLabour",
    "sexual": "isSexualExploit",
    "sexuel": "isSexualExploit",
    "marriage": "isForcedMarriage",
    "matrimonio": "isForcedMarriage",
    "mariage": "isForcedMarriage",
    "military": "isForcedMilitary",
    "organ": "isOrganRemoval",
    "organo": "isOrganRemoval",
    "slavery": "isSlaveryAndPractices",
    "esclav": "isSlaveryAndPractices",
    "servitude": "isSlaveryAndPractices",
    "servidumbre": "isSlaveryAndPractices",
    "agricult": "typeOfLabourAgriculture",
    "farm": "typeOfLabourAgriculture",
    "fishing": "typeOfLabourAquafarming",
    "pesca": "typeOfLabourAquafarming",
    "peche": "typeOfLabourAquafarming",
    "begging": "typeOfLabourBegging",
    "mendicidad": "typeOfLabourBegging",
    "mendicite": "typeOfLabourBegging",
    "construct": "typeOfLabourConstruction",
    "domestic": "typeOfLabourDomesticWork",
    "domestico": "typeOfLabourDomesticWork",
    "domestique": "typeOfLabourDomesticWork",
    "hospitality": "typeOfLabourHospitality",
    "hotel": "typeOfLabourHospitality",
    "restaurant": "typeOfLabourHospitality",
    "manufactur": "typeOfLabourManufacturing",
    "factory": "typeOfLabourManufacturing",
    "fabrica": "typeOfLabourManufacturing",
    "usine": "typeOfLabourManufacturing",
    "mining": "typeOfLabourMiningOrDrilling",
    "mineria": "typeOfLabourMiningOrDrilling",
    "mine": "typeOfLabourMiningOrDrilling",
    "transport": "typeOfLabourTransportation",
    "prostitution": "typeOfSexProstitution",
    "prostitucion": "typeOfSexProstitution",
    "pornogra": "typeOfSexPornography",
    "partner": "recruiterRelationIntimatePartner",
    "pareja": "recruiterRelationIntimatePartner",
    "friend": "recruiterRelationFriend",
    "amigo": "recruiterRelationFriend",
    "ami": "recruiterRelationFriend",
    "family": "recruiterRelationFamily",
    "familia": "recruiterRelationFamily",
    "famille": "recruiterRelationFamily",
    "abduct": "isAbduction",
    "secuestro": "isAbduction",
    "enlevement": "isAbduction",
}
MISSING_WORDS = {
    "",
    "unknown",
    "desconocido",
    "inconnu",
    "na",
    "n/a",
    "null",
    "none",
    "-99",
    "-9",
    "99",
    "ns/nr",
    "nsp",
}
SEPARATORS = (";", "|", ",", "/")

# date formats a contributor's text dates may be in, tried in this order (day first before month first)
TEXT_DATE_FORMATS = (
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d.%m.%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%Y/%m/%d",
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?")


@dataclass
class ColumnDraft:
    column: str
    body: dict[str, Any]
    matched: bool
    note: str = ""
    todo_values: list[str] = field(default_factory=list)


@dataclass
class Suggestion:
    spec_name: str
    drafts: list[ColumnDraft]

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "columns": len(self.drafts),
            "matched": [d.column for d in self.drafts if d.matched],
            "unmatched": [d.column for d in self.drafts if not d.matched],
            "dropped": [d.column for d in self.drafts if "drop" in d.body and "derive" not in d.body],
            "values_to_review": {d.column: d.todo_values for d in self.drafts if d.todo_values},
        }


def _is_pii(key: str) -> bool:
    return words_match(key, PII_WORDS)


def _flag_for(text: str) -> str | None:
    key = norm_key(text)
    for word, flag in sorted(FLAG_KEYWORDS.items(), key=lambda kv: -len(kv[0])):
        if word in key:
            return flag
    return None


def _keyword_flags(text: str) -> list[str]:
    """Every flag a keyword of `text` names, leaving out keywords inside a longer one that matched
    ("labour" in "forcedlabour", "sexual" in "sexualabuse")."""
    key = norm_key(text)
    words = [w for w in FLAG_KEYWORDS if w in key]
    kept = [w for w in words if not any(w != o and w in o for o in words)]
    return list(dict.fromkeys(FLAG_KEYWORDS[w] for w in sorted(kept, key=lambda w: key.index(w))))


def _parent_flag(std: Standard, flag: str) -> str | None:
    """The flag a flag's family depends on: isForcedLabour for an industry of forced labour (begging is a
    type of forced labour), isSexualExploit for a type of sexual exploitation (the family's `applies_when`)."""
    fam = std.field(flag).family if std.has_field(flag) else None
    applies = std.family(fam).applies_when if fam else None
    m = re.match(r"\s*(\w+)\s*=\s*1", applies or "")
    return m.group(1) if m and std.has_field(m.group(1)) else None


def _token_flags(std: Standard, family: str, token: str) -> list[str]:
    """The flags one token of a multi-select column of `family` sets.

    Flags of the family named together are all set ("Sexual and labour" -> sexual exploitation and forced
    labour, and combined sexual and labour exploitation where the standard has it); a flag of a family that
    depends on one of this family's flags brings that flag ("Forced begging" -> begging and forced labour).
    """
    found = _keyword_flags(token)
    family_of = {f: std.field(f).family if std.has_field(f) else None for f in found}
    flags = [f for f in found if family_of[f] == family]
    for f in found:
        parent = _parent_flag(std, f)
        if family_of[f] != family and parent and std.field(parent).family == family:
            flags += [f, parent]
    if not flags:
        best = _flag_for(token)
        return [best] if best else []
    if {"isSexualExploit", "isForcedLabour"} <= set(flags) and std.has_field("isSexAndLabour"):
        flags.append("isSexAndLabour")
    return list(dict.fromkeys(flags))


def _date_format(values: ColumnProfile) -> str | None:
    """The format of a date column's text dates, judged on the values that are not ISO dates (those every
    date column accepts, and what the reader makes of a workbook's real dates); None when all are ISO.

    The format that reads the most values wins; day first is assumed when both orders read them all."""
    text_dates = [(v.strip(), n) for v, n in values if v.strip() and not ISO_DATE.fullmatch(v.strip())]
    text_dates = [(v, n) for v, n in text_dates if v.lower() not in MISSING_WORDS and re.search(r"\d", v)]
    if not text_dates:
        return None
    scores = {fmt: sum(n for v, n in text_dates if _parses(v, fmt)) for fmt in TEXT_DATE_FORMATS}
    best = max(TEXT_DATE_FORMATS, key=lambda fmt: scores[fmt])  # first of the best: day first on a tie
    return best if scores[best] else None


def _parses(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _registration_column(keys: dict[str, str]) -> str | None:
    """The column of the registration (or identification) date: a header naming registration or intake,
    else one naming identification together with a date ("Date of identification")."""
    for col, key in keys.items():
        if any(w in key for w in REGISTRATION_WORDS) and not any(w in key for w in BIRTH_WORDS):
            return col
    for col, key in keys.items():
        if any(w in key for w in IDENTIFICATION_WORDS) and any(w in key for w in DATE_WORDS):
            return col
    return None


def _date_body(body: dict[str, Any], values: ColumnProfile) -> dict[str, Any]:
    """`body` with the date_format of the column's text dates, when they are not all ISO dates."""
    fmt = _date_format(values)
    return {**body, "date_format": fmt} if fmt else body


def _separator(values: ColumnProfile) -> str | None:
    best, best_n = None, 0
    for sep in SEPARATORS:
        n = sum(c for v, c in values if sep in v)
        if n > best_n:
            best, best_n = sep, n
    return best if best_n else None


def _map_values(std: Standard, fname: str, values: ColumnProfile) -> tuple[dict[str, Any], list[str]]:
    f = std.field(fname)
    known = {norm_key(c.code): c.code for c in f.values} | {norm_key(c.label): c.code for c in f.values}
    known |= {norm_key(k): v for k, v in VALUE_SYNONYMS.get(fname, {}).items()}
    out: dict[str, Any] = {}
    todo: list[str] = []
    for v, _n in values:
        k = norm_key(v)
        if v.lower() in MISSING_WORDS or k in MISSING_WORDS:
            continue
        if k in known:
            if known[k] != v:
                out[v] = known[k]
        else:
            close = difflib.get_close_matches(k, list(known), n=1, cutoff=0.8)
            if close:
                out[v] = known[close[0]]
            else:
                todo.append(v)
    return out, todo


def _header_target(std: Standard, key: str) -> str | None:
    if key in HEADER_SYNONYMS:
        return HEADER_SYNONYMS[key]
    names = {norm_key(f.name): f.name for f in std.fields} | {norm_key(f.label): f.name for f in std.fields}
    names |= {norm_key(fam.name): fam.name for fam in std.families}
    names |= {norm_key(fam.label): fam.name for fam in std.families}
    if key in names:
        return names[key]
    for word, target in sorted(HEADER_SYNONYMS.items(), key=lambda kv: -len(kv[0])):
        if len(word) > 4 and word in key:
            return target
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.85)
    return names[close[0]] if close else None


def _looks_yes_no(values: ColumnProfile) -> bool:
    vals = [norm_key(v) for v, _ in values if v.strip()]
    return bool(vals) and all(v in FLAG_WORDS or v in MISSING_WORDS or v in ("si", "oui") for v in vals)


def _numeric_share(values: ColumnProfile) -> float:
    total = sum(c for _, c in values) or 1
    return sum(c for v, c in values if re.fullmatch(r"\d{1,3}(\.0)?", v.strip())) / total


def _split_tokens(values: ColumnProfile, sep: str) -> dict[str, int]:
    """The distinct tokens of a multi-select column's values, with their counts."""
    tokens: dict[str, int] = {}
    for v, n in values:
        for t in v.split(sep):
            if t.strip():
                tokens[t.strip()] = tokens.get(t.strip(), 0) + n
    return tokens


def _leftover_draft(col: str, key: str) -> ColumnDraft:
    """A column no rule matched: dropped, as an identifier when it looks like one, else marked TODO."""
    if _is_pii(key):
        return ColumnDraft(col, {"drop": "looks like a direct identifier"}, True)
    return ColumnDraft(col, {"drop": "TODO: not matched - map it to a field, or say ignore or drop"}, False)


@dataclass
class _Drafter:
    """Drafts the columns' rules in order, remembering the fields earlier columns already write."""

    std: Standard
    countries: CountryResolver
    registration: str | None  # the registration date column, if any
    used: set[str] = field(default_factory=set)

    def draft(self, col: str, key: str, values: ColumnProfile) -> ColumnDraft:
        """One column's draft: the first rule that matches its header (normalised as `key`) and values."""
        if any(w in key for w in BIRTH_WORDS):
            return self.birth_date(col, values)
        if col == self.registration:
            return self.registration_date(col, values)
        target = _header_target(self.std, key)
        if target is None:
            unmatched = self.unmatched_header(col, key, values)
            if unmatched:
                return unmatched
        if target == "age":
            if _numeric_share(values) > 0.6:
                return self.exact_age(col)
            target = "ageBroad"
        if target in {fam.name for fam in self.std.families}:
            return self.multi_select(col, target, values)
        if target and self.std.has_field(target) and target not in self.used:
            return self.single_field(col, target, values)
        return _leftover_draft(col, key)

    def birth_date(self, col: str, values: ColumnProfile) -> ColumnDraft:
        """A birth date: the age band derived against the registration date (dropped when there is none)."""
        body = _date_body({"derive": "age_from_birthdate", "drop": "exact birth date (identifier)"}, values)
        if not self.registration:
            return ColumnDraft(col, {"drop": "exact birth date (identifier)"}, True)
        body["reference"] = self.registration
        return ColumnDraft(col, body, True, "birth date: age band derived, value dropped")

    def registration_date(self, col: str, values: ColumnProfile) -> ColumnDraft:
        """The registration date: the year of registration derived from it."""
        body = _date_body({"field": "yearOfRegistration", "derive": "year"}, values)
        note = f"text dates read as {body['date_format']}, ISO dates as well" if "date_format" in body else ""
        self.used.add("yearOfRegistration")
        return ColumnDraft(col, body, True, note)

    def unmatched_header(self, col: str, key: str, values: ColumnProfile) -> ColumnDraft | None:
        """A header matching no field: dropped if it looks like an identifier, a yes/no column mapped to the
        flag its header names (when no earlier column writes it); None otherwise."""
        if _is_pii(key):
            return ColumnDraft(col, {"drop": "looks like a direct identifier"}, True)
        if _looks_yes_no(values):
            flag = _flag_for(col)
            if flag and flag not in self.used:
                self.used.add(flag)
                return ColumnDraft(col, {"field": flag}, True, "yes/no column")
        return None

    def exact_age(self, col: str) -> ColumnDraft:
        """An exact age: the age band and majority status derived from it."""
        self.used.update({"ageBroad", "majorityStatus"})
        return ColumnDraft(col, {"derive": "age"}, True, "exact age: age band derived")

    def multi_select(self, col: str, family: str, values: ColumnProfile) -> ColumnDraft:
        """A multi-select column of a flag family: split on its separator, each token mapped to flags."""
        sep = _separator(values) or ";"
        mapped: dict[str, Any] = {}
        todo = []
        for t in _split_tokens(values, sep):
            flags = _token_flags(self.std, family, t)
            if flags:
                mapped[t] = flags
            elif t.lower() not in MISSING_WORDS:
                todo.append(t)
        return ColumnDraft(col, {"split": sep, "values": mapped}, True, f"multi-select ({family})", todo)

    def single_field(self, col: str, target: str, values: ColumnProfile) -> ColumnDraft:
        """A column mapped to one field of the standard, by the field's type."""
        f = self.std.field(target)
        self.used.add(target)
        if f.type == "country":
            return self.country(col, target, values)
        if f.type == "integer":
            return ColumnDraft(col, {"field": target}, True)
        if target == "traffickMonths" and _numeric_share(values) > 0.6:
            return ColumnDraft(col, {"field": target, "derive": "months"}, True)
        vmap, todo = _map_values(self.std, target, values)
        body: dict[str, Any] = {"field": target}
        if vmap:
            body["values"] = vmap
        return ColumnDraft(col, body, True, "", todo)

    def country(self, col: str, target: str, values: ColumnProfile) -> ColumnDraft:
        """A country column: the hub resolves names and codes; the values it cannot resolve are listed."""
        todo = [
            v
            for v, _ in values
            if v.strip() and v.lower() not in MISSING_WORDS and self.countries.resolve(v).iso3 is None
        ]
        return ColumnDraft(col, {"field": target}, True, "country names/codes resolved by the hub", todo)


def suggest_spec(
    columns: dict[str, ColumnProfile], *, spec_name: str = "my-organisation", std: Standard | None = None
) -> Suggestion:
    """Draft column rules for every column, given its most frequent values."""
    std = std or load_standard()
    keys = {c: norm_key(c) for c in columns}
    drafter = _Drafter(std, resolver(), _registration_column(keys))
    drafts = [drafter.draft(col, keys[col], values) for col, values in columns.items()]
    return Suggestion(spec_name, drafts)


def render_yaml(s: Suggestion, *, file_label: str, source: dict[str, Any]) -> str:
    """The draft as commented YAML, ready to edit and then check with `ctdhub mapping check`."""
    from io import StringIO

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 120
    lines = [
        f"# Draft mapping spec for {file_label}, written by `ctdhub mapping suggest`.",
        "# Review every line marked TODO, then dry-run it: ctdhub mapping check THIS.yaml FILE",
        "# Columns the draft could not match are dropped, so nothing unknown can reach the store.",
    ]
    doc: dict[str, Any] = {
        "spec": s.spec_name,
        "version": "0.1",
        "standard": "1.0",
        "description": f"Draft for {file_label}",
    }
    if source:
        doc["source"] = source
    doc["missing_values"] = {"unknown": ["Unknown", "Desconocido", "Inconnu", "N/A", "NULL", "-99"]}
    doc["constants"] = {}
    buf = StringIO()
    yaml.dump(doc, buf)
    body = [buf.getvalue().rstrip(), "columns:"]
    for d in s.drafts:
        sub = StringIO()
        yaml.dump({d.column: d.body}, sub)
        text = sub.getvalue().rstrip().splitlines()
        note = d.note
        if d.todo_values:
            shown = ", ".join(repr(v) for v in d.todo_values[:10])
            note = (note + "; " if note else "") + f"TODO values not matched: {shown}"
        if note:
            body.append(f"  # {note}")
        body += ["  " + t for t in text]
    return "\n".join(lines + body) + "\n"
