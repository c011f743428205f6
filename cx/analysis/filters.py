"""The global filters: one value object, read from and written to the URL, applied as Ibis filters.

A link is the whole state of a view, so everything a user chose lives in the
query string: `?from=2026-01-01&to=2026-03-31&segment=SMB&segment=Enterprise`.
Customer attributes that a file brought are filtered as `attr.Contract=Two year`;
the question a survey answer answers as `question=How likely…` (responses only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

CUSTOMER_FIELDS = ("segment", "region", "plan")
EVENT_FIELDS = ("channel", "journey_stage", "touchpoint")
RESPONSE_FIELDS = ("question",)  # the question a survey answer answers: only responses have one
FILTER_FIELDS = CUSTOMER_FIELDS + ("channel", "journey_stage", "question")  # shown in the sidebar
ATTRIBUTE_PREFIX = "attr."
DEFAULT_DAYS = 90
# The dates a view may cover. A link or a command line asking for year 1 or 9999 is clamped to
# these, so date arithmetic (the previous period, the day after the end) stays inside the calendar.
EARLIEST = date(1900, 1, 1)
AHEAD = timedelta(days=366)  # the latest day a view may cover, counted from today
MAX_VALUE_LENGTH = 500  # a filter value from a link: longer than any name we store is not a name
MAX_VALUES = 200  # values per field


def latest(today: date | None = None) -> date:
    """The last day a view may cover: a year after today."""
    return (today or date.today()) + AHEAD


class PeriodError(ValueError):
    """A period that cannot be shown (not a date, or ending before it starts); the message says why."""


def parse_period(
    start: str | date | None, end: str | date | None, default: tuple[date, date], today: date | None = None
) -> tuple[tuple[date, date], list[str]]:
    """(first day, last day) from what a user wrote, clamped to EARLIEST … latest(), and a note per clamp.

    A missing day takes the default's. Raises PeriodError for text that is not a date and for a
    period that ends before it starts."""
    notes: list[str] = []
    low, high = EARLIEST, latest(today)

    def as_date(value: str | date | None, fallback: date, name: str) -> date:
        if value is None or value == "":
            return fallback
        if isinstance(value, date):
            chosen = value
        else:
            try:
                chosen = date.fromisoformat(str(value).strip())
            except ValueError:
                raise PeriodError(f'"{value}" is not a date: write the {name} day as YYYY-MM-DD.') from None
        if low <= chosen <= high:
            return chosen
        clamped = min(max(chosen, low), high)
        notes.append(
            f"The {name} day {chosen.isoformat()} is outside the dates we show ({low.isoformat()} to "
            f"{high.isoformat()}), so {clamped.isoformat()} was used."
        )
        return clamped

    first, last = as_date(start, default[0], "first"), as_date(end, default[1], "last")
    if first > last:
        raise PeriodError(f"The period ends ({last.isoformat()}) before it starts ({first.isoformat()}).")
    return (first, last), notes


def clean_value(value: object) -> str:
    """A filter value from a link or a command line: without NUL or other control characters, of bounded length."""
    return "".join(ch for ch in str(value) if ch.isprintable())[:MAX_VALUE_LENGTH]


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
        """The period of equal length just before this one, same other filters (never before the calendar's start)."""
        back = timedelta(days=min(self.days, (self.start - date.min).days))
        end = self.start - timedelta(days=1) if self.start > date.min else self.start
        return replace(self, start=self.start - back, end=end)

    @property
    def customer_filters(self) -> dict[str, tuple[str, ...]]:
        return {k: v for k, v in self.where if k in CUSTOMER_FIELDS or k.startswith(ATTRIBUTE_PREFIX)}

    @property
    def event_filters(self) -> dict[str, tuple[str, ...]]:
        return {k: v for k, v in self.where if k in EVENT_FIELDS}

    @property
    def response_filters(self) -> dict[str, tuple[str, ...]]:
        return {k: v for k, v in self.where if k in RESPONSE_FIELDS}

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
        """Tolerant: a malformed, missing or reversed period falls back to the default one, a date
        outside EARLIEST … latest() is clamped (`link_notes` says what was changed, for the page to show)."""
        default = cls.default(today)
        try:
            (start, end), _ = parse_period(_first(params, "from"), _first(params, "to"), (default.start, default.end),
                                           today)  # fmt: skip
        except PeriodError:
            start, end = default.start, default.end
        where = {
            clean_value(name): [clean_value(v) for v in _as_list(value)[:MAX_VALUES]]
            for name, value in params.items()
            if name in CUSTOMER_FIELDS + EVENT_FIELDS + RESPONSE_FIELDS or name.startswith(ATTRIBUTE_PREFIX)
        }
        return cls(start=start, end=end).with_values(**where)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _first(params: Mapping[str, str | list[str]], name: str) -> str | None:
    values = _as_list(params.get(name, []))
    return values[0] if values else None


def link_notes(params: Mapping[str, str | list[str]], today: date | None = None) -> list[str]:
    """What a link asked for that could not be shown as asked, in plain words (empty when all is well)."""
    if not params.get("from") and not params.get("to"):
        return []
    default = Filters.default(today)
    try:
        _, notes = parse_period(_first(params, "from"), _first(params, "to"), (default.start, default.end), today)
    except PeriodError as error:
        return [f"{error} This link's dates cannot be used, so the default period is shown instead."]
    return notes


# --- applying filters as Ibis expressions ------------------------------------------------------


def _period_predicate(column: ir.TimestampColumn, start: date, end: date) -> ir.BooleanColumn:
    after_start = column >= ibis.timestamp(start.isoformat())
    if end >= date.max:  # no day after the last day of the calendar: everything from the start
        return after_start
    return after_start & (column < ibis.timestamp((end + timedelta(days=1)).isoformat()))


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


def responses(
    backend: ibis.BaseBackend,
    filters: Filters,
    survey: str | tuple[str, ...] | None = None,
    dated: bool = True,
    per: tuple[str, ...] = (),
) -> ir.Table:
    """Survey responses in the period matching every filter; optionally one survey only.

    Two questions on one scale are never pooled: unless the filters choose questions, only the
    question with the most answers counts in each survey, and in each group of the `per` columns
    (a figure per touchpoint takes each touchpoint's own question)."""
    table = _events(backend, "responses", "responded_at", filters, dated)
    for name, values in filters.response_filters.items():
        table = table.filter(table[name].isin(values))
    if isinstance(survey, str):
        table = table.filter(table.survey == survey)
    elif survey is not None:
        table = table.filter(table.survey.isin(survey))
    if filters.values("question") or "question" in per:
        return table
    # An answer whose question is unknown (a column named just "NPS") counts with the headline question.
    return table.filter(
        table.question.isnull() | _question_key(table, per).isin(_headline_questions(backend, filters, per))
    )


def _group_key(table: ir.Table, per: tuple[str, ...]) -> ir.StringValue:
    parts = [table.survey] + [table[name].cast("string").fill_null("") for name in per]
    return ibis.literal("\x1f").join(parts)


def _question_key(table: ir.Table, per: tuple[str, ...]) -> ir.StringValue:
    return _group_key(table, per) + "\x1e" + table.question.fill_null("")


def _headline_questions(backend: ibis.BaseBackend, filters: Filters, per: tuple[str, ...]) -> ir.Column:
    """Per survey (and group), the key of the question with the most answers in the filters' scope, any period.

    Any period, so that a period and the one before it speak of the same question."""
    scope = _events(backend, "responses", "responded_at", filters, dated=False)
    scope = scope.filter(scope.question.notnull())
    scope = scope.mutate(_group=_group_key(scope, per), _question=scope.question.fill_null(""))
    counts = scope.group_by(["_group", "_question"]).aggregate(_n=scope.count())
    order = ibis.window(group_by="_group", order_by=[ibis.desc("_n"), "_question"])
    ranked = counts.mutate(_rank=ibis.row_number().over(order))
    top = ranked.filter(ranked._rank == 0)
    return (top._group + "\x1e" + top._question).name("_key")


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
