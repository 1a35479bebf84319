"""Which source columns look like direct identifiers of a person (names, phone numbers, e-mail and postal
addresses, passport and ID numbers), from their header: one rule for the mapping drafter, which drafts them
as `drop`, and for spec validation, which refuses to map one to a field without an explicit
`identifier_ok: true` (its values would otherwise reach quarantine rows, exports and finding messages)."""

from __future__ import annotations

import re
import unicodedata

# words of a header (normalised by ``norm_key``) naming a direct identifier; a word of 3 letters or fewer
# must be the whole header ("tel", "nom"), a longer one may be part of it ("firstname", "emailaddress")
DIRECT_IDENTIFIER_WORDS = (
    "name",
    "nombre",
    "nom",
    "prenom",
    "apellido",
    "surname",
    "firstname",
    "lastname",
    "phone",
    "telephone",
    "telefono",
    "tel",
    "mobile",
    "movil",
    "celular",
    "email",
    "mail",
    "correo",
    "courriel",
    "address",
    "adresse",
    "direccion",
    "domicilio",
    "rue",
    "passport",
    "pasaporte",
    "passeport",
    "idnumber",
    "dni",
    "cedula",
)


def norm_key(text: str) -> str:
    """Lower-case, accents removed, only letters and digits."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]", "", t)


def words_match(key: str, words: tuple[str, ...]) -> bool:
    """Whether the normalised header ``key`` is one of ``words`` or contains one longer than 3 letters."""
    return any(key == w or (len(w) > 3 and w in key) for w in words)


def looks_like_identifier(header: str) -> bool:
    """Whether a column header names a direct identifier of a person."""
    return words_match(norm_key(header), DIRECT_IDENTIFIER_WORDS)
