"""The Data page's widgets: one uploaded file's plan, mapping table, figures, checks and import; the history.

The engine is cx.ingest; this module only shows its answers and collects the user's corrections.
The mapping table is always shown and every row can be changed, whatever the analysis found:
a problem sits beside the row it concerns, so the fix is on the same line.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import pandas as pd
import streamlit as st

from cx import access, ingest
from cx.app import auth
from cx.app.safe import md
from cx.ingest import mapping as fields
from cx.ingest import validate, worker
from cx.ingest.plan import ATTRIBUTE
from cx.ingest.saved import save_mapping
from cx.reports import exports
from cx.store import db

KINDS = {
    "": "Detect automatically",
    "customers": "Customers",
    "interactions": "Interactions",
    "responses": "Survey responses",
}
IGNORE = "ignore"
MAX_UPLOAD_MB = int(os.environ.get("CX_MAX_UPLOAD_MB", "200"))
FIELD_LABELS = {
    IGNORE: "not stored",
    ATTRIBUTE: "customer attribute (to filter and segment by)",
    "customer_id": "customer id",
    "name": "customer name",
    "segment": "segment",
    "region": "region",
    "plan": "plan",
    "signup_date": "signup date",
    "churn_date": "churn date",
    "churned": "churned (yes/no)",
    "interaction_id": "interaction / ticket id",
    "occurred_at": "when it happened",
    "channel": "channel",
    "journey_stage": "journey stage",
    "touchpoint": "touchpoint",
    "outcome": "outcome / status",
    "response_time_s": "first response time",
    "resolution_time_s": "resolution time",
    "revenue": "revenue",
    "response_id": "survey response id",
    "responded_at": "when answered",
    "survey": "survey name (per row)",
    "score": "score (scale of the row's survey)",
    "nps_score": "NPS score (0–10)",
    "csat_score": "CSAT score (1–5)",
    "ces_score": "CES score (1–7)",
    "rating10_score": "rating (1–10)",
    "comment": "comment",
}
SHOWN_COLUMNS = 12  # more columns than this that are not stored go in a collapsed list


# Analyses shared by every session (an upload's plan depends only on the file, the choices and the data),
# as st.cache_data would keep them; they run in a child process (cx.ingest.worker), which a cache-decorated
# function could not wait for while the page stays live.
_PLANS: OrderedDict[tuple, ingest.ImportPlan] = OrderedDict()
_PLANS_LOCK = threading.Lock()
MAX_PLANS = 32


def _analyse(upload, content: bytes, digest: str, options: dict) -> ingest.ImportPlan | None:
    """The plan for this upload and these choices: cached, or analysed now with a Cancel button beside it.

    None when the user cancelled (the page then offers to analyse again)."""
    key = (digest, upload.name, json.dumps(options, sort_keys=True, default=str), str(db.db_path()), db.data_version())
    with _PLANS_LOCK:
        if key in _PLANS:
            _PLANS.move_to_end(key)
            return _PLANS[key]
    cancelled = _key(upload, "cancelled")
    if st.session_state.get(cancelled):
        st.info(f"Reading {md(upload.name)} was cancelled.", icon=":material/cancel:")
        st.button("Read it again", key=_key(upload, "again"), on_click=st.session_state.pop, args=(cancelled, None))
        return None
    with tempfile.TemporaryDirectory(prefix="cx-upload-") as folder:
        path = Path(folder) / ("upload" + Path(upload.name).suffix.lower())
        path.write_bytes(content)
        job = worker.start(path, file_name=upload.name, db=str(db.db_path()), **options)
        progress, cancel = st.empty(), st.empty()
        cancel.button("Cancel", key=_key(upload, "cancel"), icon=":material/cancel:",
                      on_click=st.session_state.__setitem__, args=(cancelled, True))  # fmt: skip
        try:
            while not job.done(0.25):  # each redraw lets Streamlit stop this run when the user clicks Cancel
                progress.caption(f"Reading {md(upload.name)}… {job.elapsed:.0f} s (we stop after {job.budget_s:.0f} s)")
            plan = job.result()
        except worker.AnalysisStopped as stopped:
            return ingest.ImportPlan(upload.name, problems=stopped.message)  # not kept: it may go through later
        finally:
            job.cancel()  # a no-op when it finished; ends the child when this run was stopped
            progress.empty()
            cancel.empty()
    with _PLANS_LOCK:
        _PLANS[key] = plan
        while len(_PLANS) > MAX_PLANS:
            _PLANS.popitem(last=False)
    return plan


def _key(upload, name: str) -> str:
    return f"{name}_{hashlib.md5(upload.name.encode()).hexdigest()[:8]}_{upload.size}"


def file_section(upload) -> None:
    """Everything about one uploaded file, from what we detected to the import result."""
    content = upload.getvalue()
    digest = hashlib.sha256(content).hexdigest()
    state = st.session_state
    name = md(upload.name)  # a file name is the sender's text, never markup
    st.subheader(name)
    if len(content) > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(
            f"{md(upload.name)} is {len(content) / 1e6:.0f} MB; the limit is {MAX_UPLOAD_MB} MB. "
            "Import it from the command line: `python -m cx import FILE`"
        )
        return
    choose_kind, choose_sheet, choose_date = st.columns(3)
    kind = choose_kind.selectbox("What the file holds", list(KINDS), format_func=KINDS.get, key=_key(upload, "kind"))
    overrides = state.get(_key(upload, "overrides"), {})
    use_saved = not state.get(_key(upload, "guess_only"), False)
    options = {
        "kind": kind or None,
        "mapping": dict(sorted(overrides.items())) or None,
        "sheet": state.get(_key(upload, "sheet")) or None,
        "date_order": state.get(_key(upload, "dates")) or None,
        "file_date": state.get(_key(upload, "file_date")),
        "use_saved": use_saved,
        "any_date": bool(state.get(_key(upload, "any_date"))),
        "encoding": state.get(_key(upload, "encoding")) or None,
    }
    plan = _analyse(upload, content, digest, options)
    if plan is None:
        return
    if plan.sheets and len(plan.sheets) > 1:
        choose_sheet.selectbox(
            "Sheet",
            plan.sheets,
            index=plan.sheets.index(plan.sheet) if plan.sheet in plan.sheets else 0,
            key=_key(upload, "sheet"),
        )
    if plan.file_date is not None:
        choose_date.date_input(
            "Date of every row (no column gives one)",
            value=plan.file_date,
            key=_key(upload, "file_date"),
            help="The file has no date column; every row is stored with this date.",
        )
    if not plan.headers:  # not a table at all: nothing to map
        st.error(md(plan.problems), icon=":material/block:")
        return
    _summary(plan)
    if plan.saved_mapping:
        note, undo = st.columns([4, 1], vertical_alignment="center")
        note.info(f"The saved mapping “{md(plan.saved_mapping)}” fits these headers, so it was applied.",
                  icon=":material/bookmark:")  # fmt: skip
        if undo.button("Use the guess instead", key=_key(upload, "drop_saved")):
            state[_key(upload, "guess_only")] = True
            state.pop(_key(upload, "overrides"), None)
            st.rerun()
    if plan.problems:
        where = " It is marked in the table below." if plan.problem_column else ""
        st.error(md(plan.problems) + where, icon=":material/block:")
    for note in plan.notes:
        if note.column is None and note.code != "saved_mapping":
            st.info(md(note), icon=":material/info:")
    if plan.not_utf8 or state.get(_key(upload, "encoding")):
        st.radio(
            "The file's text is written in",
            ["", "utf-8", "cp1252", "latin-1"],
            horizontal=True,
            key=_key(upload, "encoding"),
            format_func={"": "UTF-8, other lines Windows-1252 (as read)", "utf-8": "UTF-8 (reject other lines)",
                         "cp1252": "Windows-1252 throughout", "latin-1": "Latin-1 throughout"}.get,
        )  # fmt: skip
    _mapping_table(upload, plan)
    confirmed = _figures(upload, plan)
    if plan.problems is None and not plan.ambiguous_dates:
        with st.expander(f"Preview: the first {len(plan.preview)} rows as they will be stored", expanded=False):
            st.dataframe(plan.preview, hide_index=True)
        if plan.errors:
            st.warning(f"Some rows will be rejected and kept aside (not lost). First {len(plan.errors)}:",
                       icon=":material/rule:")  # fmt: skip
            st.dataframe(pd.DataFrame(plan.errors).fillna(""), hide_index=True)
        else:
            st.success("Every row passed the checks.", icon=":material/check_circle:")
    if plan.implausible_dates or state.get(_key(upload, "any_date")):
        st.checkbox(
            f"Accept dates before {validate.EARLIEST_DATE:%Y} or more than a year ahead ({plan.implausible_dates:,} "
            "rows have one): they are right in this file",
            key=_key(upload, "any_date"),
        )
    if plan.conflicts:
        st.warning(
            f"{plan.conflicts:,} customers in this file are already stored with other values (first of them "
            "below). Choose what happens to them; an undo of this import gives the stored values back.",
            icon=":material/call_split:",
        )
        st.dataframe(pd.DataFrame(plan.conflict_examples), hide_index=True)
        st.radio("Customers already stored", list(ingest.ON_CONFLICT), format_func=lambda c: ingest.ON_CONFLICT[c].capitalize(),
                 key=_key(upload, "conflict"))  # fmt: skip
    _save_form(upload, plan, kind)
    blocked = bool(plan.problems or plan.ambiguous_dates or (plan.warnings and not confirmed))
    if st.button(f"Import {name}", type="primary", key=_key(upload, "import"), icon=":material/upload:",
                 disabled=blocked, help="Settle the marked rows first." if blocked else None):  # fmt: skip
        _import(upload, content, plan, kind, overrides, use_saved, confirmed)
    result = state.get(_key(upload, "result"))
    if result:
        _show_result(result)


def _summary(plan: ingest.ImportPlan) -> None:
    what = fields.KIND_LABELS.get(plan.kind, "nothing we recognise yet")
    source = f" · format {plan.source_format}" if plan.source_format else ""
    sheet = f" · sheet “{md(plan.sheet)}”" if plan.sheet else ""
    st.markdown(f"**{plan.rows:,} rows** read as **{what}**{source}{sheet}")


def _options(plan: ingest.ImportPlan) -> list[str]:
    options = [IGNORE]
    if plan.kind and plan.kind.startswith("customers"):
        options.append(ATTRIBUTE)
    return options + [f for f in fields.FIELDS if f != IGNORE]


def _current(choice) -> str:
    if choice.field:
        return choice.field
    return ATTRIBUTE if choice.stored_in == "attribute" else IGNORE


def _choose(upload_key: str, widget: str, column: str, fixed: dict[str, str]) -> None:
    """A row's field changed: it becomes the user's choice, with the choices made before (and a saved mapping's)."""
    overrides = {**fixed, **st.session_state.get(upload_key, {})}
    chosen = st.session_state[widget]
    if chosen not in fields.SCORE_FIELDS and chosen not in (IGNORE, ATTRIBUTE, "score"):
        # A field takes one column: the newest choice wins, and the column that had it is guessed again.
        overrides = {c: f for c, f in overrides.items() if f != chosen}
    overrides[column] = chosen
    st.session_state[upload_key] = overrides


def _mapping_table(upload, plan: ingest.ImportPlan) -> None:
    st.markdown("**Columns and what each is stored as** — change any row; your choice is never overridden.")
    options = _options(plan)
    fixed = {c.column: _current(c) for c in plan.columns if c.chosen_by in ("you", "saved")}
    overrides_key = _key(upload, "overrides")
    flagged = {n.column for n in plan.notes if n.column} | {plan.problem_column} | set(plan.ambiguous_dates)
    main = [
        (i, c)
        for i, c in enumerate(plan.columns)
        if c.field or c.stored_in or c.column in flagged or c.chosen_by != "guess"
    ]
    rest = [(i, c) for i, c in enumerate(plan.columns) if (i, c) not in main]
    if len(main) + len(rest) <= SHOWN_COLUMNS:
        main, rest = sorted(main + rest), []
    head = st.columns([3, 3, 5])
    head[0].caption("Column in the file · sample values")
    head[1].caption("Stored as")
    head[2].caption("Why, and what to check")
    for index, choice in main:
        _mapping_row(upload, plan, index, choice, options, fixed, overrides_key)
    if rest:
        with st.expander(f"{len(rest)} more columns, not stored — open to store one", expanded=False):
            for index, choice in rest:
                _mapping_row(upload, plan, index, choice, options, fixed, overrides_key)
    if st.session_state.get(overrides_key):
        if st.button("Start again from the guess", key=_key(upload, "reset"), icon=":material/restart_alt:"):
            st.session_state.pop(overrides_key, None)
            st.rerun()


def _mapping_row(upload, plan, index: int, choice, options, fixed, overrides_key) -> None:
    name, stored, why = st.columns([3, 3, 5], vertical_alignment="top")
    name.markdown(f"**{md(choice.column)}**")
    if choice.samples:
        name.caption(" · ".join(md(v if len(v) <= 40 else v[:39] + "…") for v in choice.samples))
    widget = f"{_key(upload, 'field')}_{index}"
    st.session_state[widget] = _current(choice)  # the plan is the truth; a change comes back as the user's choice
    choices = options if _current(choice) in options else [*options, _current(choice)]
    stored.selectbox(
        f"Stored as ({choice.column})",
        choices,
        format_func=lambda f: FIELD_LABELS.get(f, f),
        key=widget,
        label_visibility="collapsed",
        on_change=_choose,
        args=(overrides_key, widget, choice.column, fixed),
    )
    stored_in = f" · into {choice.stored_in}" if choice.stored_in and choice.stored_in != "attribute" else ""
    why.caption(md(choice.reason) + stored_in)
    if plan.problem_column == choice.column and plan.problems:
        why.error(md(plan.problems), icon=":material/block:")
    if choice.column in plan.ambiguous_dates:
        _date_order(upload, plan, index, why)
    for note in plan.notes_for(choice.column):
        (why.warning if note.severity == "warning" else why.info)(md(note), icon=":material/info:")
    if choice.suggestion and not choice.field:
        label = FIELD_LABELS.get(choice.suggestion, choice.suggestion)
        why.button(f"Store as {label}", key=f"{widget}_suggested", icon=":material/auto_fix:",
                   help="Its values fit this scale; check the figure it makes before importing.",
                   on_click=_suggested, args=(overrides_key, choice.column, choice.suggestion, fixed))  # fmt: skip


def _suggested(upload_key: str, column: str, chosen: str, fixed: dict[str, str]) -> None:
    """The one-click fix beside a row: the suggested field becomes the user's choice for that column."""
    st.session_state[upload_key] = {**fixed, **st.session_state.get(upload_key, {}), column: chosen}


def _date_order(upload, plan: ingest.ImportPlan, index: int, where) -> None:
    """Day and month order cannot be told from the values: offer both readings of an example."""
    fmt = plan.dates.get(index)
    example = fmt.example if fmt is not None else None
    readings = {
        "mdy": f"month/day/year: “{example}” is {fmt.reading(example, 'mdy')}" if example else "month/day/year",
        "dmy": f"day/month/year: “{example}” is {fmt.reading(example, 'dmy')}" if example else "day/month/year",
    }
    where.error("Every day is 12 or less, so the dates read both ways. How are they written?", icon=":material/event:")
    where.radio(
        "Dates are written",
        ["mdy", "dmy"],
        index=None,
        key=_key(upload, "dates"),
        format_func=lambda order: md(readings[order]),
    )


def _figures(upload, plan: ingest.ImportPlan) -> bool:
    """Each rating column's values and the figure it will make; returns whether its warnings are confirmed."""
    if not plan.previews:
        return True
    st.markdown("**The figures this import will add**")
    columns = st.columns(min(len(plan.previews), 3))
    for position, preview in enumerate(plan.previews):
        with columns[position % len(columns)]:
            st.markdown(f"**{preview.figure}**")  # our own words and numbers, no data text
            st.caption(md(preview.column))
            bars = pd.DataFrame({"rows": list(preview.histogram.values())}, index=list(preview.histogram))
            st.bar_chart(bars, height=160, x_label="value", y_label="rows", sort=False)
    if not plan.warnings:
        return True
    for note in plan.warnings:
        st.warning(md(note), icon=":material/warning:")
    return st.checkbox("I checked these figures: import anyway", key=_key(upload, "confirm"))


def _save_form(upload, plan: ingest.ImportPlan, kind: str) -> None:
    if not plan.columns or plan.kind is None:
        return
    with st.popover("Save this mapping…", icon=":material/bookmark_add:"):
        st.caption("A file with the same headers gets it proposed automatically.")
        # A form, so Enter in the name saves instead of only rerunning the page (which closes the popover).
        with st.form(key=_key(upload, "save_form"), border=False):
            name = st.text_input("Mapping name", key=_key(upload, "save_name"), placeholder="e.g. Monthly NPS export")
            submitted = st.form_submit_button("Save mapping")
        if submitted and not name.strip():
            st.warning("Give the mapping a name first.")
        elif submitted:
            person = auth.require("editor", "saving a mapping")
            save_mapping(name, plan.headers, plan.full_mapping(), db.db_path(), kind=kind or None,
                         date_order=st.session_state.get(_key(upload, "dates")) or None,
                         saved_by=auth.actor(person).who)  # fmt: skip
            # A toast, not a message in the popover: the rerun that saved has closed the popover.
            st.toast(f"Saved as “{md(name.strip())}”.", icon=":material/bookmark:")


def _import(upload, content: bytes, plan: ingest.ImportPlan, kind: str, overrides: dict[str, str], use_saved: bool,
            confirmed: bool) -> None:  # fmt: skip
    person = auth.require("editor", "importing files")  # here, not only on the page: the server refuses
    bar = st.progress(0.0, text="Starting")
    try:
        result = ingest.import_file(
            content,
            file_name=upload.name,
            db=db.db_path(),
            kind=kind or None,
            mapping=overrides or None,
            sheet=st.session_state.get(_key(upload, "sheet")) or None,
            date_order=st.session_state.get(_key(upload, "dates")) or None,
            progress=lambda fraction, text: bar.progress(min(max(fraction, 0.0), 1.0), text=text),
            actor=auth.actor(person),
            file_date=st.session_state.get(_key(upload, "file_date")),
            accept_warnings=confirmed,
            use_saved=use_saved,
            on_conflict=st.session_state.get(_key(upload, "conflict")) or "keep",
            any_date=bool(st.session_state.get(_key(upload, "any_date"))),
            encoding=st.session_state.get(_key(upload, "encoding")) or None,
        )
    except ingest.ImportRefused as refusal:
        bar.empty()
        st.error(md(refusal.message), icon=":material/block:")
        return
    except db.DatabaseBusy as busy:
        bar.empty()
        st.error(md(busy), icon=":material/hourglass_top:")
        return
    bar.empty()
    st.session_state[_key(upload, "result")] = result


def _show_result(result: ingest.ImportResult) -> None:
    imported, duplicates, rejected = st.columns(3)
    imported.metric("Imported", f"{result.imported:,}")
    duplicates.metric("Duplicates skipped", f"{result.duplicates:,}")
    rejected.metric("Rejected", f"{result.rejected:,}")
    st.success(
        f"Import #{result.import_id}: {result.rows:,} rows in the file = {result.imported:,} imported + "
        f"{result.duplicates:,} already stored + {result.rejected:,} rejected. The dashboard shows them now."
        + (f" {result.updated:,} stored customers took this file's values." if result.updated else ""),
        icon=":material/task_alt:",
    )
    if result.rejected:
        st.dataframe(pd.DataFrame(result.errors), hide_index=True)
        rejects = ingest.rejected_rows(result.import_id, db=db.db_path())
        st.download_button(
            "Download rejected rows (CSV)",
            exports.csv_bytes(rejects),
            file_name=f"rejected-{result.import_id}.csv",
            mime="text/csv",
            key=f"rejects_{result.import_id}",
            icon=":material/download:",
            on_click=auth.record_export,
            args=(f"rejected-{result.import_id}.csv", len(rejects)),
        )


def history() -> None:
    """Every import, newest first, with a way to undo one."""
    st.subheader("Import history")
    try:
        imports = ingest.import_history(db=db.db_path())
    except db.DatabaseBusy as busy:  # an import or undo is writing: the history is back in a moment
        st.warning(md(busy), icon=":material/hourglass_top:")
        return
    if imports.empty:
        st.caption("Nothing imported yet.")
        return
    shown = imports.rename(
        columns={
            "import_id": "#",
            "file_name": "File",
            "kind": "Kind",
            "imported_at": "When",
            "imported_by": "Who",
            "rows": "Rows",
            "imported": "Imported",
            "duplicates": "Duplicates",
            "rejected": "Rejected",
            "status": "Status",
        }
    )
    st.dataframe(shown, hide_index=True)
    with_rejects = imports[imports["rejected"] > 0]
    if len(with_rejects):
        names = {
            int(r.import_id): f"#{r.import_id} · {r.file_name} ({r.rejected:,} rejected)"
            for r in with_rejects.itertuples()
        }
        pick, download = st.columns([3, 2], vertical_alignment="bottom")
        chosen = pick.selectbox("Rejected rows of an import", list(names), format_func=names.get, key="rejects_pick")
        rejects = ingest.rejected_rows(chosen, db=db.db_path())
        download.download_button("Download them (CSV)", exports.csv_bytes(rejects),
                                 file_name=f"rejected-{chosen}.csv", mime="text/csv", key="rejects_history",
                                 icon=":material/download:", on_click=auth.record_export,
                                 args=(f"rejected-{chosen}.csv", len(rejects)))  # fmt: skip
    if message := st.session_state.pop("undo_message", None):
        st.success(message, icon=":material/undo:")
    person = auth.require("editor", "undoing imports")
    active = imports[(imports["status"] == "done") & imports["imported_by"].map(lambda by: access.may_undo(person, by))]
    if active.empty:
        if (imports["status"] == "done").any():
            st.caption("You can undo only the imports you made yourself; an admin can undo any import.")
        return
    labels = {int(r.import_id): f"#{r.import_id} · {r.file_name} ({r.imported:,} rows)" for r in active.itertuples()}
    pick, confirm = st.columns([3, 2], vertical_alignment="bottom")
    chosen = pick.selectbox("Undo an import", list(labels), format_func=labels.get, key="undo_pick")
    with confirm.popover("Undo…", icon=":material/undo:"):
        st.markdown(f"Remove every row that {md(labels[chosen])} added? The file's other imports stay.")
        if st.button("Yes, undo it", type="primary", key="undo_confirm"):
            _undo(chosen)


def _undo(import_id: int) -> None:
    """The undo itself, checked again here and inside the transaction: a replayed click changes nothing."""
    person = auth.require("editor", "undoing an import")
    only_by = None if person.has("admin") else person.email
    try:
        with st.spinner("Undoing the import, then finding the themes of the comments that remain…"):
            removed = ingest.undo_import(import_id, db=db.db_path(), actor=auth.actor(person), only_by=only_by)
    except ingest.UndoRefused as refusal:
        auth.record("refused", f"undoing import #{import_id}", detail={"reason": str(refusal)}, person=person)
        st.error(md(refusal), icon=":material/lock:")
        return
    except db.DatabaseBusy as busy:  # another import or undo is writing: nothing was changed
        st.warning(md(busy), icon=":material/hourglass_top:")
        return
    st.session_state["undo_message"] = f"Import #{import_id} undone: {removed:,} records removed."
    st.rerun()
