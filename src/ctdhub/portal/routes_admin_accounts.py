"""The hub team's pages of accounts and organisations (`/admin/users`, `/admin/orgs`): add an account
with a one-time password, disable, enable or reset one; add an organisation and set the mapping spec its
uploads are read with (a built-in one, or an uploaded YAML file, checked). The account functions write
their audit entries in their own transaction.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import Response

from ctdhub.errors import ConfigError, ConfigProblem, CtdhubError, UsageError
from ctdhub.mapping import builtin_specs, load_spec
from ctdhub.portal import router
from ctdhub.portal.admin_common import Admin, admin_page, done, status_of_refusal
from ctdhub.portal.auth import check_csrf, hub_of
from ctdhub.portal.routes_common import Csrf, when
from ctdhub.portal.uploads import MAX_SPEC_BYTES
from ctdhub.publish.web.i18n import N_
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db

Name = Annotated[str, Form(max_length=100)]  # an account, an organisation or a built-in spec


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
            "created": when(u.created_at),
            "terms": when(u.terms_accepted_at),
            "self": u.name == session.user.name,
        }
        for u in users
    ]
    data.setdefault("form", {"name": "", "role": "", "org": ""})
    return admin_page(
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
    name: Name = "",
    role: Annotated[str, Form(max_length=20)] = "",
    org: Name = "",
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
        return _users_page(request, session, status=status_of_refusal(exc), error=str(exc), form=form)
    return admin_page(
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
        return _users_page(request, session, status=status_of_refusal(exc), error=str(exc))
    return done(request, "/admin/users", "disabled" if disabled else "enabled")


@router.post("/admin/users/disable")
def user_disable(request: Request, session: Admin, csrf: Csrf = "", name: Name = "") -> Response:
    """Disable an account: its sessions and tokens stop working at once."""
    return _set_disabled(request, session, csrf, name, True)


@router.post("/admin/users/enable")
def user_enable(request: Request, session: Admin, csrf: Csrf = "", name: Name = "") -> Response:
    """Enable a disabled account again."""
    return _set_disabled(request, session, csrf, name, False)


@router.post("/admin/users/reset")
def user_reset(request: Request, session: Admin, csrf: Csrf = "", name: Name = "") -> Response:
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
        return _users_page(request, session, status=status_of_refusal(exc), error=str(exc))
    return admin_page(
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
            "created": when(o.created_at),
            "members": sum(1 for u in users if u.org == o.name),
        }
        for o in orgs
    ]
    data.setdefault("problems", [])
    data.setdefault("form", {"name": "", "builtin": ""})
    return admin_page(
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
    name: Name = "",
    builtin: Name = "",
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
            request,
            session,
            status=status_of_refusal(exc),
            error=str(exc),
            form={"name": name, "builtin": builtin},
        )
    return done(request, "/admin/orgs", "org")


def _uploaded_spec(upload: UploadFile) -> str:
    """The text of an uploaded mapping spec, checked as ``ctdhub org mapping FILE`` checks a file
    (``load_spec``); a broken one raises ConfigError, its problems named by the uploaded file's name."""
    raw = upload.file.read(MAX_SPEC_BYTES + 1)
    if len(raw) > MAX_SPEC_BYTES:
        raise UsageError(f"The file is too large for a mapping spec (more than {MAX_SPEC_BYTES:,} bytes).")
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
    name: Name = "",
    builtin: Name = "",
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
        return _orgs_page(request, session, status=status_of_refusal(exc), error=str(exc))
    return done(request, "/admin/orgs", "mapping")
