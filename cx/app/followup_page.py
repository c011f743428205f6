"""The Follow-up page's widgets: the queue, one item's handling form, bulk assignment, "did it work?",
"you said, we did" and the SLA settings; plus the follow-up tiles on the Overview.

The rules and numbers are cx.analysis.followups; every change goes through cx.store.followups,
whose functions check the actor's role. `actor()` is the one place this page decides who is
working and whether they may edit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from cx import charts
from cx.analysis import followups, metrics, stats
from cx.analysis.filters import Filters
from cx.app import auth, ui
from cx.app.safe import md
from cx.reports import exports
from cx.store import db, warehouse
from cx.store import followups as store
from cx.store.followup_rules import MOVES, OPEN, STATUS_LABELS
from cx.store.schema import FOLLOWUP_STATUSES

VIEWS = {"queue": "Queue", "results": "Did it work?", "actions": "You said, we did", "sla": "SLA settings"}
NAME_KEY = "followup_actor_name"
FORM_FIELDS = ("status", "owner", "contact_channel", "notes")
OVERDUE_STYLE = "background-color: #FDE2E1; color: #7F1D1D; font-weight: 600"


# --- who is working ----------------------------------------------------------------------------


def actor() -> store.Actor:
    """Who is working on the queue, and whether they may change it: the one place this page decides.

    Signed in (cx.app.auth): the person and their role; only editors (and admins) change the queue.
    Local mode (no sign-in configured, everyone is admin): people say who they are in the sidebar,
    so the audit and the "changed by … meanwhile" message name them; the local user's name otherwise.
    The store checks `can_edit` again on every change, and the callbacks that save ask here anew.
    """
    person = auth.current_user()
    if person is None:
        return store.Actor(name="", can_edit=False)
    if not person.local:
        return store.Actor(name=person.email, can_edit=person.has("editor"), role=person.role)
    with st.sidebar:
        st.text_input(
            "Your name (recorded with every change)",
            key=NAME_KEY,
            placeholder=person.email,
            help="Local mode has no sign-in: say who you are, so the follow-up audit names you.",
        )
    name = (st.session_state.get(NAME_KEY) or "").strip() or person.email
    return store.Actor(name=name, can_edit=True, role=person.role)


def may_edit(who: store.Actor, *, say: bool = True) -> bool:
    if not say:
        return bool(who.name) and who.can_edit
    if not who.name:
        st.info("Sign in to handle items: every change records who made it.", icon=":material/badge:")
        return False
    if not who.can_edit:
        st.info(f"{md(who.name)}, you can look at the queue; only editors can change it.", icon=":material/lock:")
        return False
    return True


def view() -> str:
    chosen = ui.page_param("view", list(VIEWS), "queue")
    picked = st.segmented_control("View", list(VIEWS), default=chosen, format_func=VIEWS.get, key="followup_view")
    picked = picked or chosen
    ui.remember(view=picked if picked != "queue" else None)
    return picked


def policy() -> tuple[followups.SlaPolicy, int]:
    return ui.query(followups.stored_policy)


def _now(sla: followups.SlaPolicy) -> datetime:
    return sla.now().replace(second=0, microsecond=0)  # to the minute, so cached figures are reused


# --- the queue ---------------------------------------------------------------------------------


def queue_frame(filters: Filters, sla: followups.SlaPolicy) -> pd.DataFrame:
    answers = ui.query(followups.queued_answers, filters, sla.starts_on)
    return followups.with_sla(answers, sla, _now(sla))


def queue_view(filters: Filters, sla: followups.SlaPolicy, who: store.Actor) -> None:
    frame = queue_frame(filters, sla)
    counts = followups.counts(frame)
    open_, overdue, soon, unassigned = st.columns(4)
    open_.metric("Open", f"{counts.open:,}", help="New or contacted, under the filters.", border=True)
    overdue.metric(
        "Overdue", f"{counts.overdue:,}", help="Nobody has reached out and the SLA has run out.", border=True
    )
    soon.metric("Due within 24 h", f"{counts.due_soon:,}", border=True)
    unassigned.metric("Open, unassigned", f"{counts.unassigned:,}", border=True)
    st.caption(
        f"Every NPS 0–6, CSAT 1–2 and CES 1–2 answer from an identified customer, {ui.period(filters)} · "
        f"{md(filters.describe())} · newest first. {md(sla.describe())}"
    )
    if frame.empty:
        st.info("No unhappy answers from identified customers under these filters. Widen the date range.")
        return

    owners = sorted(o for o in frame["owner"].dropna().unique())
    pick_status, pick_owner, pick_overdue = st.columns(
        [5, 3, 2], vertical_alignment="bottom"
    )  # the toggle label whole at 1280 px
    statuses = pick_status.multiselect(
        "Status",
        list(FOLLOWUP_STATUSES),
        default=list(OPEN),
        format_func=STATUS_LABELS.get,
        key="followup_status",
    )
    owner_options = ["*", "", *owners]
    owner_labels = {"*": "Anyone", "": "Unassigned"}
    owner = pick_owner.selectbox(
        "Owner", owner_options, format_func=lambda o: owner_labels.get(o, o), key="followup_owner"
    )
    overdue_only = pick_overdue.toggle("Overdue only", key="followup_overdue")
    shown = followups.select(frame, statuses=statuses, owner=None if owner == "*" else owner, overdue_only=overdue_only)
    st.caption(f"{len(shown):,} of {len(frame):,} items shown. Pick a row to handle it.")
    table = followups.display_frame(shown, _now(sla))
    event = st.dataframe(
        table.style.apply(_overdue_rows, overdue=shown["overdue"].to_numpy(), axis=None),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="followup_table",
        column_config={
            "Answered": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
            "Value": st.column_config.NumberColumn(format="dollar", help="Revenue to date"),
            "Comment": st.column_config.TextColumn(width="large"),
            "Due": st.column_config.TextColumn(help="Overdue rows are red: nobody has reached out in time."),
        },
    )
    rows = event.selection.rows if event and event.selection else []
    chosen = shown.iloc[rows[0]]["response_id"] if rows else st.query_params.get("item")
    st.download_button(
        "Download the queue (CSV)",
        exports.csv_bytes(followups.export_frame(shown)),
        file_name="followup-queue.csv",
        mime="text/csv",
        icon=":material/download:",
        key="followup_download",
    )
    if chosen and chosen in set(frame["response_id"]):
        ui.remember(item=chosen)
        item_panel(frame[frame["response_id"] == chosen].iloc[0], who, owners)
    if may_edit(who, say=False):
        bulk_assign(frame, who)


def _overdue_rows(table: pd.DataFrame, overdue) -> pd.DataFrame:
    styles = pd.DataFrame("", index=table.index, columns=table.columns)
    styles.loc[overdue, :] = OVERDUE_STYLE
    return styles


# --- one item ----------------------------------------------------------------------------------


def _key(response_id: str, name: str) -> str:
    return f"fu_{name}_{response_id}"


def _stored_values(item: pd.Series) -> dict[str, Any]:
    return {name: (None if pd.isna(item[name]) else item[name]) for name in FORM_FIELDS} | {"status": item["status"]}


def item_panel(item: pd.Series, who: store.Actor, owners: list[str]) -> None:
    """The chosen item: the answer and the customer on the left, its handling on the right."""
    response_id = str(item["response_id"])
    st.divider()
    left, right = st.columns([3, 2], gap="large")
    with left:
        survey = followups.SURVEY_LABELS.get(item["survey"], item["survey"])
        st.subheader(f"{md(item['name'] or item['customer_id'])} · {survey} {int(item['score'])}")
        facts = [
            f"answered {pd.Timestamp(item['responded_at']):%d %b %Y, %H:%M}",
            f"segment {md(item['segment'] or '–')}",
            f"plan {md(item['plan'] or '–')}",
            f"value to date ${item['value']:,.0f}" if pd.notna(item["value"]) else "no revenue recorded",
        ]
        if pd.notna(item["touchpoint"]):
            facts.append(f"after {md(item['touchpoint'])}")
        st.caption(" · ".join(facts))
        if pd.notna(item["comment"]) and str(item["comment"]).strip():
            st.markdown(f"> {md(item['comment'])}")
        else:
            st.caption("No comment.")
        if item["overdue"]:
            st.error(
                f"Overdue: due {pd.Timestamp(item['due_at']):%d %b %Y, %H:%M}, nobody has reached out yet.",
                icon=":material/alarm:",
            )
        elif item["status"] in OPEN:
            st.caption(f"Due {pd.Timestamp(item['due_at']):%d %b %Y, %H:%M} ({item['sla_hours']:g} h SLA).")
        card = ui.query(followups.customer_card, str(item["customer_id"]))
        st.markdown("**Recent interactions**")
        if card["interactions"].empty:
            st.caption("None recorded.")
        else:
            st.dataframe(card["interactions"], hide_index=True)
        st.markdown("**Their latest answers**")
        st.dataframe(card["answers"], hide_index=True)
    with right:
        st.markdown(f"**Handle this item** · status {STATUS_LABELS[item['status']]}")
        if may_edit(who):
            item_form(item, who, owners)
        history = store.history(db.db_path(), response_id)
        if history:
            with st.expander(f"Changes ({len(history)})"):
                st.dataframe(_history_frame(history), hide_index=True)


def _history_frame(history: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "When": [h["changed_at"] for h in history],
            "Who": [h["changed_by"] for h in history],
            "Before": [", ".join(f"{k}: {v}" for k, v in h["before"].items()) for h in history],
            "After": [", ".join(f"{k}: {v}" for k, v in h["after"].items()) for h in history],
        }
    )


def _prepare_form(item: pd.Series) -> None:
    """Fill the form from the stored item, unless its editor has unsaved changes in it.

    `base` is the version the form started from; a change is what differs from it. When someone
    else saved meanwhile and this form has no edits, the form moves to their version quietly.
    """
    response_id, state = str(item["response_id"]), st.session_state
    stored = _stored_values(item)
    base = state.get(_key(response_id, "base"))
    edited = base is not None and any(
        _blank(state.get(_key(response_id, f))) != _blank(base["values"][f]) for f in FORM_FIELDS
    )
    if base is None or (not edited and base["version"] != int(item["version"])):
        state[_key(response_id, "base")] = {"version": int(item["version"]), "values": stored}
        for name in FORM_FIELDS:
            state[_key(response_id, name)] = stored[name]


def item_form(item: pd.Series, who: store.Actor, owners: list[str]) -> None:
    response_id = str(item["response_id"])
    _prepare_form(item)
    base = st.session_state[_key(response_id, "base")]["values"]
    statuses = [base["status"], *MOVES[base["status"]]]
    known = sorted({*owners, who.name, *([base["owner"]] if base["owner"] else [])} - {""})
    with st.form(key=_key(response_id, "form"), border=True):
        st.selectbox("Status", statuses, format_func=STATUS_LABELS.get, key=_key(response_id, "status"))
        st.selectbox(
            "Owner",
            known,
            index=None,
            key=_key(response_id, "owner"),
            accept_new_options=True,
            placeholder="Unassigned: pick or type a name",
        )
        st.selectbox(
            "Contact channel",
            list(followups.CONTACT_CHANNELS),
            index=None,
            key=_key(response_id, "contact_channel"),
            accept_new_options=True,
            placeholder="How you reached them",
        )
        st.text_area("Notes", key=_key(response_id, "notes"), height=120)
        st.form_submit_button(
            "Save", type="primary", icon=":material/save:", on_click=_save, args=(item.to_dict(), who)
        )
    outcome = st.session_state.pop(_key(response_id, "outcome"), None)
    if outcome and outcome[0] == "saved":
        st.success(outcome[1], icon=":material/task_alt:")
    elif outcome and outcome[0] == "conflict":
        st.warning(outcome[1], icon=":material/sync_problem:")
    elif outcome:
        st.error(outcome[1], icon=":material/block:")


def _save(item: dict[str, Any], who: store.Actor) -> None:
    """The Save button (a callback, so it may rewrite the form's widgets before they are drawn)."""
    response_id, state = str(item["response_id"]), st.session_state
    who = _acting(who)
    base = state[_key(response_id, "base")]
    mine = {name: state.get(_key(response_id, name)) for name in FORM_FIELDS}
    changes = {name: value for name, value in mine.items() if _blank(value) != _blank(base["values"][name])}
    outcome = _key(response_id, "outcome")
    if not changes:
        state[outcome] = ("saved", "Nothing to save: the form has no changes.")
        return
    change = store.ItemChange(
        response_id,
        base["version"],
        changes,
        customer_id=item["customer_id"],
        answered_at=pd.Timestamp(item["responded_at"]).to_pydatetime(),
    )
    try:
        saved = store.save_item(db.db_path(), change, who)
    except store.Conflict as conflict:
        _take_theirs(response_id, conflict, mine, base)
        theirs = "; ".join(f"{store.FIELD_LABELS.get(k, k)} is now “{v}”" for k, v in conflict.theirs.items())
        state[outcome] = ("conflict", f"{md(conflict.message)} {md(theirs)}")
        return
    except (store.InvalidChange, store.NotAllowed, db.DatabaseBusy) as refused:
        state[outcome] = ("error", md(str(refused)))
        return
    state.pop(_key(response_id, "base"), None)  # the form starts again from the stored item
    for name in FORM_FIELDS:
        state.pop(_key(response_id, name), None)
    status = STATUS_LABELS[saved["status"]] if saved else STATUS_LABELS[base["values"]["status"]]
    state[outcome] = ("saved", f"Saved (version {saved['version'] if saved else base['version']}): {status}.")


def _take_theirs(response_id: str, conflict: store.Conflict, mine: dict, base: dict) -> None:
    """After a conflict: the form moves to the stored version, keeping this editor's own changes.

    Fields this editor did not touch show the other person's values (saving again must not undo
    them); notes both added to are joined, theirs first, so neither text is lost.
    """
    state, current = st.session_state, conflict.current
    stored = {name: current.get(name) for name in FORM_FIELDS} | {"status": current.get("status") or "new"}
    for name in FORM_FIELDS:
        touched = _blank(mine[name]) != _blank(base["values"][name])
        if not touched:
            state[_key(response_id, name)] = stored[name]
        elif name == "notes" and stored["notes"] and stored["notes"] != base["values"]["notes"]:
            state[_key(response_id, name)] = _merge_notes(base["values"]["notes"], stored["notes"], mine["notes"])
        elif name == "status" and mine["status"] not in [stored["status"], *MOVES[stored["status"]]]:
            state[_key(response_id, name)] = stored["status"]  # their status change makes mine impossible
    state[_key(response_id, "base")] = {"version": int(current.get("version") or 0), "values": stored}


def _acting(shown: store.Actor) -> store.Actor:
    """The actor at the moment of acting: the role asked again (it may have changed since the page was drawn)."""
    person = auth.current_user()
    if person is None:
        return store.Actor(name="", can_edit=False)
    if person.local:
        return shown
    return store.Actor(name=person.email, can_edit=person.has("editor"), role=person.role)


def _blank(value: Any) -> Any:
    """An empty text box and a missing value are the same thing."""
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _merge_notes(original: str | None, theirs: str, mine: str | None) -> str:
    original, mine = original or "", mine or ""
    added = mine[len(original) :].strip() if mine.startswith(original) else mine.strip()
    return theirs if not added or added in theirs else f"{theirs.rstrip()}\n{added}"


# --- bulk assignment ---------------------------------------------------------------------------


def bulk_assign(frame: pd.DataFrame, who: store.Actor) -> None:
    with st.expander("Assign many at once (by segment or touchpoint)", icon=":material/group_add:"):
        segments_col, touchpoints_col = st.columns(2)
        segments = segments_col.multiselect("Segments", sorted(frame["segment"].dropna().unique()), key="bulk_segments")
        touchpoints = touchpoints_col.multiselect(
            "Touchpoints", sorted(frame["touchpoint"].dropna().unique()), key="bulk_touchpoints"
        )
        owner_col, only_col = st.columns([2, 1], vertical_alignment="bottom")
        known = sorted({*frame["owner"].dropna().unique(), who.name})
        owner = owner_col.selectbox(
            "Owner", known, index=None, accept_new_options=True, key="bulk_owner", placeholder="Pick or type a name"
        )
        only_unassigned = only_col.checkbox("Only unassigned", value=True, key="bulk_only_unassigned")
        chosen = followups.to_assign(frame, segments=segments, touchpoints=touchpoints, only_unassigned=only_unassigned)
        st.caption(f"{len(chosen):,} open items match.")
        if st.button(
            f"Assign {len(chosen):,} items to {owner}" if owner else "Assign",
            disabled=not owner or chosen.empty,
            key="bulk_assign",
        ):
            who = _acting(who)
            changes = [
                store.ItemChange(r.response_id, int(r.version), {"owner": owner}, customer_id=r.customer_id)
                for r in chosen.itertuples()
            ]
            try:
                result = store.change_items(db.db_path(), changes, who, skip_conflicts=True)
            except (store.NotAllowed, db.DatabaseBusy) as refused:
                st.error(md(str(refused)))
                return
            st.session_state["bulk_outcome"] = f"Assigned {len(result.saved):,} items to {md(owner)}." + (
                f" {len(result.conflicts):,} changed meanwhile and were left as they are." if result.conflicts else ""
            )
            st.rerun()
        if message := st.session_state.pop("bulk_outcome", None):
            st.success(message, icon=":material/group_add:")


# --- did it work? ------------------------------------------------------------------------------


def results_view(filters: Filters, sla: followups.SlaPolicy) -> None:
    result = ui.query(followups.did_it_work, filters, sla, _now(sla).replace(minute=0))
    st.caption(
        f"Unhappy answers {ui.period(filters)} · {md(filters.describe())}: "
        f"{result.items:,} items, {result.followed_up:,} followed up. {md(result.policy)}"
    )
    tiles(result)
    st.subheader("Time to first contact, by owner")
    owners = followups.contact_table(result.by_owner)
    st.dataframe(_contact_display(owners), hide_index=True)
    st.subheader("… and by segment")
    st.dataframe(_contact_display(followups.contact_table(result.by_segment)), hide_index=True)
    st.subheader("Churn within 90 days: contacted against comparable not-contacted detractors")
    churn_explanation(result.churn)
    if len(result.churn.strata):
        with st.expander("The matched strata (segment × plan × score band)"):
            st.dataframe(result.churn.strata, hide_index=True)
            st.download_button(
                "Download (CSV)",
                exports.csv_bytes(result.churn.strata),
                file_name="followup-churn-strata.csv",
                mime="text/csv",
                key="strata_download",
            )


def _contact_display(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    return pd.DataFrame(
        {
            "": frame["group"],
            "Contacted": frame["contacted"],
            "Median hours": frame["median_hours"].round(1).astype("object").where(frame["median_hours"].notna(), "–"),
            "95% range": [
                "–" if pd.isna(lo) or pd.isna(hi) else f"{lo:.1f} – {hi:.1f}"
                for lo, hi in zip(frame["median_ci_low"], frame["median_ci_high"], strict=True)
            ],
            "90th pct hours": frame["p90_hours"].round(1).astype("object").where(frame["p90_hours"].notna(), "–"),
            "Within SLA": [
                "n too small" if small else f"{v:.0f}% ({lo:.0f}–{hi:.0f}%)"
                for v, lo, hi, small in zip(
                    frame["within_sla_pct"],
                    frame["within_ci_low"],
                    frame["within_ci_high"],
                    frame["small"],
                    strict=True,
                )
            ],
            "n (SLA decided)": frame["decided"],
        }
    )


def tiles(result: followups.DidItWork) -> None:
    """The three headline figures, by the same rules as every tile: n, a 95% range, greyed when small."""
    within, recovered, churn = st.columns(3)
    overall = result.overall
    with within:
        _tile(
            "Followed up within SLA",
            overall.within,
            lambda v: f"{v:.0f}%",
            f"median first contact {_hours(overall.median.value)}"
            + (f", 90% within {_hours(overall.p90)}" if overall.p90 is not None else ""),
            "Share of items whose SLA has run out (or that were contacted) reached in time.",
        )
    with recovered:
        rec = result.recovery
        line = f"not contacted: {_pct(rec.not_contacted)}"
        if rec.comparison.significant:
            line += f"; difference {rec.comparison.difference:+.1f} pts, significant"
        elif rec.comparison.difference is not None:
            line += f"; difference {rec.comparison.difference:+.1f} pts, not significant"
        _tile(
            "Recovered after a follow-up",
            rec.contacted,
            lambda v: f"{v:.0f}%",
            line,
            "Followed-up detractors whose next NPS answer is passive or promoter. Compare with those not "
            "followed up: unhappy customers often answer better next time anyway. "
            f"Answers of {result.outcomes_from:%d %b} – {result.outcomes_to:%d %b %Y}, whose 90 days have passed.",
            n_label="followed-up detractors who answered again",
        )
    with churn:
        matched = result.churn.matched
        if matched is None:
            _tile("Churn, contacted vs not", stats.Estimate(None, 0), str, "", "")
        else:
            word = "less" if (matched.difference.value or 0) < 0 else "more"
            significance = "significant" if matched.comparison.significant else "not significant"
            _tile(
                "Churn, contacted vs not",
                stats.Estimate(
                    matched.difference.value, matched.treated.n, matched.difference.ci_low, matched.difference.ci_high
                ),
                lambda v: f"{v:+.1f} pts",
                f"{_pct(matched.treated)} of contacted vs {matched.control.value:.1f}% of comparable others churned "
                f"({word}, {significance}) · observational",
                "Churn within 90 days of a detractor answer, followed up within a week against not, matched on "
                "segment, plan and score band. An association, not proof that calling keeps customers.",
                n_label="contacted detractors",
            )


def _tile(label: str, estimate: stats.Estimate, fmt, line: str, help_text: str, n_label: str = "items") -> None:
    with st.container(border=True):
        if estimate.value is None:
            st.metric(label, "–", help=help_text or None, border=False)
            st.caption("Not enough data yet under these filters.")
            return
        if estimate.small:
            st.metric(label, "n too small", help=help_text or None, border=False)
            st.caption(f"{fmt(estimate.value)} from only {estimate.n:,} {n_label} (fewer than {stats.MIN_N}).")
            return
        st.metric(label, fmt(estimate.value), help=help_text or None, border=False)
        interval = ""
        if estimate.ci_low is not None and estimate.ci_high is not None:
            interval = f" · 95% range {fmt(estimate.ci_low)} – {fmt(estimate.ci_high)}"
        st.caption(f"n = {estimate.n:,} {n_label}{interval}")
        if line:
            st.markdown(line)


def _hours(value: float | None) -> str:
    return "–" if value is None else metrics.format_duration(value * 3600)


def _pct(estimate: stats.Estimate) -> str:
    return "–" if estimate.value is None else f"{estimate.value:.1f}% (n = {estimate.n:,})"


def churn_explanation(churn: followups.MatchedChurn) -> None:
    if churn.answered_from is None:
        st.info("No detractor answers whose 90 days have passed under these filters: widen the date range.")
        return
    matched = churn.matched
    st.markdown(
        f"Detractors who answered **{churn.answered_from:%d %b %Y} – {churn.answered_to:%d %b %Y}** "
        f"(the latest whose 90 days have passed): {churn.contacted:,} followed up within a week, "
        f"{churn.not_contacted:,} not."
    )
    if matched is None:
        st.info("No segment × plan × score band has both contacted and not-contacted detractors to compare.")
        return
    figure = charts.matched_churn(matched)
    ui.chart(figure, key="churn_chart")
    naive = churn.naive.difference
    st.caption(
        f"Observational comparison, not proof: customers we reach may differ in ways the data does not show. "
        f"Matching on segment, plan and score band ({matched.strata} strata; {matched.unmatched_treated:,} "
        f"contacted had no comparable customer and are left out) turns the plain difference of "
        f"{naive:+.1f} pts into {matched.difference.value:+.1f} pts (95% range {matched.difference.ci_low:+.1f} to "
        f"{matched.difference.ci_high:+.1f}). Churn counts from a week after the answer, so customers who left "
        "before anyone could call are in neither group."
        if naive is not None
        else ""
    )


# --- "you said, we did" ------------------------------------------------------------------------


def actions_view(filters: Filters, who: store.Actor) -> None:
    frame = ui.query(followups.actions)
    st.caption(
        "What was done about a touchpoint or a theme, and whether its metric moved: the 90 days from the action "
        "against the 90 days before, tested like every change on the dashboard. It shows on the Trends page too."
    )
    if frame.empty:
        st.info("No actions recorded yet.")
    for action in frame.to_dict("records"):
        result = ui.query(followups.before_after, action, filters)
        with st.container(border=True):
            about = action.get("touchpoint") or action.get("theme")
            st.markdown(f"**{md(action['title'])}** · {action['taken_on']:%d %b %Y} · {md(about)}")
            if action.get("description"):
                st.caption(md(action["description"]))
            st.markdown(md(followups.before_after_sentence(action, result)))
            st.caption(f"Recorded by {md(action['recorded_by'])} on {pd.Timestamp(action['recorded_at']):%d %b %Y}.")
            if may_edit(who, say=False):
                if st.button("Delete", key=f"delete_action_{action['action_id']}", icon=":material/delete:"):
                    store.delete_action(db.db_path(), int(action["action_id"]), _acting(who))
                    st.rerun()
    if may_edit(who):
        record_action_form(who)


def record_action_form(who: store.Actor) -> None:
    touchpoints = ui.query(metrics.field_values, "touchpoint")
    with st.form("record_action", border=True):
        st.markdown("**Record an action**")
        title = st.text_input("What was done", placeholder="New billing page")
        about_tp, about_theme = st.columns(2)
        touchpoint = about_tp.selectbox("Touchpoint", touchpoints, index=None, placeholder="Pick one")
        theme = about_theme.text_input("…or a theme", placeholder="e.g. refunds")
        when, metric = st.columns(2)
        taken_on = when.date_input("When", value=date.today(), max_value=date.today())
        metric_key = metric.selectbox(
            "Test its effect on", list(store.ACTION_METRICS), format_func=lambda k: metrics.METRICS[k].label
        )
        description = st.text_area("Details (optional)", height=80)
        if st.form_submit_button("Record", icon=":material/add_task:"):
            try:
                store.record_action(
                    db.db_path(),
                    _acting(who),
                    title=title,
                    taken_on=taken_on,
                    touchpoint=touchpoint,
                    theme=theme,
                    metric=metric_key,
                    description=description,
                )
            except (store.InvalidChange, store.NotAllowed) as refused:
                st.error(md(str(refused)))
                return
            st.rerun()


# --- SLA settings ------------------------------------------------------------------------------

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def sla_view(sla: followups.SlaPolicy, version: int, who: store.Actor) -> None:
    st.markdown(md(sla.describe()))
    segments = ui.query(metrics.field_values, "segment")
    if not may_edit(who):
        return
    with st.form("sla_form", border=True):
        default_hours = st.number_input("Follow up within (hours)", 1.0, 24.0 * 365, float(sla.default_hours))
        rules = pd.DataFrame(
            [{"Segment": r.segment, "Survey": r.survey, "Hours": r.hours} for r in sla.rules],
            columns=["Segment", "Survey", "Hours"],
        )
        edited = st.data_editor(
            rules,
            num_rows="dynamic",
            hide_index=True,
            key="sla_rules",
            column_config={
                "Segment": st.column_config.SelectboxColumn(options=segments),
                "Survey": st.column_config.SelectboxColumn(options=list(followups.UNHAPPY_MAX)),
                "Hours": st.column_config.NumberColumn(min_value=0.5, required=True),
            },
        )
        bh = sla.business_hours or followups.BusinessHours()
        business = st.toggle("Count business hours only", value=sla.business_hours is not None)
        opens, closes, zone = st.columns(3)
        start = opens.time_input("Opens", bh.start)
        end = closes.time_input("Closes", bh.end)
        timezone = zone.text_input("Team time zone", sla.timezone, help="e.g. Europe/Berlin, America/New_York")
        days = st.multiselect(
            "Working days", list(range(7)), default=list(bh.weekdays), format_func=lambda d: WEEKDAYS[d]
        )
        data_zone, since = st.columns(2)
        data_timezone = data_zone.text_input("Stored times are in", sla.data_timezone)
        starts_on = since.date_input("Queue answers from", value=sla.starts_on, help="Older answers are not queued.")
        if st.form_submit_button("Save the SLA", type="primary"):
            value = {
                "default_hours": default_hours,
                "rules": [
                    {"segment": r["Segment"] or None, "survey": r["Survey"] or None, "hours": r["Hours"]}
                    for r in edited.to_dict("records")
                    if pd.notna(r["Hours"])
                ],
                "business_hours": {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "weekdays": days}
                if business
                else None,
                "timezone": timezone.strip(),
                "data_timezone": data_timezone.strip(),
                "starts_on": starts_on.isoformat() if starts_on else None,
            }
            try:
                checked = followups.SlaPolicy.from_dict(value)
                store.save_setting(db.db_path(), checked.to_dict(), version, _acting(who))
            except (ValueError, store.Conflict, store.NotAllowed) as refused:
                st.error(md(str(refused)))
                return
            st.success("Saved. Due dates follow the new SLA.")
            st.rerun()


# --- the Overview ------------------------------------------------------------------------------


def available() -> bool:
    """Follow-ups are the team's own work, kept in the local file: a read-only warehouse has none."""
    return warehouse.configured() is None


def require_local_database() -> None:
    """The Follow-up page in warehouse mode: say why there is no queue, and draw nothing else."""
    if not available():
        st.info("The follow-up queue lives in the dashboard's own database, and this dashboard reads a warehouse "
                "(read-only). Run the follow-up queue on a dashboard over a local database.",
                icon=":material/database:")  # fmt: skip
        st.stop()


def overview_tiles(filters: Filters) -> None:
    """The closing-the-loop figures on the Overview, under its filters."""
    if not available():
        return
    sla, _ = policy()
    if not ui.query(followups.has_followups):
        return
    st.subheader("Closing the loop")
    tiles(ui.query(followups.did_it_work, filters, sla, _now(sla).replace(minute=0)))
    st.page_link("pages/6_Follow-up.py", label="Open the follow-up queue", icon=":material/call:")


# --- actions on the Trends page ----------------------------------------------------------------


def mark_actions(figure, filters: Filters, split: str | None):
    """The trend with the "you said, we did" actions of its touchpoints marked where they happened."""
    if not available():
        return figure
    chosen = followups.actions_for_trend(ui.query(followups.actions), filters, split)
    chosen = chosen[(chosen["taken_on"] >= filters.start) & (chosen["taken_on"] <= filters.end)]
    return charts.mark_actions(figure, chosen)


def action_results(filters: Filters, split: str | None) -> None:
    """Under a trend: each marked action's before/after test."""
    if not available():
        return
    chosen = followups.actions_for_trend(ui.query(followups.actions), filters, split)
    chosen = chosen[(chosen["taken_on"] >= filters.start) & (chosen["taken_on"] <= filters.end)]
    for action in chosen.to_dict("records"):
        result = ui.query(followups.before_after, action, filters)
        st.caption(
            f":material/flag: {md(action['title'])} ({action['taken_on']:%d %b %Y}): "
            f"{md(followups.before_after_sentence(action, result))}"
        )
