"""The hub team's pages (`/admin`): what they share is in ``admin_common``; this module holds the overview,
the releases with their background build and withdrawal, and the lifetime privacy budget. Accounts and
organisations are in ``routes_admin_accounts``, batches in ``routes_admin_batches``, the audit log in
``routes_admin_audit``.

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

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from ctdhub.errors import CtdhubError, UsageError
from ctdhub.portal import router
from ctdhub.portal.admin_common import Admin, admin_page, done, status_of_refusal
from ctdhub.portal.auth import check_csrf, hub_of, remote
from ctdhub.portal.jobs import run_in_background
from ctdhub.portal.pages import lang_of
from ctdhub.portal.routes_common import Csrf, lang_path, when
from ctdhub.portal.uploads import read_store
from ctdhub.publish.web.i18n import N_
from ctdhub.release import ledger
from ctdhub.release.create import STAGES, create_release, hub_policy_path
from ctdhub.release.manifest import ManifestError
from ctdhub.release.policy import Policy, load_policy
from ctdhub.release.registry import read_manifest, release_dirs, withdraw_release
from ctdhub.store import Hub
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import record
from ctdhub.store.batches import PENDING, list_batches

REFRESH_SECONDS = 3

STAGE_LABELS: dict[str, str] = {
    "": N_("starting"),
    "snapshot": N_("copying the approved cases into a snapshot"),
    "measure": N_("measuring the snapshot with differential privacy"),
    "tables": N_("computing the tables from the protected model"),
    "files": N_("writing the files and the report"),
}


def _eps(value: float) -> str:
    return f"{value:.3g}"


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
        pending, spent = read_store(
            hub,
            lambda con: (sum(1 for b in list_batches(con) if b["status"] == PENDING), ledger.entries(con)),
        )
        budget = _budget(hub, spent, releases)
    except CtdhubError as exc:
        store_error = str(exc)
    return admin_page(
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
                "created": when(m.created_at),
                "epsilon": _eps(m.privacy.epsilon),
                "withdrawn": {"at": when(w.at), "reason": w.reason} if w else None,
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
                f"{when(current.started)} UTC); wait for it to end."
            )
        build = Build(actor, datetime.now(UTC))
        _builds[hub.path] = build
    run_in_background(
        build,
        lambda step: _build(hub, build, address, step),
        name="ctdhub-release-build",
        failed=lambda exc: str(exc) if not build.release_id else f"{build.release_id} was built, but: {exc}",
        crashed=lambda exc: f"The release could not be built ({type(exc).__name__}: {exc}).",
    )
    return build


def _build(hub: Hub, build: Build, address: str, step: Callable[[str], None]) -> None:
    """`ctdhub release create` without --policy (the hub's policy), then its audit entry."""
    out = create_release(hub, None, progress=step)
    build.release_id = out.release_id
    build.epsilon = out.release_manifest.privacy.epsilon
    record(hub, build.actor, "release.create", out.release_id, f"epsilon={build.epsilon:g}", address)


def _hub_policy(hub: Hub) -> Policy:
    """The policy the next build uses: the store's policy.yaml, else the built-in default."""
    return load_policy(hub_policy_path(hub))


def _releases_page(request: Request, session: acc.Session, *, status: int = 200, **data: Any) -> Response:
    hub = hub_of(request)
    policy = _hub_policy(hub)
    return admin_page(
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
    return RedirectResponse(lang_path(request, "/admin/releases/build"), status_code=303)


@router.get("/admin/releases/build")
def release_build_status(request: Request, session: Admin) -> Response:
    """The build's stage while it runs (the page reloads itself), then its release or its error."""
    build = _current_build(hub_of(request))
    lang = lang_of(request)
    stage = lang.gettext(STAGE_LABELS.get(build.stage, build.stage)) if build else ""
    response = admin_page(
        request,
        session,
        "admin_build.html",
        N_("Building a release"),
        build=build,
        started=when(build.started) if build else "",
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
        return _releases_page(request, session, status=status_of_refusal(exc), error=str(exc))
    record(hub, session.user.name, "release.withdraw", release_id, reason[:200], remote(request))
    return done(request, "/admin/releases", "withdrawn")


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


def _budget(hub: Hub, spent: Sequence[dict[str, object]], releases: list[dict[str, Any]]) -> Budget:
    """The ledger's state under the hub's policy (the ledger composes the releases' ρ)."""
    policy = _hub_policy(hub)
    state = ledger.status_of(
        spent, epsilon=policy.epsilon, delta=policy.delta, lifetime_epsilon=policy.lifetime_epsilon
    )
    delta = policy.delta
    withdrawn = {r["id"] for r in releases if r["withdrawn"]}
    rows = [
        {
            "id": str(e["release_id"]),
            "created": when(str(e["created_at"])),
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
        epsilon_left=_eps(state.epsilon_left),
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
        spent = read_store(hub, ledger.entries)
    except CtdhubError as exc:
        return admin_page(
            request,
            session,
            "admin_budget.html",
            N_("Privacy budget"),
            status=409,
            error=str(exc),
            budget=None,
        )
    budget = _budget(hub, spent, _releases(hub))
    return admin_page(request, session, "admin_budget.html", N_("Privacy budget"), budget=budget)
