"""The Audit page's widgets: the log, filtered and exported, and who has which role. Admins only."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from cx import access
from cx.analysis import personal
from cx.app import auth
from cx.app.safe import md
from cx.reports import exports
from cx.store import audit, db, settings

DEFAULT_DAYS = 30
SHOWN = 5000  # rows drawn on the page; the download has every matching event
LABELS = {
    "event_id": "#",
    "logged_at": "When",
    "who": "Who",
    "role": "Role",
    "action": "Action",
    "what": "What",
    "rows": "Rows",
    "via": "Through",
    "detail": "Detail",
}


def log() -> None:
    """The audit trail, newest first, with filters and a CSV of what is shown."""
    auth.require("admin", "reading the audit log")
    today = date.today()
    dates, people, actions, words = st.columns([2, 2, 2, 2])
    chosen = dates.date_input("Days", (today - timedelta(days=DEFAULT_DAYS - 1), today), format="YYYY-MM-DD",
                              key="audit_days")  # fmt: skip
    start, end = chosen if isinstance(chosen, tuple | list) and len(chosen) == 2 else (chosen, chosen)
    who = people.multiselect("Who", audit.people(db.db_path()), placeholder="Everyone", key="audit_who")
    kinds = actions.multiselect("Action", list(audit.ACTIONS), placeholder="Every action", key="audit_actions")
    text = words.text_input("Containing", placeholder="a file name, an import #…", key="audit_text")
    events = audit.events(db.db_path(), start=start, end=end, who=who, actions=kinds, text=text or None)
    if events.empty:
        st.info("No event matches these filters.", icon=":material/info:")
        return
    st.caption(
        f"{len(events):,} events by {events['who'].nunique():,} "
        f"{'person' if events['who'].nunique() == 1 else 'people'}, {start:%d %b %Y} – {end:%d %b %Y}"
        + (f"; the newest {SHOWN:,} are shown, the download has them all" if len(events) > SHOWN else "")
    )
    shown = events.head(SHOWN).rename(columns=LABELS)
    st.dataframe(
        shown, hide_index=True, column_config={"When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")}
    )
    file_name = f"audit-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    st.download_button(
        "Download these events (CSV)",
        exports.csv_bytes(events.rename(columns=LABELS)),
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        key="audit_download",
        on_click=auth.record_export,
        args=(file_name, len(events)),
    )


def who_has_access() -> None:
    """What the roles file says, so an admin can check it without reading TOML."""
    st.subheader("Who has access")
    if not auth.sign_in_configured():
        st.info("Local mode: no sign-in is configured, so whoever opens the dashboard is admin. "
                "The README says how to set up sign-in and a roles file.", icon=":material/info:")  # fmt: skip
        return
    try:
        config = access.load_roles()
    except access.RolesFileError as error:
        st.error(md(error), icon=":material/lock:")
        return
    if config is None:
        st.info(
            f"No roles file ({md(access.roles_file())}): everyone who signs in is a viewer.", icon=":material/info:"
        )
        return
    rows = [{"Who": entry, "Role": role, "From": "roles"} for entry, role in sorted(config.entries.items())]
    rows += [{"Who": f"group {name}", "Role": role, "From": f"{config.groups_claim} claim"}
             for name, role in sorted(config.groups.items())]  # fmt: skip
    for row in rows:
        key = row["Who"].replace("group ", "group:", 1) if row["From"] != "roles" else row["Who"]
        limit = config.scopes.get(key) or config.scopes.get(row["Role"])
        row["Sees"] = access.describe_scope(limit) if limit else "every customer"
    st.caption(f"From {md(config.path)}; the most specific entry decides (e-mail, then group, then @domain, then *).")
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def personal_data_rules() -> None:
    """What happens to each kind of personal data: an admin's choice, audited."""
    st.subheader("Personal data")
    current = personal.rules(settings.get(personal.SETTING, db=db.db_path()))
    st.caption(
        "What happens to columns an import finds holding personal data. Mask and keep apply on screen and in "
        "downloads at once; hash and drop apply to files imported from now on (what is stored stays as it is). "
        "Comments are always scanned for e-mail addresses and phone numbers, which are masked on screen."
    )
    columns = st.columns(len(personal.KINDS))
    chosen = {}
    for column, (kind, label) in zip(columns, personal.KINDS.items(), strict=True):
        chosen[kind] = column.selectbox(label.capitalize(), list(personal.RULES), index=list(personal.RULES).index(current[kind]),
                                        format_func=lambda r: f"{r}: {personal.RULES[r]}", key=f"rule_{kind}")  # fmt: skip
    if chosen != current and st.button("Save the rules", type="primary", key="save_rules", icon=":material/save:"):
        save_rules(chosen, current)


def save_rules(chosen: dict[str, str], current: dict[str, str]) -> None:
    person = auth.require("admin", "changing the personal data rules")  # checked where it acts
    changes = "; ".join(f"{personal.KINDS[k]}: {current[k]} → {chosen[k]}" for k in chosen if chosen[k] != current[k])
    settings.put(personal.SETTING, chosen, actor=auth.actor(person), what=f"personal data rules: {changes}",
                 db=db.db_path())  # fmt: skip
    st.success(f"Saved: {changes}.", icon=":material/check_circle:")
