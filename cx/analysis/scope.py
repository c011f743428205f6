"""What one person may see: row-level scope (only some customers) and, for viewers, personal data masked.

The limit is applied where every metric reads its data, `backend.table(name)`,
not on a page: `restrict(backend, scope)` returns a backend whose customer
tables hold only the customers the scope allows, and whose events (interactions,
responses) only those customers' events. Anonymous survey answers belong to no
customer, so a scoped person does not see them. Every function in cx.analysis
reads through the backend it is given, so none can forget the scope.

For a viewer, fields that hold personal data (the customers' names; columns an
import found to hold e-mails, phones, names or identifiers, cx.analysis.personal)
are masked where they are read, when their rule says "mask"; a personal customer
id becomes a pseudonym, the same in every table, so joins still work.

A table with a customer_id, response_id or interaction_id column is limited
through the customer, answer or interaction it is about; the themes keep their
names but count only the comments in scope; a table with none of
them and not in OPEN_TABLES is refused under a scope rather than shown whole:
an aggregate over customers (a rollup) cannot be limited, so code that reads one
reads the raw tables instead when `is_scoped(backend)`.
"""

from __future__ import annotations

import json
import secrets
from functools import cached_property
from typing import Any

import ibis
import ibis.expr.types as ir

from cx.access import ATTRIBUTE_PREFIX, Scope
from cx.analysis import personal

# Hold no customer rows, so the same for everyone: theme names, rules and annotations (a leader's words),
# saved decks, the follow-up SLA and the actions taken.
OPEN_TABLES = (
    "imports",
    "schema_version",
    "theme_names",
    "theme_rules",
    "annotations",
    "decks",
    "followup_settings",
    "followup_actions",
)
_PROCESS_SALT = secrets.token_hex(16)  # pseudonyms before any import has made the database's salt


class ScopeError(PermissionError):
    """A table was asked for that cannot be limited to the person's scope."""


class ScopedBackend:
    """An Ibis backend that shows only the customers in `scope` (and their events), personal data masked if `mask`."""

    def __init__(self, backend: Any, scope: Scope, mask: bool = False) -> None:
        self._backend = backend
        self.scope = scope
        self.mask = mask

    def table(self, name: str) -> ir.Table:
        table = self._backend.table(name)
        if self.scope:
            table = self._limited(name, table)
        return self._masked(name, table) if self.mask else table

    def _limited(self, name: str, table: ir.Table) -> ir.Table:
        if name == "customers":
            return self._limit(table)
        if name in OPEN_TABLES:
            return table
        if name == "themes":  # its comment counts are recounted over the comments in scope
            mentions = self.table("comment_themes")
            counts = mentions.group_by("theme_id").aggregate(in_scope=mentions.response_id.count())
            joined = table.left_join(counts, table.theme_id == counts.theme_id)
            return joined.mutate(comments=joined.in_scope.fill_null(0).cast(table.comments.type())).select(
                table.columns
            )
        # Any table of customer rows, or of rows about answers or interactions (comment analysis,
        # follow-ups…), is limited through the customer, the answer or the interaction it is about.
        if "customer_id" in table.columns:
            return table.filter(table.customer_id.isin(self._limit(self._backend.table("customers")).customer_id))
        for key, events in (("response_id", "responses"), ("interaction_id", "interactions")):
            if key in table.columns:
                return table.filter(table[key].isin(self.table(events)[key]))
        raise ScopeError(f'The table "{name}" cannot be limited to your scope, so it is not shown.')

    @cached_property
    def _masked_fields(self) -> dict[str, str]:
        """field (or attr.NAME) -> kind, for the personal fields whose rule says mask."""
        rules = personal.rules(self._settings.get(personal.SETTING))
        found = dict(personal.ALWAYS_PERSONAL)
        if "personal_fields" in self._tables:
            rows = self._backend.table("personal_fields").select("field", "kind").distinct().execute()
            found |= dict(zip(rows["field"], rows["kind"], strict=True))
        return {f: kind for f, kind in found.items() if rules.get(kind) == "mask"}

    @cached_property
    def _tables(self) -> list[str]:
        return self._backend.list_tables()

    @cached_property
    def _settings(self) -> dict[str, Any]:
        """The masking rules and the pseudonyms' salt, read together (every page's queries read through here)."""
        if "settings" not in self._tables:
            return {}
        settings = self._backend.table("settings")
        rows = settings.filter(settings.key.isin([personal.SETTING, personal.SALT_SETTING])).execute()
        return {key: _json(value) for key, value in zip(rows["key"], rows["value"], strict=True)}

    @cached_property
    def _salt(self) -> str:
        return str(self._settings.get(personal.SALT_SETTING) or _PROCESS_SALT)

    def _masked(self, name: str, table: ir.Table) -> ir.Table:
        fields = self._masked_fields
        changes: dict[str, ir.Value] = {}
        for column in table.columns:
            kind = fields.get(column)
            if kind is None or (column == "name" and name != "customers"):
                continue  # "name" is the customer's name only in customers (themes and others have names too)
            changes[column] = (personal.pseudonym_expr(table[column], self._salt) if column == "customer_id"
                               else personal.mask_expr(table[column], kind))  # fmt: skip
        if name == "customer_attributes":
            attributes = {
                f.removeprefix(ATTRIBUTE_PREFIX): k for f, k in fields.items() if f.startswith(ATTRIBUTE_PREFIX)
            }
            if attributes:
                cases = [(table.attribute == attribute, personal.mask_expr(table.value, kind))
                         for attribute, kind in attributes.items()]  # fmt: skip
                changes["value"] = ibis.cases(*cases, else_=table.value)
        return table.mutate(**changes) if changes else table

    def _limit(self, customers: ir.Table) -> ir.Table:
        attributes = self._backend.table("customer_attributes")
        for field_name, values in self.scope:
            if field_name.startswith(ATTRIBUTE_PREFIX):
                matching = attributes.filter(
                    (attributes.attribute == field_name.removeprefix(ATTRIBUTE_PREFIX)) & attributes.value.isin(values)
                )
                customers = customers.filter(customers.customer_id.isin(matching.customer_id))
            else:
                customers = customers.filter(customers[field_name].isin(values))
        return customers

    def list_tables(self, *args: Any, **kwargs: Any) -> list[str]:
        return self._backend.list_tables(*args, **kwargs)


def restrict(backend: Any, scope: Scope, mask: bool = False) -> Any:
    """`backend` itself when there is nothing to hide; otherwise a backend limited to the scope's customers,
    with personal data masked when `mask` (a viewer)."""
    return ScopedBackend(backend, scope, mask) if scope or mask else backend


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def is_scoped(backend: Any) -> bool:
    """For code that reads pre-aggregated tables: those cannot be limited, so read the raw tables instead.

    Masking alone (a viewer who may see every customer) limits no rows, so it does not count."""
    return isinstance(backend, ScopedBackend) and bool(backend.scope)


def within(params: dict[str, list[str]], scope: Scope) -> dict[str, list[str]]:
    """The chosen filters (URL parameters), limited to the scope, so the filters shown always include it.

    A field the scope limits keeps the chosen values it allows, or all it allows when none is left."""
    limited = dict(params)
    for field_name, allowed in scope:
        chosen = params.get(field_name) or []
        chosen = [chosen] if isinstance(chosen, str) else chosen
        limited[field_name] = [v for v in chosen if v in allowed] or list(allowed)
    return limited
