"""The global filters: one value object, read from and written to the URL, applied as Ibis filters.

A link is the whole state of a view, so everything a user chose lives in the
query string: `?from=2026-01-01&to=2026-03-31&segment=SMB&segment=Enterprise`.
Customer attributes that a file brought are filtered as `attr.Contract=Two year`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

CUSTOMER_FIELDS = ("segment", "region", "plan")
EVENT_FIELDS = ("channel", "journey_stage", "touchpoint")
FILTER_FIELDS = CUSTOMER_FIELDS + ("channel", "journey_stage")  # shown in the sidebar
ATTRIBUTE_PREFIX = "attr."
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Filters:
    """Date range (inclusive) plus field → allowed values. No values for a field means all."""

    start: date
    end: date
    where: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @classmethod
    def default(cls, today: date | None = None, days: int = DEFAULT_DAYS) -> Filters:
        end = today or date.today()
        return cls(start=end - timedelta(days=days - 1), end=end)

    @classmethod
    def build(cls, start: date, end: date, **where: list[str] | tuple[str, ...]) -> Filters:
        return cls(start=start, end=end).with_values(**where)

    # --- reading and changing --------------------------------------------------------------
    def values(self, name: str) -> tuple[str, ...]:
        return dict(self.where).get(name, ())

    def with_values(self, **changes: list[str] | tuple[str, ...] | None) -> Filters:
        chosen = dict(self.where)
        for name, values in changes.items():
            if values:
                chosen[name] = tuple(sorted({str(v) for v in values}))
            else:
                chosen.pop(name, None)
        return replace(self, where=tuple(sorted(chosen.items())))

    def with_attribute(self, attribute: str, values: list[str] | tuple[str, ...] | None) -> Filters:
        return self.with_values(**{ATTRIBUTE_PREFIX + attribute: values})

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of equal length just before this one, same other filters."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    @property
    def customer_filters(self) -> dict[str, tuple[str, ...]]:
        return {k: v for k, v in self.where if k in CUSTOMER_FIELDS or k.startswith(ATTRIBUTE_PREFIX)}

    @property
    def event_filters(self) -> dict[str, tuple[str, ...]]:
        return {k: v for k, v in self.where if k in EVENT_FIELDS}

    def describe(self) -> str:
        """Plain words for captions and exports: 'Segment: SMB · Region: Europe'."""
        parts = []
        for name, values in self.where:
            label = name.removeprefix(ATTRIBUTE_PREFIX).replace("_", " ").capitalize()
            parts.append(f"{label}: {', '.join(values)}")
        return " · ".join(parts) if parts else "All customers"

    # --- the URL -----------------------------------------------------------------------------
    def to_query_params(self) -> dict[str, str | list[str]]:
        params: dict[str, str | list[str]] = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for name, values in self.where:
            params[name] = list(values)
        return params

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | list[str]], today: date | None = None) -> Filters:
        """Tolerant: a malformed or missing date falls back to the default range."""
        default = cls.default(today)

        def as_list(value: str | list[str]) -> list[str]:
            return [value] if isinstance(value, str) else list(value)

        def as_date(name: str, fallback: date) -> date:
            try:
                return date.fromisoformat(as_list(params[name])[0])
            except (KeyError, IndexError, ValueError):
                return fallback

        start, end = as_date("from", default.start), as_date("to", default.end)
        if start > end:
            start, end = end, start
        where = {
            name: as_list(value)
            for name, value in params.items()
            if name in CUSTOMER_FIELDS + EVENT_FIELDS or name.startswith(ATTRIBUTE_PREFIX)
        }
        return cls(start=start, end=end).with_values(**where)


# --- applying filters as Ibis expressions ------------------------------------------------------


def _period_predicate(column: ir.TimestampColumn, start: date, end: date) -> ir.BooleanColumn:
    return (column >= ibis.timestamp(start.isoformat())) & (
        column < ibis.timestamp((end + timedelta(days=1)).isoformat())
    )


def customers(backend: ibis.BaseBackend, filters: Filters) -> ir.Table:
    """Customers matching the customer filters (segment, region, plan, attributes)."""
    table = backend.table("customers")
    attributes = backend.table("customer_attributes")
    for name, values in filters.customer_filters.items():
        if name.startswith(ATTRIBUTE_PREFIX):
            matching = attributes.filter(
                (attributes.attribute == name.removeprefix(ATTRIBUTE_PREFIX)) & attributes.value.isin(values)
            )
            table = table.filter(table.customer_id.isin(matching.customer_id))
        else:
            table = table.filter(table[name].isin(values))
    return table


def _events(backend: ibis.BaseBackend, name: str, time_column: str, filters: Filters, dated: bool) -> ir.Table:
    table = backend.table(name)
    if dated:
        table = table.filter(_period_predicate(table[time_column], filters.start, filters.end))
    for field_name, values in filters.event_filters.items():
        table = table.filter(table[field_name].isin(values))
    if filters.customer_filters:
        # Anonymous responses cannot belong to a customer segment, so a customer filter excludes them.
        table = table.filter(table.customer_id.isin(customers(backend, filters).customer_id))
    return table


def responses(backend: ibis.BaseBackend, filters: Filters, survey: str | None = None, dated: bool = True) -> ir.Table:
    """Survey responses in the period matching every filter; optionally one survey only."""
    table = _events(backend, "responses", "responded_at", filters, dated)
    return table if survey is None else table.filter(table.survey == survey)


def interactions(backend: ibis.BaseBackend, filters: Filters, dated: bool = True) -> ir.Table:
    """Interactions in the period matching every filter."""
    return _events(backend, "interactions", "occurred_at", filters, dated)


def customers_with_events(backend: ibis.BaseBackend, filters: Filters) -> ir.Table:
    """Customers for customer-level metrics (churn, CLV).

    Channel or journey-stage filters narrow them to customers who had such an
    interaction in the period: 'churn of customers who used Chat'.
    """
    table = customers(backend, filters)
    if filters.event_filters:
        touched = interactions(backend, replace(filters, where=tuple(filters.event_filters.items())))
        table = table.filter(table.customer_id.isin(touched.customer_id))
    return table
