"""The linkage key's encoding: names, dates of birth and sex as a keyed, hardened Bloom filter (a CLK).

This is the cryptographic long-term key of Schnell, Bachteler and Reiher (2011) as clkhash implements it,
written here because clkhash does not install cleanly on our Python stack. A contributor runs it before a
file leaves their office; the hub only ever sees the filter and blocking signatures (`keyformat`).

Tokens and their number of hash functions k (a field's *weight*), each prefixed with its field label so
that "12" as a day and as a month differ:

- name (given + family, or the full name): NFKD, combining marks dropped, casefolded, any non-letter a
  space; per part the bigrams of `' ' + part + ' '` (k=6 each) and the part's Soundex code (k=10, so that
  Mohammed and Muhammad share M530);
- date of birth: the year (k=40), the month (k=12), the day (k=12) and the unordered {day, month} pair
  (k=30, so a swapped day and month still mostly agree); a birth year alone gives the year token only;
- sex: "f", "m" or "x" (k=8).

Hardening used:

- keyed hashing: every position comes from BLAKE2b keyed with a key derived from the shared secret, so
  without the secret nobody can precompute where a token's bits land (no dictionary attack);
- random hashing instead of double hashing: the k positions of a token are successive 10-bit chunks of
  keyed BLAKE2b digests (more digests, with a counter, beyond 51 positions), not `h1 + i*h2`, which leaks
  structure a pattern-mining attack exploits (Niedermeyer et al. 2014);
- per-field keys: name, date and sex tokens are hashed under different derived keys;
- field weights: k differs by field (above), so no field's bit pattern stands out by its count alone.

What it does not protect against: a frequency or pattern-mining attack over many records by someone who
holds the keys (frequent bit patterns of common names and birth years remain frequent) is mitigated by the
keying and hardening, not prevented; the keys are restricted data, and the secret must never reach the hub.
Blocking signatures (16-bit keyed hashes of Soundex codes with parts of the date) are shared by many
people on purpose, but they too follow name frequencies.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from ctdhub.linkage.keyformat import FILTER_BITS, FILTER_BYTES, LinkageKey

K_BIGRAM = 6
K_SOUNDEX = 10
K_YEAR = 40
K_MONTH = 12
K_DAY = 12
K_DAY_MONTH = 30
K_SEX = 8

MIN_SECRET_BYTES = 16
MIN_SECRET_HEX = 32
MAX_BLOCK_PARTS = 8  # distinct Soundex codes used for blocking pairs (a long name gives many pairs)
_CHUNK_BITS = 10  # 2**10 = FILTER_BITS positions
_CHUNKS_PER_DIGEST = 512 // _CHUNK_BITS  # 51 positions from one 64-byte digest
_CACHE = 1 << 16
_SPACES = re.compile(r"\s+")
_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}
assert 1 << _CHUNK_BITS == FILTER_BITS


@dataclass(frozen=True)
class Identity:
    """The identifiers of one person, as they go into a key (all optional)."""

    name: str | None = None  # full name, or None
    given: str | None = None  # given name(s) when the file has separate columns
    family: str | None = None  # family name(s)
    dob: datetime.date | None = None  # full date of birth
    birth_year: int | None = None  # when only the year is known (ignored if dob is set)
    sex: str | None = None  # normalised: "f", "m", "x" or None


def normalise_name(text: str) -> str:
    """Letters only, lower case, without accents, single spaces: 'Zoë  O’Brien' → 'zoe o brien'."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    letters = "".join(ch if ch.isalpha() else " " for ch in kept)
    return _SPACES.sub(" ", letters).strip()


def name_parts(identity: Identity, normalise: Callable[[str], str] = normalise_name) -> list[str]:
    """The normalised parts of the full name: given + family when either is there, else `name`.

    Each white-space separated word is normalised on its own (the same result as the whole text, and a
    cached `normalise` then sees the few words that repeat rather than the full names that do not)."""
    parts = [
        n for p in (identity.given, identity.family) if p for w in p.split() for n in normalise(w).split()
    ]
    if not parts and identity.name:
        parts = [n for w in identity.name.split() for n in normalise(w).split()]
    return parts


def soundex(part: str) -> str:
    """American Soundex of a normalised name part ('mohammed' → 'M530'); letters outside a-z count as
    vowels, so a part in another script keeps its first letter and zeros."""
    first = part[0]
    digits: list[str] = []
    last = _SOUNDEX_CODES.get(first, "")
    for ch in part[1:]:
        code = _SOUNDEX_CODES.get(ch, "")
        if code and code != last:
            digits.append(code)
            if len(digits) == 3:
                break
        if ch not in "hw":  # h and w do not separate two letters of the same code
            last = code
    return (first.upper() + "".join(digits)).ljust(4, "0")


def derive_key(secret: bytes, field: str) -> bytes:
    """The key of one field (or purpose), derived from the shared secret."""
    person = ("ctdhub-" + field).encode("ascii")
    if len(person) > hashlib.blake2b.PERSON_SIZE:
        raise ValueError("field label too long for a derived key")
    return hashlib.blake2b(secret, digest_size=32, person=person).digest()


def secret_check(secret: bytes) -> str:
    """8 hex digits that tell keys made with different secrets apart (a keyed hash of a constant)."""
    key = derive_key(secret, "check")
    return hashlib.blake2b(b"ctdhub-linkage-check", key=key, digest_size=32).hexdigest()[:8]


def token_positions(field_key: bytes, token: str, k: int) -> list[int]:
    """k filter positions of a token: successive 10-bit chunks of keyed BLAKE2b digests."""
    data = token.encode("utf-8")
    positions: list[int] = []
    counter = 0
    while len(positions) < k:
        block = data if counter == 0 else data + b"\x00" + str(counter).encode("ascii")
        value = int.from_bytes(hashlib.blake2b(block, key=field_key, digest_size=64).digest(), "big")
        take = min(k - len(positions), _CHUNKS_PER_DIGEST)
        positions.extend((value >> (_CHUNK_BITS * i)) & (FILTER_BITS - 1) for i in range(take))
        counter += 1
    return positions


class Encoder:
    """Makes linkage keys with one shared secret; caches token positions (names repeat a lot)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the linkage secret must be at least {MIN_SECRET_BYTES} bytes long")
        self._keys = {f: derive_key(secret, f) for f in ("name", "dob", "sex")}
        self._block_hash = hashlib.blake2b(key=derive_key(secret, "block"), digest_size=2)
        self.check: str = secret_check(secret)
        self._mask = functools.lru_cache(maxsize=_CACHE)(self._token_mask)
        self._part = functools.lru_cache(maxsize=_CACHE)(self._part_mask)
        self._block = functools.lru_cache(maxsize=_CACHE)(self._signature)
        self._normal = functools.lru_cache(maxsize=_CACHE)(normalise_name)
        self._soundex = functools.lru_cache(maxsize=_CACHE)(soundex)
        self._dates = functools.lru_cache(maxsize=_CACHE)(self._date_mask)

    def _token_mask(self, field: str, token: str, k: int) -> int:
        mask = 0
        for p in token_positions(self._keys[field], token, k):
            mask |= 1 << (FILTER_BITS - 1 - p)  # position 0 is the first bit of the first byte
        return mask

    def _part_mask(self, part: str) -> int:
        padded = f" {part} "
        mask = self._mask("name", "sx:" + self._soundex(part), K_SOUNDEX)
        for i in range(len(padded) - 1):
            mask |= self._mask("name", "bg:" + padded[i : i + 2], K_BIGRAM)
        return mask

    def _signature(self, text: str) -> int:
        h = self._block_hash.copy()  # keyed once: a copy skips the key block
        h.update(text.encode("utf-8"))
        return int.from_bytes(h.digest(), "big")

    def _date_mask(self, dob: datetime.date | None, year: int | None) -> int:
        if dob is not None:
            pair = f"{min(dob.day, dob.month)}-{max(dob.day, dob.month)}"
            return (
                self._mask("dob", f"y:{dob.year}", K_YEAR)
                | self._mask("dob", f"m:{dob.month}", K_MONTH)
                | self._mask("dob", f"d:{dob.day}", K_DAY)
                | self._mask("dob", f"dm:{pair}", K_DAY_MONTH)
            )
        return self._mask("dob", f"y:{year}", K_YEAR) if year is not None else 0

    def encode(self, identity: Identity) -> LinkageKey | None:
        """The key of one person; None when there is neither a name nor a date (or year) of birth."""
        parts = name_parts(identity, self._normal)
        dob = identity.dob
        year = dob.year if dob is not None else identity.birth_year
        if not parts and year is None:
            return None
        mask = self._dates(dob, year)
        for part in parts:
            mask |= self._part(part)
        sex = identity.sex.strip().casefold() if identity.sex else ""
        if sex:
            mask |= self._mask("sex", "s:" + sex, K_SEX)
        fields = (
            ("n" if parts else "") + ("d" if dob else "y" if year is not None else "") + ("s" if sex else "")
        )
        codes = [self._soundex(p) for p in parts]
        blocks = tuple(sorted({self._block(s) for s in block_signatures(codes, dob, year)}))
        return LinkageKey(self.check, fields, blocks, mask.to_bytes(FILTER_BYTES, "big"))


def block_signatures(soundexes: list[str], dob: datetime.date | None, year: int | None) -> list[str]:
    """The blocking signature texts (before keyed hashing) of the name parts' Soundex codes and a date."""
    codes = list(dict.fromkeys(soundexes))[:MAX_BLOCK_PARTS]
    sigs: list[str] = []
    if dob is not None:
        sigs.append(f"dob:{dob.isoformat()}")
        pair = f"{min(dob.day, dob.month)},{max(dob.day, dob.month)}"
        sigs += [f"pdm:{c}:{pair}" for c in codes]
    if year is not None:
        sigs += [f"py:{c}:{year}" for c in codes]
    pairs = [f"pp:{a}:{b}" for a, b in (sorted(ab) for ab in combinations(codes, 2))]
    sigs += pairs
    if dob is None and not pairs:
        sigs += [f"p:{c}" for c in codes]
    return sigs


def load_secret(path: Path) -> bytes:
    """The shared secret from its file: hex text of at least 32 hex digits (surrounding space ignored)."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such secret file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a linkage secret (expected hex text)") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the secret file ({exc.strerror or exc})") from None
    hexdigits = "".join(text.split())
    if len(hexdigits) < MIN_SECRET_HEX or len(hexdigits) % 2 or not re.fullmatch(r"[0-9a-fA-F]+", hexdigits):
        raise ValueError(
            f"{path}: not a linkage secret (expected an even number, at least {MIN_SECRET_HEX}, of hex digits)"
        )
    return bytes.fromhex(hexdigits)


def new_secret() -> str:
    """A new shared secret: 64 hex digits (256 bits)."""
    return secrets.token_hex(32)
