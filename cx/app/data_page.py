"""The Data page's widgets: one uploaded file's plan, mapping editor, validation report and import; the history.

The engine is cx.ingest; this module only shows its answers and collects the user's corrections.
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
from cx.reports import exports
from cx.store import db

KINDS = {
    "": "Detect automatically",
    "customers": "Customers",
    "interactions": "Interactions",
    "responses": "Survey responses",
}
KEEP = "(keep as attribute)"
IGNORE = "ignore"
MAX_UPLOAD_MB = int(os.environ.get("CX_MAX_UPLOAD_MB", "200"))


# Analyses shared by every session (an upload's plan depends only on the file, the choices and the data),
# as st.cache_data would keep them; they run in a child process (cx.ingest.worker), which a cache-decorated
# function could not wait for while the page stays live.
_PLANS: OrderedDict[tuple, ingest.ImportPlan] = OrderedDict()
_PLANS_LOCK = threading.Lock()
MAX_PLANS = 32


def _analyse(upload, content: bytes, digest: str, options: dict) -> ingest.ImportPlan | None:
    """The plan for this upload and these choices: cached, or analysed now with a Cancel button beside it.

    None when the user cancelled (the page then offers to analyse again)."""
    key = (digest, upload.name, json.dumps(options, sort_keys=True), str(db.db_path()), db.data_version())
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
    name = md(upload.name)  # a file name is the sender's text, never markup
    st.subheader(name)
    if len(content) > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(
            f"{name} is {len(content) / 1e6:.0f} MB; the limit is {MAX_UPLOAD_MB} MB. "
            "Import it from the command line: `python -m cx import FILE`"
        )
        return
    choose_kind, choose_sheet, choose_dates = st.columns(3)
    kind = choose_kind.selectbox("What the file holds", list(KINDS), format_func=KINDS.get, key=_key(upload, "kind"))
    overrides = st.session_state.get(_key(upload, "overrides"), {})
    options = {
        "kind": kind or None,
        "mapping": dict(sorted(overrides.items())) or None,
        "sheet": st.session_state.get(_key(upload, "sheet")) or None,
        "date_order": st.session_state.get(_key(upload, "dates")) or None,
        "any_date": bool(st.session_state.get(_key(upload, "any_date"))),
        "encoding": st.session_state.get(_key(upload, "encoding")) or None,
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
    if plan.ambiguous_dates or st.session_state.get(_key(upload, "dates")):
        choose_dates.radio(
            "Dates are written",
            ["", "mdy", "dmy"],
            horizontal=True,
            key=_key(upload, "dates"),
            format_func={"": "not chosen", "mdy": "month/day/year", "dmy": "day/month/year"}.get,
        )
    if plan.problems:
        st.error(md(plan.problems), icon=":material/block:")
        return
    if plan.ambiguous_dates:
        st.warning(
            f"The dates in {md(', '.join(plan.ambiguous_dates))} fit both month/day and day/month "
            "(every day is 12 or less). Say how they are written above.",
            icon=":material/event:",
        )
        return
    st.markdown(
        f"**{plan.rows:,} rows** read as **{md(plan.kind)}**"
        + (f" · format {md(plan.source_format)}" if plan.source_format else "")
    )
    for note in plan.notes:
        st.info(md(note), icon=":material/info:")
    if plan.not_utf8 or st.session_state.get(_key(upload, "encoding")):
        st.radio(
            "The file's text is written in",
            ["", "utf-8", "cp1252", "latin-1"],
            horizontal=True,
            key=_key(upload, "encoding"),
            format_func={"": "UTF-8, other lines Windows-1252 (as read)", "utf-8": "UTF-8 (reject other lines)",
                         "cp1252": "Windows-1252 throughout", "latin-1": "Latin-1 throughout"}.get,
        )  # fmt: skip
    _mapping_editor(upload, plan, overrides)
    with st.expander(f"Preview: the first {len(plan.preview)} rows as they will be stored", expanded=False):
        st.dataframe(plan.preview, hide_index=True)
    if plan.errors:
        st.warning(
            f"Some rows will be rejected and kept aside (not lost). First {len(plan.errors)}:", icon=":material/rule:"
        )
        st.dataframe(pd.DataFrame(plan.errors), hide_index=True)
    else:
        st.success("Every row passed the checks.", icon=":material/check_circle:")
    if plan.implausible_dates or st.session_state.get(_key(upload, "any_date")):
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
    if st.button(f"Import {name}", type="primary", key=_key(upload, "import"), icon=":material/upload:"):
        _import(upload, content, plan, kind, overrides)
    result = st.session_state.get(_key(upload, "result"))
    if result:
        _show_result(result)


def _mapping_editor(upload, plan: ingest.ImportPlan, overrides: dict[str, str]) -> None:
    kept = KEEP if plan.kind == "customers" else IGNORE
    table = pd.DataFrame(
        {
            "Column in the file": plan.headers,
            "Stored as": [plan.mapping.get(h, kept) for h in plan.headers],
        }
    )
    options = [KEEP, *fields.FIELDS] if plan.kind == "customers" else list(fields.FIELDS)
    with st.expander("Column mapping (correct it here)", expanded=bool(plan.unmapped)):
        edited = st.data_editor(
            table,
            hide_index=True,
            disabled=["Column in the file"],
            key=_key(upload, "mapping"),
            column_config={"Stored as": st.column_config.SelectboxColumn(options=options, required=True)},
        )
        changed = {
            row["Column in the file"]: row["Stored as"]
            for _, row in edited.iterrows()
            if row["Stored as"] != plan.mapping.get(row["Column in the file"], kept) and row["Stored as"] != KEEP
        }
        if changed and st.button("Apply mapping", key=_key(upload, "apply")):
            st.session_state[_key(upload, "overrides")] = {**overrides, **changed}
            st.rerun()


def _import(upload, content: bytes, plan: ingest.ImportPlan, kind: str, overrides: dict[str, str]) -> None:
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
            on_conflict=st.session_state.get(_key(upload, "conflict")) or "keep",
            any_date=bool(st.session_state.get(_key(upload, "any_date"))),
            encoding=st.session_state.get(_key(upload, "encoding")) or None,
        )
    except ingest.ImportRefused as refusal:
        bar.empty()
        st.error(md(refusal), icon=":material/block:")
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
