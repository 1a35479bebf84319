"""The hub team's pages (`/admin`): accounts, organisations and their mapping specs, batches waiting for
approval, releases and their privacy budget, the audit log.

A thin shell over the library, like the command line (``ctdhub user|org|batch|release|audit``): every
route needs the admin role, every form its CSRF token, and every change writes one audit entry — the
account functions write theirs in their own transaction; batch and release changes, made in the case
store, record theirs after the change (as the command line does). A refused change shows its sentence on
the page (400 for a wrong request, 409 for one the state does not allow) and writes nothing.

Building a release takes a minute or more: it runs in a background thread of this process, one at a
time per store, and ``/admin/releases/build`` shows its stage, then its result, refreshing itself every
few seconds (a ``<meta http-equiv="refresh">`` and the ``Refresh`` header; the CSP forbids scripts).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import duckdb
from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from ctdhub.errors import ConfigError, ConfigProblem, CtdhubError, UsageError
from ctdhub.mapping import builtin_specs, load_spec
from ctdhub.portal import router
from ctdhub.portal.auth import check_csrf, hub_of, remote, require
from ctdhub.portal.pages import lang_of, render
from ctdhub.publish.web.i18n import N_
from ctdhub.release import ledger
from ctdhub.release.create import STAGES, create_release
from ctdhub.release.dp.accounting import cdp_eps, rho_from_eps_delta
from ctdhub.release.manifest import ManifestError
from ctdhub.release.policy import default_policy
from ctdhub.release.registry import read_manifest, release_dirs, withdraw_release
from ctdhub.store import Hub
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import AuditEntry, entries, record
from ctdhub.store.batches import PENDING, approve_batch, list_batches, revert_batch

log = logging.getLogger(__name__)
T = TypeVar("T")

Admin = Annotated[acc.Session, Depends(require(acc.Role.ADMIN))]
Csrf = Annotated[str, Form(max_length=200)]

AUDIT_LIMIT = 200
SPEC_MAX_BYTES = 1_000_000  # a mapping spec is a few kB; anything this large is not one
STORE_WAIT = 5.0  # seconds a page waits for the store while another process writes to it
REFRESH_SECONDS = 3
BUSY = N_("The hub store is in use (a release being built or a file being ingested); try again when it ends.")

PAGES: tuple[tuple[str, str], ...] = (
    ("/admin", N_("Overview")),
    ("/admin/users", N_("Accounts")),
    ("/admin/orgs", N_("Organisations")),
    ("/admin/batches", N_("Batches")),
    ("/admin/releases", N_("Releases")),
    ("/admin/budget", N_("Privacy budget")),
    ("/admin/audit", N_("Audit log")),
)

DONE: dict[str, str] = {
    "disabled": N_("The account is disabled: its sessions and tokens stopped working."),
    "enabled": N_("The account is enabled again."),
    "org": N_("The organisation is added."),
    "mapping": N_("The organisation's mapping spec is set: its next uploads are read with it."),
    "approved": N_("The batch is approved: its cases go into the next release."),
    "reverted": N_("The batch is reverted: its cases are removed from the store."),
    "withdrawn": N_("The release is withdrawn: the dashboard and the API no longer serve it."),
}

STAGE_LABELS: dict[str, str] = {
    "": N_("starting"),
    "snapshot": N_("copying the approved cases into a snapshot"),
    "measure": N_("measuring the snapshot with differential privacy"),
    "tables": N_("computing the tables from the protected model"),
    "files": N_("writing the files and the report"),
}


# --- helpers ---------------------------------------------------------------------------------------


def _path(request: Request, path: str) -> str:
    """`path` in the request's language (as the templates' ``q()``)."""
    code = lang_of(request).code
    return path if code == "en" else path + ("&" if "?" in path else "?") + f"lang={code}"


def _done(request: Request, path: str, code: str) -> RedirectResponse:
    return RedirectResponse(_path(request, f"{path}?done={code}"), status_code=303)


def _status(exc: CtdhubError) -> int:
    """400 for a wrong request (a name, a spec), 409 for a change the current state does not allow."""
    return 400 if isinstance(exc, UsageError | ConfigError) else 409


def _when(value: datetime | str | None) -> str:
    """A time as shown on the pages: UTC, to the minute."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(text := value)
        except ValueError:
            return text
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M")


def _eps(value: float) -> str:
    return f"{value:.3g}"


def _page(
    request: Request, session: acc.Session, template: str, title: str, *, status: int = 200, **data: Any
) -> Response:
    """An admin page: the portal's layout with the administration's own navigation."""
    lang = lang_of(request)
    here = request.url.path
    nav = [
        (_path(request, p), lang.gettext(t), here == p or (p != "/admin" and here.startswith(p + "/")))
        for p, t in PAGES
    ]
    code = request.query_params.get("done", "")
    data.setdefault("done", lang.gettext(DONE[code]) if code in DONE else None)
    error = data.pop("error", "")
    return render(
        request,
        template,
        title,
        session=session,
        status=status,
        admin_nav=nav,
        error=lang.gettext(error) if error else "",
        **data,
    )


def _read_store(hub: Hub, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Read the case store; a store held by a writer (in this process or another) is a sentence."""
    try:
        con = hub.connect(wait=STORE_WAIT)
    except duckdb.Error:  # this process builds a release: DuckDB refuses a second, read-only, instance
        raise CtdhubError(BUSY) from None
    try:
        return fn(con)
    finally:
        con.close()


def _write_store(hub: Hub, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """One change of the case store through its single writer."""
    try:
        with hub.writer() as con:
            return fn(con)
    except duckdb.Error as exc:
        if "connection" in str(exc).lower() or "lock" in str(exc).lower():
            raise CtdhubError(BUSY) from None
        raise


# --- overview --------------------------------------------------------------------------------------


@router.get("/admin")
def admin_home(request: Request, session: Admin) -> Response:
    """Counts of accounts and organisations, batches waiting, the latest release and the budget."""
    hub = hub_of(request)
    with access_db(hub) as con:
        users = acc.list_users(con)
        orgs = acc.list_orgs(con)
    by_role = {role: sum(1 for u in users if u.role is role) for role in acc.Role}
    releases = _releases(hub)
    store_error = ""
    pending: int | None = None
    budget: Budget | None = None
    try:
        pending, spent = _read_store(
            hub,
            lambda con: (sum(1 for b in list_batches(con) if b["status"] == PENDING), ledger.entries(con)),
        )
        budget = _budget(spent, releases)
    except CtdhubError as exc:
        store_error = str(exc)
    return _page(
        request,
        session,
        "admin_home.html",
        N_("Administration"),
        by_role=by_role,
        users=len(users),
        disabled=sum(1 for u in users if u.disabled),
        orgs=len(orgs),
        orgs_without_mapping=sum(1 for o in orgs if o.mapping is None),
        pending=pending,
        latest=next((r for r in reversed(releases) if not r["problem"]), None),
        budget=budget,
        store_error=store_error,
        build=_current_build(hub),
    )


# --- accounts --------------------------------------------------------------------------------------


def _users_page(request: Request, session: acc.Session, *, status: int = 200, **data: Any) -> Response:
    with access_db(hub_of(request)) as con:
        users = acc.list_users(con)
        orgs = acc.list_orgs(con)
    rows = [
        {
            "name": u.name,
            "role": u.role,
            "org": u.org or "",
            "disabled": u.disabled,
            "created": _when(u.created_at),
            "terms": _when(u.terms_accepted_at),
            "self": u.name == session.user.name,
        }
        for u in users
    ]
    data.setdefault("form", {"name": "", "role": "", "org": ""})
    return _page(
        request,
        session,
        "admin_users.html",
        N_("Accounts"),
        status=status,
        users=rows,
        org_names=[o.name for o in orgs],
        role_values=list(acc.Role),
        **data,
    )


@router.get("/admin/users")
def users_page(request: Request, session: Admin) -> Response:
    """The accounts, and forms to add one, disable or enable one, and reset a password."""
    return _users_page(request, session)


@router.post("/admin/users/add")
def user_add(
    request: Request,
    session: Admin,
    csrf: Csrf = "",
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    org: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create an account with a one-time password, shown once on the page this answers with."""
    check_csrf(session, csrf)
    name, org = name.strip().lower(), org.strip()
    form = {"name": name, "role": role, "org": org}
    try:
        if role not in {r.value for r in acc.Role}:
            raise UsageError(N_("Choose the account's role."))
        if role == acc.Role.CONTRIBUTOR and not org:
            raise UsageError(N_("A contributor belongs to an organisation: choose it."))
        password = acc.new_password()
        with access_db(hub_of(request)) as con:
            if org and acc.get_org(con, org) is None:  # added on its own page (with its mapping spec)
                raise UsageError(f"There is no organisation {org!r}: add it on the Organisations page first.")
            user = acc.add_user(con, name, acc.Role(role), password, actor=session.user.name, org=org or None)
    except CtdhubError as exc:
        return _users_page(request, session, status=_status(exc), error=str(exc), form=form)
    return _page(
        request,
        session,
        "admin_password.html",
        N_("Account created"),
        subject=user.name,
        created=True,
        password=password,
    )


def _other_user(session: acc.Session, name: str, refusal: str) -> str:
    """The account a form names, refusing one's own (the hub team could lock itself out)."""
    name = name.strip().lower()
    if name == session.user.name:
        raise UsageError(refusal)
    return name


def _set_disabled(request: Request, session: acc.Session, csrf: str, name: str, disabled: bool) -> Response:
    check_csrf(session, csrf)
    try:
        name = _other_user(
            session, name, N_("You cannot disable your own account; another administrator can.")
        )
        with access_db(hub_of(request)) as con:
            acc.set_disabled(con, name, disabled, actor=session.user.name)
    except CtdhubError as exc:
        return _users_page(request, session, status=_status(exc), error=str(exc))
    return _done(request, "/admin/users", "disabled" if disabled else "enabled")


@router.post("/admin/users/disable")
def user_disable(
    request: Request, session: Admin, csrf: Csrf = "", name: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Disable an account: its sessions and tokens stop working at once."""
    return _set_disabled(request, session, csrf, name, True)


@router.post("/admin/users/enable")
def user_enable(
    request: Request, session: Admin, csrf: Csrf = "", name: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Enable a disabled account again."""
    return _set_disabled(request, session, csrf, name, False)


@router.post("/admin/users/reset")
def user_reset(
    request: Request, session: Admin, csrf: Csrf = "", name: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """A new one-time password for an account (shown once); its sessions end."""
    check_csrf(session, csrf)
    password = acc.new_password()
    try:
        name = _other_user(
            session, name, N_("Change your own password on your account page, with your current one.")
        )
        with access_db(hub_of(request)) as con:
            acc.set_password(con, name, password, actor=session.user.name, action="user.reset")
    except CtdhubError as exc:
        return _users_page(request, session, status=_status(exc), error=str(exc))
    return _page(
        request,
        session,
        "admin_password.html",
        N_("Password reset"),
        subject=name,
        created=False,
        password=password,
    )


# --- organisations ---------------------------------------------------------------------------------


def _orgs_page(request: Request, session: acc.Session, *, status: int = 200, **data: Any) -> Response:
    with access_db(hub_of(request)) as con:
        orgs = acc.list_orgs(con)
        users = acc.list_users(con)
    builtin = builtin_specs()
    rows = [
        {
            "name": o.name,
            "builtin": o.mapping if o.mapping in builtin else "",
            "yaml": o.mapping if o.mapping is not None and o.mapping not in builtin else "",
            "created": _when(o.created_at),
            "members": sum(1 for u in users if u.org == o.name),
        }
        for o in orgs
    ]
    data.setdefault("problems", [])
    data.setdefault("form", {"name": "", "builtin": ""})
    return _page(
        request,
        session,
        "admin_orgs.html",
        N_("Organisations"),
        status=status,
        orgs=rows,
        builtin=builtin,
        **data,
    )


@router.get("/admin/orgs")
def orgs_page(request: Request, session: Admin) -> Response:
    """Organisations and the mapping spec each one's uploads are read with."""
    return _orgs_page(request, session)


def _builtin(name: str) -> str | None:
    if not name:
        return None
    if name not in builtin_specs():
        raise UsageError(f"There is no built-in mapping spec {name!r}.")
    return name


@router.post("/admin/orgs/add")
def org_add(
    request: Request,
    session: Admin,
    csrf: Csrf = "",
    name: Annotated[str, Form(max_length=100)] = "",
    builtin: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Add an organisation (with a built-in mapping spec, or none until one is set)."""
    check_csrf(session, csrf)
    name = name.strip()
    try:
        mapping = _builtin(builtin)
        with access_db(hub_of(request)) as con:
            acc.add_org(con, name, actor=session.user.name, mapping=mapping)
    except CtdhubError as exc:
        return _orgs_page(
            request, session, status=_status(exc), error=str(exc), form={"name": name, "builtin": builtin}
        )
    return _done(request, "/admin/orgs", "org")


def _uploaded_spec(upload: UploadFile) -> str:
    """The text of an uploaded mapping spec, checked as ``ctdhub org mapping FILE`` checks a file
    (``load_spec``); a broken one raises ConfigError, its problems named by the uploaded file's name."""
    raw = upload.file.read(SPEC_MAX_BYTES + 1)
    if len(raw) > SPEC_MAX_BYTES:
        raise UsageError(f"The file is too large for a mapping spec (more than {SPEC_MAX_BYTES:,} bytes).")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("The file is not UTF-8 text: save the mapping spec as UTF-8 YAML.") from None
    label = Path(upload.filename or "spec.yaml").name
    with tempfile.TemporaryDirectory(prefix="ctdhub-spec-") as tmp:
        path = Path(tmp) / "spec.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_spec(path)
        except ConfigError as exc:
            raise ConfigError(
                [ConfigProblem(label, p.line, p.field, p.message) for p in exc.problems]
            ) from None
    return text


def _mapping_choice(builtin: str, upload: UploadFile | None) -> str:
    has_file = upload is not None and bool(upload.filename)
    if has_file and builtin:
        raise UsageError(N_("Choose a built-in spec or upload a file, not both."))
    if upload is not None and has_file:
        return _uploaded_spec(upload)
    mapping = _builtin(builtin)
    if mapping is None:
        raise UsageError(N_("Choose a built-in spec or upload a spec file."))
    return mapping


@router.post("/admin/orgs/mapping")
def org_mapping(
    request: Request,
    session: Admin,
    csrf: Csrf = "",
    name: Annotated[str, Form(max_length=100)] = "",
    builtin: Annotated[str, Form(max_length=100)] = "",
    spec: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Set the mapping spec of an organisation: a built-in one, or an uploaded YAML file (checked)."""
    check_csrf(session, csrf)
    try:
        mapping = _mapping_choice(builtin, spec)
        with access_db(hub_of(request)) as con:
            acc.set_org_mapping(con, name, mapping, actor=session.user.name)
    except ConfigError as exc:
        return _orgs_page(request, session, status=400, problems=exc.problems)
    except CtdhubError as exc:
        return _orgs_page(request, session, status=_status(exc), error=str(exc))
    return _done(request, "/admin/orgs", "mapping")


# --- batches ---------------------------------------------------------------------------------------


def _batches_page(request: Request, session: acc.Session, *, status: int = 200, **data: Any) -> Response:
    try:
        rows = _read_store(hub_of(request), list_batches)
    except CtdhubError as exc:
        rows = []
        data.setdefault("error", str(exc))
        status = 409 if status == 200 else status
    rows.sort(key=lambda b: str(b["created_at"]), reverse=True)
    rows.sort(key=lambda b: b["status"] != PENDING)  # stable: pending first, each part newest first
    batches = [
        {
            "id": b["batch_id"],
            "status": b["status"],
            "contributor": b["contributor"],
            "file": b["file_name"],
            "read": b["rows_read"],
            "stored": b["rows_stored"],
            "quarantined": b["rows_quarantined"],
            "created": _when(b["created_at"]),
        }
        for b in rows
    ]
    return _page(
        request,
        session,
        "admin_batches.html",
        N_("Batches"),
        status=status,
        batches=batches,
        pending=sum(1 for b in batches if b["status"] == PENDING),
        **data,
    )


@router.get("/admin/batches")
def batches_page(request: Request, session: Admin) -> Response:
    """Every batch, those waiting for approval first, with approve and revert buttons."""
    return _batches_page(request, session)


@router.post("/admin/batches/approve")
def batch_approve(
    request: Request,
    session: Admin,
    csrf: Csrf = "",
    batch_id: Annotated[str, Form(alias="batch", max_length=200)] = "",
) -> Response:
    """Let a contributor's pending upload into the next release (as ``ctdhub batch approve``)."""
    check_csrf(session, csrf)
    hub = hub_of(request)
    try:
        b = _write_store(hub, lambda con: approve_batch(con, batch_id))
    except CtdhubError as exc:
        return _batches_page(request, session, status=_status(exc), error=str(exc))
    record(hub, session.user.name, "batch.approve", batch_id, f"{b['rows_stored']} cases", remote(request))
    return _done(request, "/admin/batches", "approved")


@router.post("/admin/batches/revert")
def batch_revert(
    request: Request,
    session: Admin,
    csrf: Csrf = "",
    batch_id: Annotated[str, Form(alias="batch", max_length=200)] = "",
) -> Response:
    """Remove a batch's cases from the store; it stays listed, reverted (as ``ctdhub batch revert``)."""
    check_csrf(session, csrf)
    hub = hub_of(request)
    try:
        r = _write_store(hub, lambda con: revert_batch(con, batch_id))
    except CtdhubError as exc:
        return _batches_page(request, session, status=_status(exc), error=str(exc))
    record(
        hub,
        session.user.name,
        "batch.revert",
        batch_id,
        f"{r['cases_removed']} cases removed",
        remote(request),
    )
    return _done(request, "/admin/batches", "reverted")


# --- releases and their build ----------------------------------------------------------------------


def _releases(hub: Hub) -> list[dict[str, Any]]:
    """The release directories, oldest first (one that cannot be read is listed with its problem)."""
    out: list[dict[str, Any]] = []
    for path in release_dirs(hub.releases_dir):
        try:
            m = read_manifest(path)
        except ManifestError as exc:
            out.append({"id": path.name, "problem": str(exc), "withdrawn": None})
            continue
        w = m.withdrawn
        out.append(
            {
                "id": m.release_id,
                "problem": "",
                "created": _when(m.created_at),
                "epsilon": _eps(m.privacy.epsilon),
                "withdrawn": {"at": _when(w.at), "reason": w.reason} if w else None,
            }
        )
    return out


@dataclass
class Build:
    """A release being built in the background (or the last one built) for one store."""

    actor: str
    started: datetime
    stage: str = ""
    release_id: str = ""
    epsilon: float = 0.0
    error: str = ""
    finished: datetime | None = None

    @property
    def running(self) -> bool:
        return self.finished is None


_builds: dict[Path, Build] = {}
_builds_lock = threading.Lock()


def _current_build(hub: Hub) -> Build | None:
    with _builds_lock:
        return _builds.get(hub.path)


def _start_build(hub: Hub, actor: str, address: str) -> Build:
    """Start building the next release in a thread; refuse while one is being built."""
    with _builds_lock:
        current = _builds.get(hub.path)
        if current is not None and current.running:
            raise CtdhubError(
                f"A release is being built already (started by {current.actor} at "
                f"{_when(current.started)} UTC); wait for it to end."
            )
        build = Build(actor, datetime.now(UTC))
        _builds[hub.path] = build
    thread = threading.Thread(
        target=_run_build, args=(hub, build, address), name="ctdhub-release-build", daemon=True
    )
    thread.start()
    return build


def _run_build(hub: Hub, build: Build, address: str) -> None:
    """`ctdhub release create` without --policy (the default policy), then its audit entry."""

    def step(stage: str) -> None:
        build.stage = stage

    try:
        out = create_release(hub, None, progress=step)
        build.release_id = out.release_id
        build.epsilon = out.release_manifest.privacy.epsilon
        record(hub, build.actor, "release.create", out.release_id, f"epsilon={build.epsilon:g}", address)
    except CtdhubError as exc:
        build.error = str(exc) if not build.release_id else f"{build.release_id} was built, but: {exc}"
    except Exception as exc:  # a thread's failure must reach the page (and the log), not vanish
        log.exception("building a release failed")
        build.error = f"The release could not be built ({type(exc).__name__}: {exc})."
    finally:
        build.finished = datetime.now(UTC)


def _releases_page(request: Request, session: acc.Session, *, status: int = 200, **data: Any) -> Response:
    hub = hub_of(request)
    policy = default_policy()
    return _page(
        request,
        session,
        "admin_releases.html",
        N_("Releases"),
        status=status,
        releases=list(reversed(_releases(hub))),
        build=_current_build(hub),
        policy_epsilon=_eps(policy.epsilon),
        **data,
    )


@router.get("/admin/releases")
def releases_page(request: Request, session: Admin) -> Response:
    """The releases, a button to build the next one, and withdrawal with a reason."""
    return _releases_page(request, session)


@router.post("/admin/releases/build")
def release_build(request: Request, session: Admin, csrf: Csrf = "") -> Response:
    """Start building the next release (the default policy) and go to its status page."""
    check_csrf(session, csrf)
    try:
        _start_build(hub_of(request), session.user.name, remote(request))
    except CtdhubError as exc:
        return _releases_page(request, session, status=409, error=str(exc))
    return RedirectResponse(_path(request, "/admin/releases/build"), status_code=303)


@router.get("/admin/releases/build")
def release_build_status(request: Request, session: Admin) -> Response:
    """The build's stage while it runs (the page reloads itself), then its release or its error."""
    build = _current_build(hub_of(request))
    lang = lang_of(request)
    stage = lang.gettext(STAGE_LABELS.get(build.stage, build.stage)) if build else ""
    response = _page(
        request,
        session,
        "admin_build.html",
        N_("Building a release"),
        build=build,
        started=_when(build.started) if build else "",
        stage=stage,
        step=(STAGES.index(build.stage) + 1) if build and build.stage in STAGES else 0,
        steps=len(STAGES),
        epsilon=_eps(build.epsilon) if build else "",
        refresh=REFRESH_SECONDS if build and build.running else 0,
    )
    if build and build.running:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@router.post("/admin/releases/withdraw")
def release_withdraw(
    request: Request,
    session: Admin,
    csrf: Csrf = "",
    release_id: Annotated[str, Form(alias="release", max_length=20)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Stop serving a release, with the reason kept beside it (as ``ctdhub release withdraw``)."""
    check_csrf(session, csrf)
    hub = hub_of(request)
    reason = reason.strip()
    try:
        if not reason:
            raise UsageError(N_("Say why the release is withdrawn."))
        withdraw_release(hub.releases_dir, release_id, reason)
    except CtdhubError as exc:
        return _releases_page(request, session, status=_status(exc), error=str(exc))
    record(hub, session.user.name, "release.withdraw", release_id, reason[:200], remote(request))
    return _done(request, "/admin/releases", "withdrawn")


# --- the lifetime privacy budget -------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """The lifetime budget as the ledger has it, under the default policy's lifetime ε and δ."""

    rows: list[dict[str, Any]]
    epsilon_spent: str
    epsilon_left: str
    lifetime_epsilon: str
    delta: str
    policy_epsilon: str
    remaining_releases: int


def _budget(spent: Sequence[dict[str, object]], releases: list[dict[str, Any]]) -> Budget:
    """Compose the ledger's ρ (zCDP adds up) and state it as ε at the policy's δ, as the ledger does."""
    policy = default_policy()
    delta = policy.delta
    rho_spent = sum(float(str(e["rho"])) for e in spent)
    rho_life = rho_from_eps_delta(policy.lifetime_epsilon, delta)
    left = max(rho_life - rho_spent, 0.0)
    state = ledger.Budget(
        len(spent),
        rho_spent,
        rho_life,
        cdp_eps(rho_spent, delta) if rho_spent > 0 else 0.0,
        policy.lifetime_epsilon,
        delta,
        rho_from_eps_delta(policy.epsilon, delta),
    )
    withdrawn = {r["id"] for r in releases if r["withdrawn"]}
    rows = [
        {
            "id": str(e["release_id"]),
            "created": _when(str(e["created_at"])),
            "epsilon": _eps(float(str(e["epsilon"]))),
            "delta": f"{float(str(e['delta'])):g}",
            "rho": f"{float(str(e['rho'])):.4g}",
            "withdrawn": str(e["release_id"]) in withdrawn,
        }
        for e in spent
    ]
    return Budget(
        rows=rows,
        epsilon_spent=_eps(state.epsilon_spent),
        epsilon_left=_eps(cdp_eps(left, delta) if left > 0 else 0.0),
        lifetime_epsilon=f"{policy.lifetime_epsilon:g}",
        delta=f"{delta:g}",
        policy_epsilon=f"{policy.epsilon:g}",
        remaining_releases=state.remaining_releases,
    )


@router.get("/admin/budget")
def budget_page(request: Request, session: Admin) -> Response:
    """The lifetime privacy budget: ε of every release, what is spent and what remains."""
    hub = hub_of(request)
    try:
        spent = _read_store(hub, ledger.entries)
    except CtdhubError as exc:
        return _page(
            request,
            session,
            "admin_budget.html",
            N_("Privacy budget"),
            status=409,
            error=str(exc),
            budget=None,
        )
    budget = _budget(spent, _releases(hub))
    return _page(request, session, "admin_budget.html", N_("Privacy budget"), budget=budget)


# --- the audit log ---------------------------------------------------------------------------------


def _since(value: str) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{value[:40]!r} is not a date such as 2026-12-01: give the first day to show."
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _entry(e: AuditEntry) -> dict[str, str]:
    return {
        "at": _when(e.at),
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "detail": e.detail,
        "remote": e.remote,
    }


@router.get("/admin/audit")
def audit_page(request: Request, session: Admin) -> Response:
    """The audit log, newest first (at most AUDIT_LIMIT entries), for a day on and one actor."""
    since_text = request.query_params.get("since", "").strip()[:40]
    user = request.query_params.get("user", "").strip()[:100]
    try:
        since = _since(since_text)
    except UsageError as exc:
        return _page(
            request,
            session,
            "admin_audit.html",
            N_("Audit log"),
            status=400,
            error=str(exc),
            rows=[],
            since=since_text,
            user=user,
            limit=AUDIT_LIMIT,
        )
    rows = entries(hub_of(request), since=since, user=user or None, limit=AUDIT_LIMIT)
    return _page(
        request,
        session,
        "admin_audit.html",
        N_("Audit log"),
        rows=[_entry(e) for e in rows],
        since=since_text,
        user=user,
        limit=AUDIT_LIMIT,
    )
