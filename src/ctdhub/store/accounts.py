"""Accounts of the hub: organisations, users with one role each, API tokens and browser sessions.

Roles: ``admin`` (the hub team), ``contributor`` (belongs to one organisation; sees only its batches),
``researcher`` (public + restricted products after accepting the data-use terms). The public needs no
account. Passwords are hashed with argon2 (pwdlib's recommended hasher); tokens and session keys are
random 256-bit secrets of which only a SHA-256 is stored, so the access database never holds anything
that signs in by itself. Every change is written with its audit entry in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache

import duckdb
from pwdlib import PasswordHash

from ctdhub.errors import CtdhubError, UsageError
from ctdhub.store.auditlog import append, failures_since
from ctdhub.store.batches import CONTRIBUTOR_RE

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 12
SESSION_IDLE = timedelta(hours=8)
TOKEN_PREFIX = "ctd_"
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5


class Role(StrEnum):
    ADMIN = "admin"
    CONTRIBUTOR = "contributor"
    RESEARCHER = "researcher"


@dataclass(frozen=True)
class User:
    """An account (never its password hash)."""

    name: str
    role: Role
    org: str | None
    disabled: bool
    created_at: datetime
    terms_accepted_at: datetime | None = None


@dataclass(frozen=True)
class Organisation:
    """A contributing organisation and the mapping spec its uploads are read with (a built-in name or a
    spec's YAML text; None until the hub team approves one)."""

    name: str
    mapping: str | None
    created_at: datetime


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its user and the CSRF token its forms carry."""

    user: User
    csrf: str


@cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


_USER_COLS = "name, role, org, disabled, created_at, terms_accepted_at"


def _user(row: tuple[object, ...]) -> User:
    return User(
        str(row[0]),
        Role(str(row[1])),
        None if row[2] is None else str(row[2]),
        bool(row[3]),
        row[4],  # type: ignore[arg-type]
        row[5],  # type: ignore[arg-type]
    )


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"The password is too short: use at least {MIN_PASSWORD} characters.")


def new_password() -> str:
    """A one-time password to hand over (about 96 bits)."""
    return secrets.token_urlsafe(12)


# --- organisations ---------------------------------------------------------------------------------


def add_org(
    con: duckdb.DuckDBPyConnection, name: str, *, actor: str, mapping: str | None = None
) -> Organisation:
    if not CONTRIBUTOR_RE.match(name):
        raise UsageError(
            f"{name!r} is not a usable organisation name: it names the organisation's batches, so use "
            "letters, digits, '-', '_' or '.' (no spaces), up to 64 characters."
        )
    if get_org(con, name) is not None:
        raise UsageError(f"The organisation {name!r} exists already.")
    now = _now()
    con.execute("INSERT INTO organisations VALUES (?, ?, ?)", [name, mapping, now])
    append(con, actor, "org.add", name)
    return Organisation(name, mapping, now)


def get_org(con: duckdb.DuckDBPyConnection, name: str) -> Organisation | None:
    row = con.execute("SELECT name, mapping, created_at FROM organisations WHERE name = ?", [name]).fetchone()
    return Organisation(str(row[0]), row[1], row[2]) if row else None


def list_orgs(con: duckdb.DuckDBPyConnection) -> list[Organisation]:
    rows = con.execute("SELECT name, mapping, created_at FROM organisations ORDER BY name").fetchall()
    return [Organisation(str(r[0]), r[1], r[2]) for r in rows]


def set_org_mapping(con: duckdb.DuckDBPyConnection, name: str, mapping: str, *, actor: str) -> None:
    if get_org(con, name) is None:
        raise UsageError(f"There is no organisation {name!r}.")
    con.execute("UPDATE organisations SET mapping = ? WHERE name = ?", [mapping, name])
    append(con, actor, "org.mapping", name, f"{len(mapping)} characters")


# --- users -----------------------------------------------------------------------------------------


def add_user(
    con: duckdb.DuckDBPyConnection,
    name: str,
    role: Role,
    password: str,
    *,
    actor: str,
    org: str | None = None,
) -> User:
    """Create an account. A contributor needs an organisation (created here if new); others have none."""
    if not NAME_RE.match(name):
        raise UsageError(
            f"{name!r} is not a usable user name: use 2 to 63 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    if get_user(con, name) is not None:
        raise UsageError(f"The user {name!r} exists already.")
    if role is Role.CONTRIBUTOR and not org:
        raise UsageError("A contributor belongs to an organisation: give --org.")
    if role is not Role.CONTRIBUTOR and org:
        raise UsageError(f"Only contributors belong to an organisation; a {role} has none.")
    check_password(password)
    if org and get_org(con, org) is None:
        add_org(con, org, actor=actor)
    now = _now()
    con.execute(
        "INSERT INTO users VALUES (?, ?, ?, ?, false, ?, ?, NULL)",
        [name, role.value, org, _hasher().hash(password), now, now],
    )
    append(con, actor, "user.add", name, f"role={role.value}" + (f" org={org}" if org else ""))
    return User(name, role, org, False, now)


def get_user(con: duckdb.DuckDBPyConnection, name: str) -> User | None:
    row = con.execute(f"SELECT {_USER_COLS} FROM users WHERE name = ?", [name]).fetchone()
    return _user(row) if row else None


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    return [_user(r) for r in con.execute(f"SELECT {_USER_COLS} FROM users ORDER BY name").fetchall()]


def _existing(con: duckdb.DuckDBPyConnection, name: str) -> User:
    user = get_user(con, name)
    if user is None:
        raise UsageError(f"There is no user {name!r}.", hint="See 'ctdhub user list'.")
    return user


def set_disabled(con: duckdb.DuckDBPyConnection, name: str, disabled: bool, *, actor: str) -> User:
    """Disable (or enable) an account; a disabled account's sessions and tokens stop working at once."""
    _existing(con, name)
    con.execute("UPDATE users SET disabled = ? WHERE name = ?", [disabled, name])
    if disabled:
        con.execute("DELETE FROM sessions WHERE user_name = ?", [name])
    append(con, actor, "user.disable" if disabled else "user.enable", name)
    return _existing(con, name)


def set_password(
    con: duckdb.DuckDBPyConnection, name: str, password: str, *, actor: str, action: str
) -> None:
    """A new password (reset by an admin, or changed by the user); every open session ends."""
    _existing(con, name)
    check_password(password)
    con.execute(
        "UPDATE users SET password_hash = ?, password_set_at = ? WHERE name = ?",
        [_hasher().hash(password), _now(), name],
    )
    con.execute("DELETE FROM sessions WHERE user_name = ?", [name])
    append(con, actor, action, name)


def accept_terms(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute("UPDATE users SET terms_accepted_at = ? WHERE name = ?", [_now(), name])
    append(con, name, "terms.accept", name)


# --- signing in ------------------------------------------------------------------------------------


class TooManyAttempts(CtdhubError):
    """Sign-in refused for a while after repeated failures."""


def authenticate(
    con: duckdb.DuckDBPyConnection, name: str, password: str, *, remote: str, signing_in: bool = True
) -> User | None:
    """The user whose password this is (an enabled account), else None. A failure is audited, and so is a
    success when `signing_in` (a password checked before changing it is not a sign-in).
    After LOGIN_MAX_FAILURES failures for the name or the address within LOGIN_WINDOW, refuse."""
    since = _now() - LOGIN_WINDOW
    if failures_since(con, name=name[:64], remote=remote, since=since) >= LOGIN_MAX_FAILURES:
        raise TooManyAttempts(
            f"Too many failed sign-ins; try again in {int(LOGIN_WINDOW.total_seconds() // 60)} minutes."
        )
    row = con.execute("SELECT password_hash FROM users WHERE name = ? AND NOT disabled", [name]).fetchone()
    # Verify against a hash even for an unknown name, so the answer takes as long either way.
    stored = str(row[0]) if row else _dummy_hash()
    ok = _hasher().verify(password, stored) and row is not None
    if not ok:
        append(con, name[:64] or "?", "login.failed", name[:64], "", remote)
        return None
    if signing_in:
        append(con, name, "login", name, "", remote)
    return get_user(con, name)


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_hex(16))


def start_session(con: duckdb.DuckDBPyConnection, user: User) -> str:
    """A new session key for a signed-in user (a fresh one at each sign-in: no fixation)."""
    key = secrets.token_urlsafe(32)
    now = _now()
    con.execute(
        "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
        [_sha256(key), user.name, secrets.token_urlsafe(32), now, now],
    )
    return key


def session(con: duckdb.DuckDBPyConnection, key: str) -> Session | None:
    """The live session of this key (idle less than SESSION_IDLE, enabled user), refreshed; else None."""
    now = _now()
    row = con.execute(
        f"SELECT s.csrf, s.last_seen_at, {', '.join('u.' + c.strip() for c in _USER_COLS.split(','))} "
        "FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.session_sha256 = ?",
        [_sha256(key)],
    ).fetchone()
    if row is None or bool(row[5]) or now - row[1] > SESSION_IDLE:
        return None
    con.execute("UPDATE sessions SET last_seen_at = ? WHERE session_sha256 = ?", [now, _sha256(key)])
    return Session(_user(row[2:]), str(row[0]))


def end_session(con: duckdb.DuckDBPyConnection, key: str) -> None:
    con.execute("DELETE FROM sessions WHERE session_sha256 = ?", [_sha256(key)])


# --- API tokens ------------------------------------------------------------------------------------


def create_token(con: duckdb.DuckDBPyConnection, name: str, *, actor: str) -> str:
    """A new API token for a user, shown once: ``ctd_<id>_<secret>``."""
    user = _existing(con, name)
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    con.execute(
        "INSERT INTO tokens VALUES (?, ?, ?, ?, NULL, NULL)", [token_id, user.name, _sha256(secret), _now()]
    )
    append(con, actor, "token.create", user.name, f"token {token_id}")
    return f"{TOKEN_PREFIX}{token_id}_{secret}"


def token_user(con: duckdb.DuckDBPyConnection, token: str) -> User | None:
    """The enabled user of a live token, else None."""
    m = re.fullmatch(TOKEN_PREFIX + r"([0-9a-f]{12})_([A-Za-z0-9_-]{20,})", token.strip())
    if not m:
        return None
    row = con.execute(
        "SELECT user_name, secret_sha256 FROM tokens WHERE token_id = ? AND revoked_at IS NULL", [m.group(1)]
    ).fetchone()
    if row is None or not hmac.compare_digest(str(row[1]), _sha256(m.group(2))):
        return None
    user = get_user(con, str(row[0]))
    if user is None or user.disabled:
        return None
    con.execute("UPDATE tokens SET last_used_at = ? WHERE token_id = ?", [_now(), m.group(1)])
    return user


def revoke_token(con: duckdb.DuckDBPyConnection, token_id: str, *, actor: str) -> None:
    row = con.execute(
        "SELECT user_name FROM tokens WHERE token_id = ? AND revoked_at IS NULL", [token_id]
    ).fetchone()
    if row is None:
        raise UsageError(f"There is no live token {token_id!r}.")
    con.execute("UPDATE tokens SET revoked_at = ? WHERE token_id = ?", [_now(), token_id])
    append(con, actor, "token.revoke", str(row[0]), f"token {token_id}")
