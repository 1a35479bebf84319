"""Extract the dashboard's and briefings' messages, merge them into the French and Spanish catalogues, compile.

One language layer for the web and the briefings. Messages come from `src/ctdhub/publish/web` and
`src/ctdhub/portal` (Python `_()`, `gettext()`, `N_()` and the Jinja2 templates), from the briefings' `messages.py` (`N_()`, and `NP_()`
for singular and plural), the briefings' groupings (labels and notes), plus the labels of dimensions and
categories (`ctdhub.publish.web.i18n.english_labels`: the standard's labels and the UN region names).
Existing translations are kept; new messages are added untranslated; messages no longer used are dropped.
Then each `messages.po` is compiled to `messages.mo` next to it. `--check` also refuses a translation whose
placeholders (`{name}` or `%(name)s`) differ from its message's.

    .venv/bin/python tools/update_catalogues.py          # extract + merge + compile
    .venv/bin/python tools/update_catalogues.py --check  # exit 1 if a message is untranslated or a .mo is stale
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from ctdhub.publish.briefing.groupings import grouping_messages
from ctdhub.publish.web.i18n import LANGS, english_labels

WEB = Path(__file__).resolve().parents[1] / "src/ctdhub/publish/web"
BRIEFING = WEB.parent / "briefing"
PORTAL = WEB.parents[1] / "portal"
LOCALE = WEB / "locale"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
OPTIONS = {
    "templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
}


def template() -> Catalog:
    cat = Catalog(project="ctdhub dashboard", charset="utf-8")
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        WEB, METHODS, options_map=OPTIONS, keywords=keywords
    ):
        cat.add(message, None, [(filename, lineno)])
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        PORTAL, METHODS, options_map=OPTIONS, keywords=keywords
    ):
        cat.add(message, None, [(f"../../portal/{filename}", lineno)])
    briefing_keywords = {"N_": None, "NP_": (1, 2)}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        BRIEFING, [("messages.py", "python")], keywords=briefing_keywords
    ):
        cat.add(message, None, [(f"../briefing/{filename}", lineno)])
    for text in grouping_messages():
        if text not in cat:
            cat.add(text, None, [("../briefing/groupings.yaml", 0)])
    for label in english_labels():
        if label not in cat:
            cat.add(label, None, [("labels", 0)])
    return cat


_FIELD = re.compile(r"\{(\w*)\}|%\((\w+)\)[sd]")


def _fields(text: str) -> list[str]:
    return sorted(a or b for a, b in _FIELD.findall(text))


def placeholder_problems(pot: Catalog, cat: Catalog) -> list[str]:
    """Messages whose translation has other placeholders than the message itself."""
    out = []
    for m in pot:
        old = cat.get(m.id) if m.id else None
        if old is None or not _translated(old.string):
            continue
        if isinstance(m.id, tuple | list):  # plural forms: a form may leave out the count ("the largest one")
            allowed = set(_fields(m.id[0])) | set(_fields(m.id[1]))
            out += [
                f"{m.id[0]!r}: {s!r} has other placeholders" for s in old.string if set(_fields(s)) - allowed
            ]
        elif _fields(old.string) != _fields(m.id):
            out.append(f"{m.id!r}: {old.string!r} has other placeholders")
    return out


def mo_bytes(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, cat, use_fuzzy=False)
    return buf.getvalue()


def _translated(string: object) -> bool:
    """A translation is there: every plural form of a plural message, or the one string."""
    if isinstance(string, (tuple, list)):
        return all(string)
    return bool(string)


def main(check: bool) -> int:
    pot = template()
    problems = 0
    for lang in LANGS:
        if lang == "en":
            continue
        po_path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
        mo_path = po_path.with_suffix(".mo")
        old = read_po(po_path.open("rb"), locale=lang) if po_path.exists() else Catalog(locale=lang)
        if check:
            missing = [m.id for m in pot if m.id and (m.id not in old or not _translated(old[m.id].string))]
            stale = not mo_path.exists() or mo_path.read_bytes() != mo_bytes(old)
            for mid in missing:
                print(f"{lang}: untranslated: {mid!r}")
            if stale:
                print(f"{lang}: {mo_path} is out of date")
            wrong = placeholder_problems(pot, old)
            for w in wrong:
                print(f"{lang}: {w}")
            problems += len(missing) + int(stale) + len(wrong)
            continue
        new = Catalog(locale=lang, project="ctdhub dashboard", charset="utf-8")
        for m in pot:
            if not m.id:
                continue
            prev = old.get(m.id)
            empty: str | tuple[str, ...] = ("",) * new.num_plurals if m.pluralizable else ""
            new.add(m.id, prev.string if prev is not None else empty, m.locations)
        po_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("wb") as f:
            write_po(f, new, width=100, omit_header=False, sort_output=True)
        mo_path.write_bytes(mo_bytes(new))
        untranslated = sum(1 for m in new if m.id and not _translated(m.string))
        print(f"{lang}: {len(new)} messages, {untranslated} untranslated -> {mo_path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv))
