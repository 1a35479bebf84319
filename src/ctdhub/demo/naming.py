"""Put invented names together per naming culture: head names by weight, syllable tails, compound given
names, two family names, patronymics (Petrivna), nasab (bin/bint), the father's name as family name."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from ctdhub.demo import names as nm


@cache
def _head(pool: nm.Pool) -> tuple[np.ndarray, np.ndarray]:
    """A pool's head names and the cumulative probabilities to draw them."""
    if pool.weights is not None:
        w = np.asarray(pool.weights, dtype=float)
        if w.shape[0] != len(pool.head):
            raise ValueError(f"{len(pool.head)} names but {w.shape[0]} weights ({pool.head[0]} ...)")
    else:
        w = 1.0 / np.arange(1, len(pool.head) + 1) ** pool.zipf
    return np.array(pool.head, dtype=object), np.cumsum(w / w.sum())


def _syllables(tables: tuple[nm.Syllables, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    """n names built from syllable tables (one table per name, chosen uniformly)."""
    which = rng.integers(0, len(tables), n)
    out = np.empty(n, dtype=object)
    for t, table in enumerate(tables):
        mask = which == t
        k = int(mask.sum())
        acc = np.full(k, "", dtype=object)
        for position in table:
            acc = acc + np.array(position, dtype=object)[rng.integers(0, len(position), k)]
        out[mask] = acc
    return np.array([s[:1].upper() + s[1:] for s in out.tolist()], dtype=object)


def draw(pool: nm.Pool, n: int, rng: np.random.Generator) -> np.ndarray:
    """n names from a pool: head names by their weights, a share `tail_share` built from syllables."""
    names, cdf = _head(pool)
    idx = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(names) - 1)
    out: np.ndarray = names[idx]
    if pool.tail:
        tail = rng.random(n) < pool.tail_share
        out[tail] = _syllables(pool.tail, int(tail.sum()), rng)
    return out


def _by_sex(female: nm.Pool, male: nm.Pool, is_f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(is_f.shape[0], dtype=object)
    out[is_f] = draw(female, int(is_f.sum()), rng)
    out[~is_f] = draw(male, int((~is_f).sum()), rng)
    return out


def map_unique(values: np.ndarray, fn: Callable[[str], str]) -> np.ndarray:
    """`fn` applied once per distinct value."""
    if values.shape[0] == 0:
        return values.copy()
    uniq, inv = np.unique(values.astype(str), return_inverse=True)
    return np.array([fn(u) for u in uniq.tolist()], dtype=object)[inv]


def feminine(family: str, rule: str) -> str:
    """A woman's form of a Slavic family name (Ivanov -> Ivanova, Kovalskyi -> Kovalska)."""
    if rule == "ru" and family.endswith(("sky", "skii")):
        return family.rsplit("sk", 1)[0] + "skaya"
    if rule == "uk" and family.endswith("skyi"):
        return family[:-4] + "ska"
    if rule in ("ru", "uk", "bg") and family.endswith(("ov", "ev", "in")):
        return family + "a"
    return family


def patronymic(father: str, rule: str, female: bool) -> str:
    """The patronymic made from the father's given name (Petro -> Petrovych / Petrivna)."""
    if rule == "bg":
        stem = father[:-1] if father.endswith(("a", "y")) else father
        return stem + ("ev" if father.endswith(("i", "y")) else "ov") + ("a" if female else "")
    if rule == "uk":
        if father.endswith("ii"):
            return father + ("vna" if female else "ovych")
        if father.endswith(("o", "a")):
            return father[:-1] + ("ivna" if female else "ovych")
        return father + ("ivna" if female else "ovych")
    if father.endswith("ii"):
        return father[:-2] + ("ievna" if female else "ievich")
    if father.endswith(("ei", "ai")):
        return father[:-1] + ("evna" if female else "evich")
    if father.endswith("a"):
        return father[:-1] + ("ichna" if female else "ich")
    return father + ("ovna" if female else "ovich")


def _join(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> np.ndarray:
    """a + " " + b where `where`, else a (empty parts skipped)."""
    both = (a != "") & (b != "")
    joined = np.where(both, a + " " + b, np.where(a == "", b, a))
    return np.where(where, joined, a)


def _given(c: nm.Culture, is_f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = int(is_f.shape[0])
    given = _by_sex(c.female, c.male, is_f, rng)
    if c.compound:
        second = _by_sex(c.second_f or c.female, c.second_m or c.male, is_f, rng)
        second = np.where(is_f & (rng.random(n) < c.repeat), given, second)
        given = _join(given, second, (rng.random(n) < c.compound) & (second != given))
    if c.style == "vietnamese" and c.middle_f and c.middle_m:
        middle = _by_sex(c.middle_f, c.middle_m, is_f, rng)
        given = middle + " " + given
    return given


def family_names(c: nm.Culture, is_f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Family names for people of one culture ("" where the culture has none)."""
    n = int(is_f.shape[0])
    if c.family is None:
        return np.full(n, "", dtype=object)
    family = draw(c.family, n, rng)
    if c.family_f is not None:
        family[is_f] = draw(c.family_f, int(is_f.sum()), rng)
    if c.double_family:
        family = _join(family, draw(c.family, n, rng), rng.random(n) < c.double_family)
    if c.gender_rule:
        family = np.where(is_f, map_unique(family, lambda s: feminine(s, c.gender_rule)), family)
    return family


def _fathers(
    c: nm.Culture, given: np.ndarray, family: np.ndarray, is_f: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Name the father: a patronymic after the given names, a nasab or the father's name as family name."""
    n = int(is_f.shape[0])
    has = rng.random(n) < c.father
    father = draw(c.male, n, rng)
    if c.style == "chain":
        grand = draw(c.male, n, rng)
        return given, _join(np.where(has, father, family), grand, rng.random(n) < c.grandfather)
    if c.gender_rule:
        female = map_unique(father, lambda s: patronymic(s, c.gender_rule, True))
        male = map_unique(father, lambda s: patronymic(s, c.gender_rule, False))
        return _join(given, np.where(is_f, female, male), has), family
    if c.nasab:
        nasab = has & (rng.random(n) < c.nasab_share)
        word = np.where(is_f, c.nasab[1], c.nasab[0]).astype(object)
        family = np.where(nasab, _join(word + " " + father, family, nasab), family)
        return _join(given, father, has & ~nasab), family
    return _join(given, father, has), family


def compose(c: nm.Culture, is_f: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Given and family names for people of one culture (object arrays of str)."""
    given = _given(c, is_f, rng)
    family = family_names(c, is_f, rng)
    if c.father:
        given, family = _fathers(c, given, family, is_f, rng)
    return given.astype(object), family.astype(object)
