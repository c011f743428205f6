"""Storing the checked rows: stable ids, duplicates, one transaction, rejects kept, undo.

Identity: the file's own id column when it has one; otherwise a hash of the
row's mapped values plus its occurrence among identical rows of the same file,
so re-importing a file adds nothing while two identical purchases in one file
stay two.

A record the file brings that is already stored is not added twice, but the import
claims it (`import_claims`): undoing the import that stored it first hands the record
on to the latest import still standing that also brought it, instead of removing it
from under that import. A customer already stored is a conflict the user decides:
keep the stored values (the default), replace them with the file's, or merge (the
file's values where it has them). Either way the claim keeps the values the other
side had, so an undo restores exactly what was there before.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from cx.ingest import comments
from cx.ingest.plan import ImportPlan
from cx.store import audit, rollups
from cx.store.db import DatabaseBusy, connect, db_path, writing

CUSTOMER = ("customer_id", "name", "segment", "region", "plan", "signup_date", "churn_date", "churned")
INTERACTION = ("interaction_id", "customer_id", "occurred_at", "channel", "journey_stage", "touchpoint", "outcome",
               "response_time_s", "resolution_time_s", "revenue")  # fmt: skip
RESPONSE = ("response_id", "customer_id", "responded_at", "survey", "score", "comment", "touchpoint", "channel",
            "journey_stage", "interaction_id", "question")  # fmt: skip
TABLES = {"customers": ("customer_id", CUSTOMER), "interactions": ("interaction_id", INTERACTION),
          "responses": ("response_id", RESPONSE)}  # fmt: skip
ON_CONFLICT = {
    "keep": "keep the stored customer as it is",
    "replace": "replace it with this file's row",
    "merge": "take this file's values where it has them, keep the stored ones elsewhere",
}
# A customer as a claim remembers it: its values and its attributes, to be handed back on an undo.
_VERSION = """to_json(struct_pack(name := {t}.name, segment := {t}.segment, region := {t}.region, plan := {t}.plan,
    signup_date := {t}.signup_date, churn_date := {t}.churn_date, churned := {t}.churned,
    attributes := coalesce((SELECT list(struct_pack(attribute := a.attribute, value := a.value))
                            FROM {attributes} a WHERE {match}), [])))"""


def _f(plan: ImportPlan, field: str, cast: str = "VARCHAR") -> str:
    if field in plan.fields:
        return f"f_{field}"
    if field in plan.dated_by_file:  # no column gives the date: the one date the user chose for the file
        return f"TIMESTAMP '{plan.file_date.isoformat()}'"
    return f"NULL::{cast}"


def _text(value: str | None) -> str:
    """A SQL string literal for our own text (a header kept as the question), or NULL."""
    return "NULL::VARCHAR" if value is None else "'" + value.replace("'", "''") + "'"


def _hash_id(plan: ImportPlan, fields: list[str], extra: str = "") -> str:
    parts = ", ".join(f"coalesce(f_{f}::VARCHAR, '∅')" for f in sorted(fields) if f in plan.fields) or "''"
    return f"substr(md5(concat_ws('|', {parts}{extra})), 1, 24)"


def prepare(con: duckdb.DuckDBPyConnection, plan: ImportPlan) -> None:
    """ready_<table>(_record, columns..., first_in_file) for each table this file fills."""
    ok = "FROM checked WHERE len(problems) = 0"
    if plan.kind.startswith("customers"):
        churned = (
            "coalesce(f_churned, FALSE)"
            if "churned" in plan.fields
            else ("f_churn_date IS NOT NULL" if "churn_date" in plan.fields else "FALSE")
        )
        columns = ", ".join(
            [_f(plan, f) for f in CUSTOMER[:5]] + [_f(plan, "signup_date", "DATE"), _f(plan, "churn_date", "DATE")]
        )
        _ready(con, "customers", f"SELECT _record, {columns}, {churned} {ok}", "customer_id",
               unique=not plan.composite_key and _unique_field(plan, "customer_id"))  # fmt: skip
        con.execute("CREATE OR REPLACE TABLE attribute_names (idx INTEGER, attribute VARCHAR)")
        indexes = [plan.headers.index(h) for h in plan.attributes]
        if indexes:
            con.executemany("INSERT INTO attribute_names VALUES (?, ?)", [[i, plan.headers[i]] for i in indexes])
        union = " UNION ALL ".join(f"SELECT _record, {i} AS idx, trim(c{i}) AS value FROM checked JOIN staged USING (_record) WHERE len(problems) = 0"
                                   for i in indexes) or "SELECT NULL::INTEGER, NULL::INTEGER, NULL::VARCHAR WHERE FALSE"  # fmt: skip
        con.execute(
            f"""CREATE OR REPLACE TABLE ready_attributes AS
                SELECT a._record, c.customer_id, n.attribute, a.value
                FROM ({union}) AS a(_record, idx, value) JOIN attribute_names n USING (idx)
                JOIN ready_customers c USING (_record)
                WHERE a.value IS NOT NULL AND a.value <> '' AND c.first_in_file"""
        )
    if "interactions" in plan.kind:
        if "interaction_id" in plan.fields:
            ident = "f_interaction_id"
        else:
            ident = _hash_id(plan, [f for f in INTERACTION if f != "interaction_id"])
            ident = f"'i-' || {ident} || CASE WHEN count(*) OVER (PARTITION BY {ident} ORDER BY _record) > 1 THEN '-' || count(*) OVER (PARTITION BY {ident} ORDER BY _record) ELSE '' END"
        columns = ", ".join(_f(plan, f, {"occurred_at": "TIMESTAMP", "response_time_s": "DOUBLE",
                                         "resolution_time_s": "DOUBLE", "revenue": "DOUBLE"}.get(f, "VARCHAR"))
                            for f in INTERACTION[1:])  # fmt: skip
        _ready(con, "interactions", f"SELECT _record, {ident}, {columns} {ok}", "interaction_id",
               unique=_unique_field(plan, "interaction_id"))  # fmt: skip
    if "responses" in plan.kind and plan.scores:
        selects = []
        # A row's comment is one verbatim, not one per question: it goes with the row's first answered
        # question, NPS first (the "why" a survey asks after the recommend question), then file order.
        rank = {"nps": 0, "csat": 1, "ces": 2}
        order = sorted(range(len(plan.scores)), key=lambda k: (rank.get(plan.scores[k].survey, 3), k))
        for k, score in enumerate(plan.scores):
            ahead = order[: order.index(k)]
            comment = _f(plan, "comment")
            if ahead and "comment" in plan.fields:
                comment = f"CASE WHEN {' AND '.join(f's{j} IS NULL' for j in ahead)} THEN {comment} END"
            survey = f"'{score.survey}'" if score.survey else "f_survey"
            touchpoint = _text(score.touchpoint) if score.touchpoint else _f(plan, "touchpoint")
            if plan.kind == "interactions+responses":
                interaction, when = "r.interaction_id", "r.occurred_at"
                if "responded_at" in plan.fields:
                    when = "coalesce(f_responded_at, r.occurred_at)"
                ident = f"r.interaction_id || ':' || {survey}"
                if len(plan.scores) > 1:
                    ident += f" || ':{score.key}'"
                source = "checked JOIN ready_interactions r USING (_record)"
            elif plan.kind == "customers+responses":
                # A customer's answers: one per question, linked to the customer, stable across re-imports.
                interaction, when = "NULL::VARCHAR", _f(plan, "responded_at")
                ident = f"c.customer_id || ':' || {survey} || ':{score.key}'"
                source = "checked JOIN ready_customers c USING (_record)"
            else:
                interaction, when = _f(plan, "interaction_id"), _f(plan, "responded_at")
                if "response_id" in plan.fields:
                    ident = "f_response_id" + (f" || ':{score.key}'" if len(plan.scores) > 1 else "")
                else:
                    ident = _hash_id(
                        plan, [f for f in RESPONSE if f not in ("response_id",)], f", '{score.key}', s{k}::VARCHAR"
                    )
                    ident = f"'r-' || {ident} || CASE WHEN count(*) OVER (PARTITION BY {ident} ORDER BY _record) > 1 THEN '-' || count(*) OVER (PARTITION BY {ident} ORDER BY _record) ELSE '' END"
                source = "checked"
            selects.append(
                f"""SELECT _record, {ident}, {_f(plan, "customer_id")}, {when}, {survey}, s{k}, {comment},
                           {touchpoint}, {_f(plan, "channel")}, {_f(plan, "journey_stage")}, {interaction}, {_text(score.question)}
                    FROM {source} WHERE len(problems) = 0 AND s{k} IS NOT NULL"""
            )
        _ready(con, "responses", " UNION ALL ".join(selects), "response_id")


def _unique_field(plan: ImportPlan, field: str) -> bool:
    """Whether the field's column repeats no value (measured by the plan) and is stored as the file has it."""
    index = plan.fields.get(field)
    changed = {column.index for column in plan.personal if column.stored_as and column.rule in ("hash", "drop")}
    return index is not None and index in plan.unique_columns and index not in changed


def _ready(con: duckdb.DuckDBPyConnection, table: str, select: str, key: str, unique: bool = False) -> None:
    """`unique`: the key is known to repeat in no row, so every row is the first of its id in the file."""
    names = ", ".join(TABLES[table][1])
    if unique:  # a view: the checked rows as they are, not a second copy of a million of them
        con.execute(f"CREATE OR REPLACE VIEW ready_{table} AS SELECT *, TRUE AS first_in_file FROM ({select}) AS rows(_record, {names})")  # fmt: skip
        return
    con.execute(
        f"""CREATE OR REPLACE TABLE ready_{table} AS
            SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY _record) = 1 AS first_in_file
            FROM ({select}) AS rows(_record, {names})"""
    )


def write(db, stage_file: Path, plan: ImportPlan, rejects: list[dict], imported_by: str | None,
          actor: audit.Actor | None = None, on_conflict: str = "keep") -> dict:  # fmt: skip
    """Insert the new rows, the claims, the imports row, the rejects and the audit event in one transaction.

    Returns the counts; `updated` is how many stored customers were replaced or merged (`on_conflict`)."""
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f'on_conflict is one of {", ".join(ON_CONFLICT)}, not "{on_conflict}"')
    if actor is None:
        actor = audit.Actor(imported_by, via="api") if imported_by else audit.Actor.operator()
    tables = [t for t in TABLES if t in plan.kind.split("+")]
    with writing(db) as con:
        con.execute("SET enable_progress_bar = false")
        # ATTACH takes no parameters; the path is our own temporary file, quoted as a literal.
        con.execute("ATTACH '" + str(stage_file).replace("'", "''") + "' AS stage (READ_ONLY)")
        con.execute("BEGIN TRANSACTION")
        try:
            import_id = con.execute("SELECT nextval('import_id_seq')").fetchall()[0][0]
            new_records = []
            for table in tables:
                key, columns = TABLES[table]
                names = ", ".join(columns)
                # New = first of its id in the file and not already stored.
                new = f"""SELECT r.* FROM stage.ready_{table} r
                          WHERE r.first_in_file AND r.{key} NOT IN (SELECT {key} FROM main.{table})"""
                if tables == ["interactions"]:
                    # One interaction a row: the rows inserted are the rows imported, with no copy of them first.
                    updated = _claim(con, table, key, import_id, "keep")
                    imported = con.execute(
                        f"INSERT INTO main.{table} ({names}, import_id) SELECT {names}, ? FROM ({new})", [import_id]
                    ).fetchall()[0][0]
                    break
                con.execute(f"CREATE OR REPLACE TEMP TABLE new_{table} AS {new}")
                updated = _claim(con, table, key, import_id, on_conflict if table == "customers" else "keep")
                con.execute(
                    f"INSERT INTO main.{table} ({names}, import_id) SELECT {names}, ? FROM new_{table}", [import_id]
                )
                new_records.append(f"SELECT _record FROM new_{table}")
            if "customers" in tables:
                con.execute(
                    """INSERT INTO main.customer_attributes (customer_id, attribute, value, import_id)
                       SELECT a.customer_id, a.attribute, a.value, ? FROM stage.ready_attributes a
                       JOIN new_customers USING (_record)""",
                    [import_id],
                )
            if new_records:
                imported = con.execute(
                    f"SELECT count(DISTINCT _record) FROM ({' UNION ALL '.join(new_records)})"
                ).fetchall()[0][0]
            rejected = len({e["row"] for e in rejects})
            counts = {
                "rows": plan.rows,
                "imported": imported,
                "duplicates": plan.rows - imported - rejected,
                "rejected": rejected,
            }
            counts["updated"] = updated if "customers" in tables else 0
            con.execute(
                """INSERT INTO imports (import_id, file_name, kind, imported_at, imported_by, rows, imported, duplicates,
                                        rejected, mapping, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'done')""",
                [import_id, plan.file_name, plan.kind, datetime.now(), imported_by or actor.who, counts["rows"],
                 counts["imported"], counts["duplicates"], counts["rejected"], json.dumps(plan.mapping, ensure_ascii=False)],
            )  # fmt: skip
            if rejects:
                frame = pd.DataFrame(rejects)[["row", "column", "value", "reason", "record"]]
                con.register("rejects_frame", frame)
                con.execute(
                    """INSERT INTO import_rejects SELECT ?, "row", "column", "value", reason, record::JSON FROM rejects_frame""",
                    [import_id],
                )
                con.unregister("rejects_frame")
            # Which stored fields hold personal data, so screens can mask them for viewers.
            for column in plan.personal:
                if column.stored_as and column.rule != "drop":
                    con.execute("INSERT INTO personal_fields VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                [column.stored_as, column.kind, column.header, import_id])  # fmt: skip
            rollups.refresh(con, [import_id])  # this import's share of the daily rollups, in its transaction
            audit.record("import", f"{plan.file_name} (import #{import_id})", actor=actor, rows=imported, con=con,
                         detail={"import_id": import_id, "kind": plan.kind, **counts})  # fmt: skip
            before_commit(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            _detach(con)
    return counts | {"import_id": import_id}


def _claim(con: duckdb.DuckDBPyConnection, table: str, key: str, import_id: int, on_conflict: str) -> int:
    """Claim the records of stage.ready_<table> that are already stored; replace or merge customers if asked.

    Returns how many stored customers were changed."""
    stored = f"""SELECT r.* FROM stage.ready_{table} r
                 WHERE r.first_in_file AND r.{key} IN (SELECT {key} FROM main.{table})"""
    if table != "customers":  # ids of events: the same id is the same event, so the claim needs no values
        con.execute(f"INSERT INTO import_claims SELECT ?, '{table}', {key}, NULL FROM ({stored})", [import_id])
        return 0
    con.execute(f"CREATE OR REPLACE TEMP TABLE stored_{table} AS {stored}")
    if on_conflict == "keep":  # the file's own version waits in the claim, should the stored one be undone
        mine = _VERSION.format(t="r", attributes="stage.ready_attributes", match="a._record = r._record")
        con.execute(f"INSERT INTO import_claims SELECT ?, 'customers', customer_id, {mine} FROM stored_customers r",
                    [import_id])  # fmt: skip
        return 0
    # Replace or merge: the owner so far keeps its version in a claim, and this import owns the row.
    theirs = _VERSION.format(t="c", attributes="main.customer_attributes", match="a.customer_id = c.customer_id")
    con.execute(
        f"""INSERT INTO import_claims
            SELECT c.import_id, 'customers', c.customer_id, {theirs} FROM main.customers c
            WHERE c.customer_id IN (SELECT customer_id FROM stored_customers) AND c.import_id IS NOT NULL"""
    )
    value = (lambda column: f"r.{column}") if on_conflict == "replace" else (lambda column: f"coalesce(r.{column}, c.{column})")  # fmt: skip
    columns = ("name", "segment", "region", "plan", "signup_date", "churn_date")
    changed = con.execute(
        f"""UPDATE main.customers AS c SET {", ".join(f"{column} = {value(column)}" for column in columns)},
                churned = r.churned, import_id = ?
            FROM stored_customers r WHERE c.customer_id = r.customer_id""",
        [import_id],
    ).fetchall()[0][0]
    # Attributes: replace takes the file's set; merge the file's value for each attribute it names.
    same = "" if on_conflict == "replace" else " AND (customer_id, attribute) IN (SELECT customer_id, attribute FROM stage.ready_attributes)"  # fmt: skip
    con.execute(
        f"DELETE FROM main.customer_attributes WHERE customer_id IN (SELECT customer_id FROM stored_customers){same}"
    )
    con.execute(
        """INSERT INTO main.customer_attributes (customer_id, attribute, value, import_id)
           SELECT a.customer_id, a.attribute, a.value, ? FROM stage.ready_attributes a
           JOIN stored_customers USING (_record)""",
        [import_id],
    )
    return changed


def customer_conflicts(
    con: duckdb.DuckDBPyConnection, plan: ImportPlan, db, examples: int = 5
) -> tuple[int, list[dict]]:
    """(how many customers of the file are already stored with other values, a few of them side by side).

    Read-only: the stored customers are fetched for the file's ids only."""
    if plan.kind != "customers" or plan.problems:
        return 0, []
    path = db_path(db)
    if not path.exists():
        return 0, []
    file_rows = con.execute(
        "SELECT customer_id, name, segment, region, plan, signup_date, churn_date, churned FROM ready_customers "
        "WHERE first_in_file"
    ).to_arrow_table()
    try:
        stored = connect(path, read_only=True, timeout_s=5)
    except DatabaseBusy:
        return 0, []
    try:
        stored.register("file_rows", file_rows)
        differing = """FROM file_rows f JOIN customers c USING (customer_id)
                       WHERE (f.name, f.segment, f.region, f.plan, f.signup_date, f.churn_date, f.churned)
                             IS DISTINCT FROM (c.name, c.segment, c.region, c.plan, c.signup_date, c.churn_date, c.churned)"""
        count = stored.execute(f"SELECT count(*) {differing}").fetchall()[0][0]
        shown = stored.execute(
            f"""SELECT customer_id, c.import_id, c.segment, f.segment, c.region, f.region, c.plan, f.plan
                {differing} ORDER BY customer_id LIMIT {int(examples)}"""
        ).fetchall()
    except duckdb.CatalogException:  # a database from before the tables existed
        return 0, []
    finally:
        stored.close()
    return count, [
        {"customer_id": row[0], "stored by import": row[1], "stored segment": row[2], "file segment": row[3],
         "stored region": row[4], "file region": row[5], "stored plan": row[6], "file plan": row[7]}
        for row in shown
    ]  # fmt: skip


def before_commit(con: duckdb.DuckDBPyConnection) -> None:
    """Last moment before COMMIT: a hook tests use to fail an import half-way."""


def _detach(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("DETACH stage")
    except duckdb.Error:
        pass


class UndoRefused(PermissionError):
    """An editor asked to undo an import that someone else made."""


def undo_import(import_id: int, db=None, *, actor: audit.Actor | None = None, only_by: str | None = None) -> int:
    """Remove exactly the rows that import added; returns how many records (customers, interactions, responses).

    With `only_by` (an editor's e-mail), refuses unless that person made the import: checked inside the
    transaction, so what is checked is what is undone."""
    actor = actor or audit.Actor.operator()
    with writing(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            found = con.execute(
                "SELECT file_name, imported_by FROM imports WHERE import_id = ?", [import_id]
            ).fetchone()
            if only_by is not None and (found is None or (found[1] or "").strip().lower() != only_by.strip().lower()):
                made_by = found[1] if found and found[1] else "someone else"
                raise UndoRefused(f"Import #{import_id} was made by {made_by}; an editor can undo only their own "
                                  "imports. Ask an admin to undo it.")  # fmt: skip
            handed, heirs = _hand_on(con, import_id)
            removed = 0
            con.execute("DELETE FROM customer_attributes WHERE import_id = ?", [import_id])
            con.execute("DELETE FROM personal_fields WHERE import_id = ?", [import_id])
            for table in ("responses", "interactions", "customers"):
                removed += con.execute(f"DELETE FROM {table} WHERE import_id = ?", [import_id]).fetchall()[0][0]
            con.execute("DELETE FROM import_claims WHERE import_id = ?", [import_id])
            forgotten = comments.forget_removed(con)
            con.execute("UPDATE imports SET status = 'undone' WHERE import_id = ?", [import_id])
            rollups.refresh(con, [import_id, *heirs])  # its share goes; the records handed on count with their heirs
            what = f"{found[0]} (import #{import_id})" if found else f"import #{import_id}"
            audit.record("undo", what, actor=actor, rows=removed, con=con,
                         detail={"import_id": import_id, "imported_by": found[1] if found else None,
                                 "handed_on": handed})  # fmt: skip
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    comments.after_undo(forgotten, db)  # themes over the comments that remain, as after an import
    return removed


def _hand_on(con: duckdb.DuckDBPyConnection, import_id: int) -> tuple[int, set[int]]:
    """Records the import owns that a standing import also brought pass to the latest such import.

    Customers take that import's own values and attributes (kept in its claim); events keep theirs
    (the same id is the same event). Returns how many records were handed on, and to which imports."""
    handed, heirs = 0, set()
    for table, (key, _) in TABLES.items():
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE heirs AS
                SELECT cl.record_key, max(cl.import_id) AS heir FROM import_claims cl
                JOIN imports i ON i.import_id = cl.import_id AND i.status = 'done'
                WHERE cl.table_name = '{table}' AND cl.import_id <> ?
                  AND cl.record_key IN (SELECT {key} FROM main.{table} WHERE import_id = ?)
                GROUP BY cl.record_key""",
            [import_id, import_id],
        )
        found = {row[0] for row in con.execute("SELECT DISTINCT heir FROM heirs").fetchall()}
        if not found:
            continue
        heirs |= found
        if table == "customers":
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE heir_versions AS
                    SELECT h.record_key, h.heir, cl.version FROM heirs h JOIN import_claims cl
                    ON cl.import_id = h.heir AND cl.table_name = '{table}' AND cl.record_key = h.record_key"""
            )
            con.execute(
                """UPDATE customers AS c SET name = v.version->>'name', segment = v.version->>'segment',
                       region = v.version->>'region', plan = v.version->>'plan',
                       signup_date = (v.version->>'signup_date')::DATE, churn_date = (v.version->>'churn_date')::DATE,
                       churned = coalesce((v.version->>'churned')::BOOLEAN, FALSE), import_id = v.heir
                   FROM heir_versions v WHERE c.customer_id = v.record_key"""
            )
            con.execute("DELETE FROM customer_attributes WHERE customer_id IN (SELECT record_key FROM heir_versions)")
            con.execute(
                """INSERT INTO customer_attributes (customer_id, attribute, value, import_id)
                   SELECT record_key, a.attribute, a.value, heir FROM (
                       SELECT record_key, heir, unnest(from_json(version->'attributes',
                                                                '[{"attribute": "VARCHAR", "value": "VARCHAR"}]')) AS a
                       FROM heir_versions)"""
            )
        else:
            con.execute(
                f"""UPDATE main.{table} AS t SET import_id = h.heir FROM heirs h
                    WHERE t.{key} = h.record_key AND t.import_id = ?""",
                [import_id],
            )
        handed += con.execute(
            f"""DELETE FROM import_claims WHERE table_name = '{table}'
                AND (import_id, record_key) IN (SELECT heir, record_key FROM heirs)"""
        ).fetchall()[0][0]
    return handed, heirs


def import_history(db=None) -> pd.DataFrame:
    """Every import, newest first: file, kind, who, when, counts, status."""
    con = _read(db)
    try:
        return con.execute(
            """SELECT import_id, file_name, kind, imported_at, imported_by, rows, imported, duplicates, rejected, status
               FROM imports ORDER BY import_id DESC"""
        ).df()
    finally:
        con.close()


def rejected_rows(import_id: int, db=None) -> pd.DataFrame:
    """The rows an import could not store, with the reason and the whole record, for a download."""
    con = _read(db)
    try:
        return con.execute(
            """SELECT "row", "column", value, reason, record::VARCHAR AS record
               FROM import_rejects WHERE import_id = ? ORDER BY "row", "column" """,
            [import_id],
        ).df()
    finally:
        con.close()


def _read(db) -> duckdb.DuckDBPyConnection:
    from cx.store.db import ensure_database

    return connect(ensure_database(db), read_only=True)


def known_customer_ids(db) -> pa.Table | None:
    """Every customer id the database already holds (customers, interactions, responses), read-only.

    None when there is no database yet, or it is busy for longer than a detection is worth waiting."""
    path = db_path(db)
    if not path.exists():
        return None
    try:
        con = connect(path, read_only=True, timeout_s=5)
    except DatabaseBusy:
        return None
    try:
        # A relation straight to Arrow: DuckDB 2 copies the rows once more through a DB-API result.
        return con.sql(
            """SELECT customer_id FROM customers
               UNION SELECT customer_id FROM interactions WHERE customer_id IS NOT NULL
               UNION SELECT customer_id FROM responses WHERE customer_id IS NOT NULL"""
        ).to_arrow_table()
    except duckdb.CatalogException:  # a database from before the tables existed
        return None
    finally:
        con.close()
