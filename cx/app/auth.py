"""Who is using the dashboard, and what they may do: sign-in with st.login, roles, scope, the audit trail.

Two modes:
- **local mode** (no `[auth]` in .streamlit/secrets.toml): one local user, who is admin; the sidebar says so.
- **sign-in** (`[auth]` configured): everyone signs in with the identity provider (OIDC via `st.login`);
  their role and scope come from the roles file (cx.access), by e-mail, domain or groups claim.

Every page calls `signed_in()` and `check_page()` through `ui.setup_page`, so a deep link is checked like a click. Every action
that changes something calls `require(role, action)` itself, right before it acts, so replaying a widget
message cannot skip the check: the server refuses, whatever the browser shows or sends.

    person = auth.current_user()          # who, with role and scope (None: nobody signed in yet)
    auth.require("editor", "importing files")   # stops this run with a message naming the role
    if auth.can("editor"): ...            # only to decide what to show; never instead of require()
    auth.record("export", "nps_by_week.csv", rows=52)   # an audit event by the current user
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from cx import access
from cx.access import Person
from cx.app.safe import md
from cx.store import audit, db

SIGNED_IN_KEY = "_cx_signed_in_as"  # set once per session, when the sign-in is recorded
PENDING_KEY = "_cx_pending_audit"  # events that found the database busy, written on the next run
AUDIT_TIMEOUT_S = 3.0  # a read (sign-in, export) never waits long for a busy file; the event waits instead


def sign_in_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section: then everyone must sign in."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:  # an unreadable secrets file: Streamlit reports it; we cannot offer sign-in with it
        return False


def local_user() -> Person:
    """The one user of local mode: admin, named by $CX_USER or the login name."""
    return Person(email=audit.Actor.operator().who, role="admin", local=True)


def current_user() -> Person | None:
    """The person behind this session, with role and scope; None when sign-in is configured and nobody is signed in.

    Raises access.RolesFileError when the roles file is broken (nobody gets a role until it is fixed)."""
    if not sign_in_configured():
        return local_user()
    claims = st.user.to_dict()
    if not claims.get("is_logged_in"):
        return None
    email = str(claims.get("email") or "")
    if claims.get("email_verified") is False:  # an address the provider has not verified grants nothing
        email = ""
    config = access.load_roles()
    name = str(claims.get("name") or "")
    if config is None:  # sign-in without a roles file: everyone signed in may look, nobody may change
        return Person(email=email.lower(), name=name, role="viewer")
    groups = _groups(claims, config.groups_claim)
    person = config.person(email, name=name, groups=groups)
    return person if email or person.role else Person(email=str(claims.get("sub", "")), name=name)


def _groups(claims: Mapping[str, Any], claim: str) -> list[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return [g for g in value.replace(",", " ").split() if g]
    if isinstance(value, list | tuple):
        return [str(g) for g in value]
    return []


def can(role: str) -> bool:
    """Whether the current user has `role` (or above): for deciding what to show."""
    try:
        person = current_user()
    except access.RolesFileError:
        return False
    return person is not None and person.has(role)


def require(role: str, action: str) -> Person:
    """The current user, if their role allows `action`; otherwise a message naming their role, and this run stops.

    Call it in the code that acts (the import, the undo, the save), not only where the button is drawn."""
    try:
        person = current_user()
    except access.RolesFileError as error:
        st.error(f"The roles file cannot be used, so nobody can change anything: {md(error)}", icon=":material/lock:")
        st.stop()
    if person is None:
        st.error(f"Sign in first: {action} needs the {role} role.", icon=":material/lock:")
        st.stop()
    if not person.has(role):
        record("refused", action, detail={"needs": role}, person=person)
        st.error(md(access.refusal(person, role, action)), icon=":material/lock:")
        st.stop()
    return person


def signed_in() -> Person:
    """The current user, signed in: otherwise the sign-in screen (or why nobody can sign in) and this run stops."""
    try:
        person = current_user()
    except access.RolesFileError as error:
        st.title("CX dashboard")
        st.error(f"The roles file cannot be used, so nobody can sign in until it is fixed: {md(error)}",
                 icon=":material/lock:")  # fmt: skip
        st.stop()
    if person is None:
        _sign_in_screen()
        st.stop()
    _note_sign_in(person)
    flush_pending()
    return person


def check_page(person: Person, needs: str, page: str) -> None:
    """The page-level check every page makes in ui.setup_page: whoever lacks `needs` sees why, and the run stops."""
    if person.has(needs):
        return
    st.title(page)
    if person.role is None:
        st.error(
            f"You are signed in as {md(person.label)}, but this dashboard has not given you a role yet. "
            "Ask an admin to add you to the roles file.",
            icon=":material/lock:",
        )
    else:
        record("refused", f"opening the {page} page", detail={"needs": needs}, person=person)
        st.error(md(access.refusal(person, needs, f"the {page} page")), icon=":material/lock:")
    st.stop()


def _sign_in_screen() -> None:
    st.title("CX dashboard")
    st.markdown("Sign in with your organisation's account to see the dashboard.")
    if st.button("Sign in", type="primary", icon=":material/login:", key="sign_in"):
        st.login()


def _note_sign_in(person: Person) -> None:
    """One sign-in event per identity token. A new tab or a reload is a new session that Streamlit signs in
    with the same cookie: that is not a new sign-in, so the token's issue time tells them apart."""
    if person.local:
        return
    issued = st.user.to_dict().get("iat")
    seen = (person.email, issued)
    if st.session_state.get(SIGNED_IN_KEY) == seen:
        return
    st.session_state[SIGNED_IN_KEY] = seen
    if issued is not None and audit.signed_in_already(person.email, issued, db.db_path()):
        return
    detail = {"token_issued_at": issued} if issued is not None else {}
    if person.groups:
        detail["groups"] = list(person.groups)
    record("sign-in", person.label, detail=detail or None, person=person)


def sidebar(person: Person) -> None:
    """Who is signed in, their role and scope, and a way out; in local mode, that everyone is admin."""
    with st.sidebar:
        if person.local:
            st.caption("local mode: everyone is admin", help="No sign-in is configured (.streamlit/secrets.toml has "
                       "no [auth]), so whoever opens the dashboard may change anything. See the README to set up "
                       "sign-in.")  # fmt: skip
            return
        st.caption(f"Signed in as {md(person.label)} · **{person.role or 'no role'}**")
        if person.scope:
            st.caption(f"You see only: {md(access.describe_scope(person.scope))}")
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            st.session_state.pop(SIGNED_IN_KEY, None)
            st.logout()


def actor(person: Person | None = None) -> audit.Actor:
    """The audit trail's view of a person acting through the dashboard."""
    person = person or current_user() or Person(email="anonymous")
    return audit.Actor(who=person.email or "anonymous", role=person.role, via="dashboard")


def record(
    action: str,
    what: str,
    *,
    rows: int | None = None,
    detail: Mapping[str, Any] | None = None,
    person: Person | None = None,
) -> None:
    """An audit event by the current user. If the database is busy, it is kept and written on the next run."""
    event = {"action": action, "what": what, "rows": rows, "detail": dict(detail) if detail else None,
             "actor": actor(person)}  # fmt: skip
    pending = st.session_state.setdefault(PENDING_KEY, [])
    pending.append(event)
    flush_pending()


def record_export(what: str, rows: int | None) -> None:
    """A download button's on_click: the file someone took away, and how many rows it held."""
    record("export", what, rows=rows)


def flush_pending() -> None:
    pending = st.session_state.get(PENDING_KEY) or []
    while pending:
        event = pending[0]
        try:
            audit.record(event["action"], event["what"], actor=event["actor"], rows=event["rows"],
                         detail=event["detail"], db=db.db_path(), timeout_s=AUDIT_TIMEOUT_S)  # fmt: skip
        except db.DatabaseBusy:
            return  # the next run tries again
        pending.pop(0)


def operator_name() -> str:
    """For places that still want a plain name (imported_by): the current user's e-mail, else $CX_USER/$USER."""
    person = current_user()
    return person.email if person and person.email else (os.environ.get("CX_USER") or audit.Actor.operator().who)
