"""Personal data at import: find the columns that hold it, then hash or drop them as the rules say.

Runs in the staging database, before anything reaches the CX database: a hashed
or dropped value is never stored, not even in the rejected rows' records.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from cx.analysis import personal
from cx.ingest.detect import value_sql

SAMPLE = 1000  # values per column looked at; the reservoir is drawn from the whole file
# Fields whose values could be personal; scores, dates, numbers and flags cannot. Comments are free text:
# they are scanned for e-mails and phone numbers and masked on screen instead.
TEXT_FIELDS = ("customer_id", "name", "segment", "region", "plan", "channel", "journey_stage", "touchpoint",
               "outcome", "interaction_id", "response_id")  # fmt: skip
ID_FIELDS = ("customer_id", "interaction_id", "response_id")  # needed to link rows: hashed, never dropped


@dataclass(frozen=True)
class PersonalColumn:
    """A column of the file that holds personal data, where it would be stored, and what the rules do to it."""

    header: str
    index: int
    kind: str  # personal.KINDS
    reason: str
    stored_as: str | None  # a field, "attr.NAME", or None when the import leaves the column out anyway
    rule: str  # personal.RULES; "hash" for an id whose rule says drop

    @property
    def says(self) -> str:
        """'"Email" holds e-mail addresses (97% of its values look like e-mail addresses): stored as a salted hash.'"""
        if not self.stored_as:
            return f'"{self.header}" holds {personal.KINDS[self.kind]} ({self.reason}); it is not imported.'
        where = (f'kept as the attribute "{self.stored_as.removeprefix("attr.")}"' if self.stored_as.startswith("attr.")
                 else f"stored as {self.stored_as}")  # fmt: skip
        return (
            f'"{self.header}" holds {personal.KINDS[self.kind]} ({self.reason}); {where}, {personal.RULES[self.rule]}.'
        )


def find(con: duckdb.DuckDBPyConnection, plan, rules: dict[str, str], profiles=None) -> list[PersonalColumn]:
    """Every column that holds personal data, judged by its header and a sample of its values.

    `profiles` (detect.profile_columns of the same staged rows): their counts of filled and distinct
    values are used instead of counting again."""
    if not plan.headers:
        return []
    by_index = {i: f for f, i in plan.fields.items()}
    scores = {s.index for s in plan.scores}
    attributes = set(plan.attributes)
    found = []
    for index, header in enumerate(plan.headers):
        field = by_index.get(index)
        if index in scores or (field is not None and field not in TEXT_FIELDS):
            continue
        value = value_sql(f"c{index}")
        if profiles is not None:
            # The profile caps its estimate of distinct values at the filled ones: the share is then at most
            # 1 where a fresh estimate may pass it, the same side of every threshold classify uses.
            filled, distinct = profiles[index].filled, profiles[index].distinct
        else:
            filled, distinct = con.execute(
                f"SELECT count(v), approx_count_distinct(v) FROM (SELECT {value} AS v FROM staged)"
            ).fetchone()
        sample = [row[0] for row in con.execute(
            f"""SELECT v FROM (SELECT {value} AS v FROM staged) WHERE v IS NOT NULL
                USING SAMPLE reservoir({SAMPLE} ROWS) REPEATABLE (12)"""
        ).fetchall()]  # fmt: skip
        finding = personal.classify(header, sample, distinct_share=distinct / filled if filled else 1.0)
        if field is None and header not in attributes and finding is None:
            continue
        if finding is None and field in personal.ALWAYS_PERSONAL:
            finding = personal.Finding(header, personal.ALWAYS_PERSONAL[field], f"mapped to {field}")
        if finding is None:
            continue
        stored_as = field or (f"attr.{header}" if header in attributes else None)
        rule = rules[finding.kind]
        if field in ID_FIELDS and rule == "drop":
            rule = "hash"
        found.append(PersonalColumn(header, index, finding.kind, finding.reason, stored_as, rule))
    return found


def _normalised(value: str, kind: str) -> str:
    """So that 'Ana@Example.com ' and 'ana@example.com' hash alike, as '+44 20 7946 0958' and '442079460958'."""
    if kind == "email":
        return f"lower(trim({value}))"
    if kind == "phone":
        return f"regexp_replace({value}, '[^0-9]', '', 'g')"
    if kind == "name":
        return f"lower(regexp_replace(trim({value}), '\\s+', ' ', 'g'))"
    return f"upper(regexp_replace({value}, '\\s', '', 'g'))"


def _hashed(value: str, kind: str) -> str:
    # The salt goes in as a parameter ($salt); the value is our own column expression, the kind our own word.
    plain = kind.strip("'")
    return f"CASE WHEN {value} IS NULL THEN NULL ELSE {kind} || ':' || substr(sha256($salt || {_normalised(value, plain)}), 1, 20) END"


def apply(con: duckdb.DuckDBPyConnection, columns: list[PersonalColumn], salt: str | None) -> None:
    """Hash or drop, in the staged text and the checked fields, the columns whose rule says so."""
    changing = [c for c in columns if c.stored_as is not None and c.rule in ("hash", "drop")]
    if not changing:
        return
    if any(c.rule == "hash" for c in changing) and not salt:
        raise ValueError("Hashing personal data needs a salt (cx.store.settings.salt).")
    hashing = any(c.rule == "hash" for c in changing)
    params = {"salt": salt} if hashing else None  # DuckDB refuses a parameter the statement does not use
    staged_text, checked_fields = [], []
    for column in changing:
        raw = value_sql(f"c{column.index}")
        kind = "'" + column.kind + "'"  # one of our own four words
        staged_text.append(f"{_hashed(raw, kind) if column.rule == 'hash' else 'NULL::VARCHAR'} AS c{column.index}")
        if not column.stored_as.startswith("attr."):
            field = f"f_{column.stored_as}"
            checked_fields.append(f"{_hashed(field, kind) if column.rule == 'hash' else 'NULL'} AS {field}")
    # The staged rows may be a view over the file: put the changed text in front of it, never beside it.
    con.execute("CREATE OR REPLACE TABLE staged_personal AS SELECT * REPLACE (" + ", ".join(staged_text) + ") FROM staged",
                params)  # fmt: skip
    kind_of = {row[0]: row[1] for row in con.execute(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_name = 'staged'").fetchall()}  # fmt: skip
    con.execute("DROP VIEW staged" if kind_of.get("staged") == "VIEW" else "DROP TABLE staged")
    con.execute("ALTER TABLE staged_personal RENAME TO staged")
    if checked_fields:
        uses_salt = any("$salt" in f for f in checked_fields)
        con.execute("CREATE OR REPLACE TABLE checked AS SELECT * REPLACE (" + ", ".join(checked_fields) + ") FROM checked",
                    params if uses_salt else None)  # fmt: skip


def needs_salt(columns: list[PersonalColumn]) -> bool:
    return any(c.rule == "hash" and c.stored_as for c in columns)
