"""Closing the loop: the follow-up queue, its SLA clock, and whether following up works.

- The queue is every unhappy answer from an identified customer: NPS 0–6 (detractors), CSAT 1–2
  and CES 1–2, newest first, under the global filters, with its follow-up state (stored apart from
  the imported data, see cx.store.followups) and a due date from the SLA policy.
- The SLA clock counts wall-clock hours, or only business hours in the team's time zone.
- "Did it work?": time to first contact against the SLA; recovery (the customer's next answer on
  the same survey is in a better category); churn within 90 days of contacted against
  not-contacted detractors, matched on segment, plan and score band. Observational: it shows an
  association, not that following up causes customers to stay.

Queries are Ibis over the read-only backend; everything after them is pure functions on
DataFrames, tested with hand-made rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cx.analysis import filters as flt
from cx.analysis import metrics, stats
from cx.analysis.filters import Filters
from cx.store.followup_rules import OPEN, REACHED_OUT, SLA_SETTING, STATUS_LABELS
from cx.store.schema import SURVEY_SCALES

# An answer at or below this score is queued for a follow-up.
UNHAPPY_MAX = {"nps": 6, "csat": 2, "ces": 2}
SURVEY_LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
CONTACT_CHANNELS = ("Phone", "Email", "Video call", "Chat", "In person")
CHURN_WINDOW_DAYS = 90
LANDMARK_DAYS = 7  # contact within a week counts as followed up; churn is counted from then on
NPS_SCORE_BANDS = ((0, 3), (4, 5), (6, 6))
QUEUE_COLUMNS = (
    "response_id", "customer_id", "name", "segment", "plan", "region", "value", "responded_at", "survey",
    "score", "comment", "touchpoint", "channel", "status", "owner", "contact_channel", "notes",
    "first_contact_at", "closed_at", "due_override", "version", "updated_at", "updated_by",
)  # fmt: skip
FIGURE_COLUMNS = tuple(c for c in QUEUE_COLUMNS if c not in ("value", "comment")) + ("churn_date",)


# --- the SLA policy and its clock ---------------------------------------------------------------


@dataclass(frozen=True)
class BusinessHours:
    """The hours the team works, in the policy's time zone (Monday = 0)."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"Business hours must end after they start ({self.start:%H:%M}–{self.end:%H:%M}).")
        if not self.weekdays or not set(self.weekdays) <= set(range(7)):
            raise ValueError("Business hours need at least one working day (Monday = 0 … Sunday = 6).")

    @property
    def hours_per_day(self) -> float:
        return (datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)).seconds / 3600


@dataclass(frozen=True)
class SlaRule:
    """Answers matching every given field are due within `hours` (the strictest matching rule wins)."""

    hours: float
    segment: str | None = None
    survey: str | None = None

    def matches(self, segment: str | None, survey: str | None) -> bool:
        return (self.segment is None or self.segment == segment) and (self.survey is None or self.survey == survey)

    def describe(self) -> str:
        who = " ".join(part for part in (self.segment, SURVEY_LABELS.get(self.survey or "")) if part) or "all"
        return f"{who}: {self.hours:g} h"


@dataclass(frozen=True)
class SlaPolicy:
    """How soon an unhappy answer must be followed up, and on which clock.

    Stored times are read in `data_timezone`; business hours, when set, are counted in `timezone`
    (daylight-saving changes included). Answers before `starts_on` are not queued.
    """

    default_hours: float = 48.0
    rules: tuple[SlaRule, ...] = (SlaRule(24.0, segment="Enterprise"),)
    business_hours: BusinessHours | None = None
    timezone: str = "UTC"
    data_timezone: str = "UTC"
    starts_on: date | None = None

    def __post_init__(self) -> None:
        for name in (self.timezone, self.data_timezone):
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f'"{name}" is not a time zone; use a name like Europe/Berlin or UTC.') from None
        for hours in (self.default_hours, *(rule.hours for rule in self.rules)):
            if not (isinstance(hours, int | float) and 0 < hours <= 24 * 365):
                raise ValueError(f"An SLA of {hours} hours is not possible: give a number of hours above 0.")

    def hours_for(self, segment: str | None, survey: str | None) -> float:
        matching = [rule.hours for rule in self.rules if rule.matches(segment, survey)]
        return min(matching) if matching else self.default_hours

    def describe(self) -> str:
        clock = "calendar hours"
        if self.business_hours:
            bh = self.business_hours
            days = ", ".join(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d] for d in sorted(bh.weekdays))
            clock = f"business hours {bh.start:%H:%M}–{bh.end:%H:%M} {days} ({self.timezone})"
        rules = "; ".join(rule.describe() for rule in self.rules)
        return f"Follow up within {self.default_hours:g} h" + (f" ({rules})" if rules else "") + f", in {clock}."

    # JSON for the settings table and the command line
    def to_dict(self) -> dict[str, Any]:
        bh = self.business_hours
        return {
            "default_hours": self.default_hours,
            "rules": [{k: v for k, v in vars(rule).items() if v is not None} for rule in self.rules],
            "business_hours": None
            if bh is None
            else {"start": f"{bh.start:%H:%M}", "end": f"{bh.end:%H:%M}", "weekdays": list(bh.weekdays)},
            "timezone": self.timezone,
            "data_timezone": self.data_timezone,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any] | None) -> SlaPolicy:
        """The policy from its JSON; anything missing takes the default. ValueError says what is wrong."""
        if not value:
            return cls()
        default = cls()
        try:
            rules = tuple(
                SlaRule(float(rule["hours"]), segment=rule.get("segment") or None, survey=rule.get("survey") or None)
                for rule in value.get("rules", [vars(r) for r in default.rules])
            )
            bh = value.get("business_hours")
            business_hours = (
                None
                if not bh
                else BusinessHours(
                    time.fromisoformat(bh.get("start", "09:00")),
                    time.fromisoformat(bh.get("end", "17:00")),
                    tuple(int(d) for d in bh.get("weekdays", (0, 1, 2, 3, 4))),
                )
            )
            starts_on = value.get("starts_on")
            return cls(
                default_hours=float(value.get("default_hours", default.default_hours)),
                rules=rules,
                business_hours=business_hours,
                timezone=value.get("timezone") or "UTC",
                data_timezone=value.get("data_timezone") or "UTC",
                starts_on=date.fromisoformat(starts_on) if starts_on else None,
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"The SLA setting is incomplete: {error}") from None

    def now(self) -> datetime:
        """The current time as stored times are written (naive, in the data's time zone)."""
        return datetime.now(ZoneInfo(self.data_timezone)).replace(tzinfo=None)


def stored_policy(backend: ibis.BaseBackend) -> tuple[SlaPolicy, int]:
    """The SLA policy saved in the database (the default until someone saves one) and its version."""
    table = backend.table("followup_settings")
    row = table.filter(table.name == SLA_SETTING).select("value", "version").execute()
    if row.empty:
        return SlaPolicy(), 0
    value = row["value"].iloc[0]
    return SlaPolicy.from_dict(json.loads(value) if isinstance(value, str) else value), int(row["version"].iloc[0])


def _utc(moment: datetime, zone: str) -> datetime:
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _local(moment_utc: datetime, zone: str) -> datetime:
    return moment_utc.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _business_windows(start_utc: datetime, policy: SlaPolicy, days: int) -> Iterator[tuple[datetime, datetime]]:
    """The team's open hours as UTC intervals, from the one containing `start_utc` on, for `days` days."""
    bh, zone = policy.business_hours, ZoneInfo(policy.timezone)
    day = start_utc.astimezone(zone).date()
    for _ in range(days):
        if day.weekday() in bh.weekdays:
            opens = datetime.combine(day, bh.start, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, bh.end, tzinfo=zone).astimezone(UTC)
            if closes > start_utc:
                yield max(opens, start_utc), closes
        day += timedelta(days=1)


def due_at(start: datetime, hours: float, policy: SlaPolicy) -> datetime:
    """When `hours` of the SLA clock have run from `start` (both naive, in the data's time zone)."""
    start_utc = _utc(start, policy.data_timezone)
    if policy.business_hours is None:
        return _local(start_utc + timedelta(hours=hours), policy.data_timezone)
    remaining = timedelta(hours=hours)
    per_week = policy.business_hours.hours_per_day * len(policy.business_hours.weekdays)
    days = math.ceil(hours / per_week * 7) + 8  # enough windows to cover the hours, whatever the weekday
    for opens, closes in _business_windows(start_utc, policy, days):
        if remaining <= closes - opens:
            return _local(opens + remaining, policy.data_timezone)
        remaining -= closes - opens
    raise AssertionError("the business-hours windows did not cover the SLA")  # pragma: no cover


def clock_hours(start: datetime, end: datetime, policy: SlaPolicy) -> float:
    """Hours of the SLA clock between two stored times (negative when `end` is before `start`)."""
    if end < start:
        return -clock_hours(end, start, policy)
    start_utc, end_utc = _utc(start, policy.data_timezone), _utc(end, policy.data_timezone)
    if policy.business_hours is None:
        return (end_utc - start_utc).total_seconds() / 3600
    total = timedelta()
    for opens, closes in _business_windows(start_utc, policy, (end_utc - start_utc).days + 2):
        if opens >= end_utc:
            break
        total += min(closes, end_utc) - opens
    return total.total_seconds() / 3600


# --- the queue ----------------------------------------------------------------------------------


def is_unhappy(survey: str, score: int) -> bool:
    return survey in UNHAPPY_MAX and score <= UNHAPPY_MAX[survey]


def _unhappy(table: ir.Table) -> ir.BooleanValue:
    condition = ibis.literal(False)
    for survey, highest in UNHAPPY_MAX.items():
        condition |= (table.survey == survey) & (table.score <= highest)
    return condition


def queued_answers(
    backend: ibis.BaseBackend, filters: Filters, starts_on: date | None = None, for_figures: bool = False
) -> pd.DataFrame:
    """The unhappy answers of identified customers under the filters, with customer and follow-up columns.

    `for_figures`: the columns the "did it work?" figures read (FIGURE_COLUMNS). Without `value` (each
    customer's revenue to date, a scan of every interaction they ever had) and the comment text, which no
    figure reads; with the customer's churn date, which the churn comparison does."""
    answers = flt.responses(backend, filters)
    answers = answers.filter(answers.customer_id.notnull() & _unhappy(answers))
    if starts_on:
        answers = answers.filter(answers.responded_at >= ibis.timestamp(starts_on.isoformat()))
    answers = answers.select(
        "response_id", "customer_id", "responded_at", "survey", "score", "touchpoint", "channel",
        *(() if for_figures else ("comment",)),
    )  # fmt: skip
    customers = backend.table("customers").select(
        "customer_id", "name", "segment", "plan", "region", *(("churn_date",) if for_figures else ())
    )
    joined = answers.left_join(customers, "customer_id")
    if not for_figures:
        events = backend.table("interactions")
        spent = events.filter(events.revenue.notnull() & events.customer_id.isin(answers.customer_id))
        joined = joined.left_join(spent.group_by("customer_id").aggregate(value=spent.revenue.sum()), "customer_id")
    state = backend.table("followups").select(
        followup_id="response_id",
        status="status",
        owner="owner",
        contact_channel="contact_channel",
        notes="notes",
        first_contact_at="first_contact_at",
        closed_at="closed_at",
        due_override="due_at",
        version="version",
        updated_at="updated_at",
        updated_by="updated_by",
    )
    joined = joined.left_join(state, joined.response_id == state.followup_id).drop("followup_id")
    frame = joined.order_by([ibis.desc("responded_at"), "response_id"]).execute()
    return _tidy(frame, FIGURE_COLUMNS if for_figures else QUEUE_COLUMNS)


def _tidy(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Items never saved are new, version 0; columns in one order."""
    frame = frame.reindex(columns=list(columns))
    frame["status"] = frame["status"].fillna("new")
    frame["version"] = frame["version"].fillna(0).astype("int64")
    for column in ("responded_at", "first_contact_at", "closed_at", "due_override", "updated_at"):
        frame[column] = pd.to_datetime(frame[column])
    frame["score"] = frame["score"].astype("int64")
    return frame.reset_index(drop=True)


def with_sla(frame: pd.DataFrame, policy: SlaPolicy, now: datetime) -> pd.DataFrame:
    """Add the SLA: hours allowed, due date, hours left on the clock, overdue, first contact in time.

    - overdue: nobody has reached out yet and the due time has passed;
    - within_sla: True when the first contact came by the due time, False when it came late or
      nobody reached out before the due time passed, missing while the clock is still running (and
      for items closed in time without a contact).
    """
    out = frame.copy()
    if out.empty:
        for column in ("sla_hours", "due_at", "hours_left", "contact_hours", "overdue", "within_sla"):
            out[column] = pd.Series(dtype="float64")
        return out
    out["sla_hours"] = [
        policy.hours_for(_none(segment), survey) for segment, survey in zip(out["segment"], out["survey"], strict=True)
    ]
    computed = due_series(out["responded_at"], out["sla_hours"], policy)
    out["due_at"] = out["due_override"].where(out["due_override"].notna(), computed)
    out["hours_left"] = clock_series(pd.Series(pd.Timestamp(now), index=out.index), out["due_at"], policy)
    out["contact_hours"] = clock_series(out["responded_at"], out["first_contact_at"], policy)
    reached = out["status"].isin(REACHED_OUT) | out["first_contact_at"].notna()
    out["overdue"] = ~reached & (out["status"] == "new") & (out["due_at"] < pd.Timestamp(now))
    within = pd.Series(pd.NA, index=out.index, dtype="boolean")
    contacted = out["first_contact_at"].notna()
    within[contacted] = out["first_contact_at"] <= out["due_at"]
    # Nobody reached out: a miss once the due time passed while the item was open (still open, or
    # closed only after it); closed in time without a contact (won't fix) is no miss and no hit.
    stopped = out["closed_at"].where(~out["status"].isin(OPEN), pd.Timestamp(now))
    within[~contacted & (stopped > out["due_at"])] = False
    out["within_sla"] = within
    return out


def _none(value: Any) -> Any:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _py(value: Any) -> datetime:
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value


def _as_utc(moments: pd.Series, zone: str) -> pd.Series:
    moments = pd.to_datetime(moments)
    if zone == "UTC":
        return moments
    # Like zoneinfo's fold=0: an ambiguous wall time is the first (summer-time) one.
    local = moments.dt.tz_localize(zone, ambiguous=np.ones(len(moments), dtype=bool), nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").dt.tz_localize(None)


def _from_utc(moments: pd.Series, zone: str) -> pd.Series:
    return moments if zone == "UTC" else moments.dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)


def due_series(start: pd.Series, hours: pd.Series, policy: SlaPolicy) -> pd.Series:
    """due_at() for a column of start times (vectorised on the calendar clock)."""
    if policy.business_hours is not None:
        return pd.Series(
            [due_at(_py(s), float(h), policy) for s, h in zip(start, hours, strict=True)], index=start.index
        ).astype("datetime64[ns]")
    utc = _as_utc(start, policy.data_timezone) + pd.to_timedelta(hours.astype(float), unit="h")
    return _from_utc(utc, policy.data_timezone)


def clock_series(start: pd.Series, end: pd.Series, policy: SlaPolicy) -> pd.Series:
    """clock_hours() for two columns of times; missing where either is missing."""
    if policy.business_hours is not None:
        values = [
            np.nan if pd.isna(a) or pd.isna(b) else clock_hours(_py(a), _py(b), policy)
            for a, b in zip(start, end, strict=True)
        ]
        return pd.Series(values, index=start.index, dtype="float64")
    span = _as_utc(end, policy.data_timezone) - _as_utc(start, policy.data_timezone)
    return span.dt.total_seconds() / 3600


def queue(
    backend: ibis.BaseBackend, filters: Filters, policy: SlaPolicy, now: datetime, for_figures: bool = False
) -> pd.DataFrame:
    """The follow-up queue under the filters, newest first, each item with its SLA."""
    return with_sla(queued_answers(backend, filters, policy.starts_on, for_figures), policy, now)


@dataclass(frozen=True)
class QueueCounts:
    items: int
    open: int
    overdue: int
    due_soon: int  # open, not overdue, due within the next 24 hours of the clock
    unassigned: int  # open and nobody's


def counts(frame: pd.DataFrame) -> QueueCounts:
    open_items = frame[frame["status"].isin(OPEN)] if len(frame) else frame
    if not len(frame):
        return QueueCounts(0, 0, 0, 0, 0)
    waiting = open_items[(open_items["status"] == "new") & ~open_items["overdue"].astype(bool)]
    return QueueCounts(
        items=len(frame),
        open=len(open_items),
        overdue=int(frame["overdue"].astype(bool).sum()),
        due_soon=int((waiting["hours_left"] <= 24).sum()),
        unassigned=int(open_items["owner"].isna().sum()),
    )


def select(
    frame: pd.DataFrame,
    *,
    statuses: Sequence[str] = (),
    owner: str | None = None,
    overdue_only: bool = False,
) -> pd.DataFrame:
    """The queue narrowed by the page's own choices; `owner=""` means unassigned."""
    chosen = frame
    if statuses:
        chosen = chosen[chosen["status"].isin(statuses)]
    if owner == "":
        chosen = chosen[chosen["owner"].isna()]
    elif owner:
        chosen = chosen[chosen["owner"] == owner]
    if overdue_only:
        chosen = chosen[chosen["overdue"].astype(bool)]
    return chosen


def to_assign(
    frame: pd.DataFrame,
    *,
    segments: Sequence[str] = (),
    touchpoints: Sequence[str] = (),
    only_unassigned: bool = True,
) -> pd.DataFrame:
    """Open items of the chosen segments and/or touchpoints, for a bulk assignment."""
    if not segments and not touchpoints:
        return frame.iloc[0:0]
    chosen = frame[frame["status"].isin(OPEN)]
    if segments:
        chosen = chosen[chosen["segment"].isin(segments)]
    if touchpoints:
        chosen = chosen[chosen["touchpoint"].isin(touchpoints)]
    if only_unassigned:
        chosen = chosen[chosen["owner"].isna()]
    return chosen


def display_frame(frame: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """The queue as a person reads it: one row per item, plain words for status and due time."""

    def due_text(row) -> str:
        if row["status"] not in OPEN:
            return ""
        if row["overdue"]:
            return f"OVERDUE by {_hours_text(-row['hours_left'])}"
        if row["status"] == "contacted":
            return "contacted"
        return f"due in {_hours_text(row['hours_left'])}"

    return pd.DataFrame(
        {
            "Answered": frame["responded_at"],
            "Due": frame.apply(due_text, axis=1) if len(frame) else pd.Series(dtype="object"),
            "Status": frame["status"].map(STATUS_LABELS),
            "Owner": frame["owner"].fillna("unassigned"),
            "Customer": frame["name"].fillna(frame["customer_id"]),
            "Answer": frame["survey"].map(SURVEY_LABELS) + " " + frame["score"].astype(str),
            "Comment": frame["comment"].fillna(""),
            "Touchpoint": frame["touchpoint"],
            "Segment": frame["segment"],
            "Value": frame["value"],
        }
    )


def _hours_text(hours: float) -> str:
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} days"


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The queue for a CSV or JSON export: every stored and computed field, stable names."""
    columns = [
        "response_id", "customer_id", "name", "segment", "plan", "region", "value", "responded_at", "survey",
        "score", "comment", "touchpoint", "channel", "status", "owner", "contact_channel", "notes",
        "first_contact_at", "due_at", "sla_hours", "overdue", "within_sla", "closed_at", "version", "updated_at",
        "updated_by",
    ]  # fmt: skip
    return frame.reindex(columns=columns)


def customer_card(backend: ibis.BaseBackend, customer_id: str, limit: int = 5) -> dict[str, pd.DataFrame]:
    """A customer's latest interactions and survey answers, for the item being handled."""
    events = backend.table("interactions")
    events = events.filter(events.customer_id == customer_id)
    recent = events.order_by(ibis.desc("occurred_at")).limit(limit)
    recent = recent.select(
        When="occurred_at",
        Touchpoint="touchpoint",
        Channel="channel",
        Outcome="outcome",
        **{"First response (s)": "response_time_s", "Revenue": "revenue"},
    )
    answers = backend.table("responses")
    answers = answers.filter(answers.customer_id == customer_id).order_by(ibis.desc("responded_at")).limit(limit)
    answers = answers.select(
        When="responded_at", Survey="survey", Score="score", Touchpoint="touchpoint", Comment="comment"
    )
    return {"interactions": recent.execute(), "answers": answers.execute()}


# --- did it work? -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactTimes:
    """Time to first contact for one group, against the SLA."""

    group: str
    contacted: int
    median: stats.Estimate  # hours on the SLA clock, with its 95% interval
    p90: float | None
    within: stats.Estimate  # % of items whose clock has run out (or that were contacted) reached in time


def contact_times(frame: pd.DataFrame, by: str | None = None) -> list[ContactTimes]:
    """Median and 90th percentile of the time to first contact, and the share within SLA, per group.

    The share counts every item whose SLA has been decided: contacted (in time or late) or overdue.
    Items still inside their SLA are not counted yet, so a fresh queue does not look good or bad.
    """
    groups = [("All", frame)] if by is None else [(str(g), rows) for g, rows in frame.groupby(by, dropna=False)]
    out = []
    for group, rows in groups:
        hours = rows["contact_hours"].dropna().to_numpy(dtype=float)
        decided = rows["within_sla"].dropna()
        p90 = float(np.quantile(hours, 0.9)) if len(hours) else None
        out.append(
            ContactTimes(
                group="Unassigned" if group in ("nan", "None", "<NA>") else group,
                contacted=len(hours),
                median=stats.median_estimate(hours),
                p90=p90,
                within=stats.proportion(int(decided.astype(bool).sum()), len(decided)),
            )
        )
    return sorted(out, key=lambda c: -c.within.n) if by else out


def contact_table(rows: list[ContactTimes]) -> pd.DataFrame:
    """ContactTimes as a table for the page and its download."""
    return pd.DataFrame(
        [
            {
                "group": r.group,
                "contacted": r.contacted,
                "median_hours": r.median.value,
                "median_ci_low": r.median.ci_low,
                "median_ci_high": r.median.ci_high,
                "p90_hours": r.p90,
                "within_sla_pct": r.within.value,
                "within_ci_low": r.within.ci_low,
                "within_ci_high": r.within.ci_high,
                "decided": r.within.n,
                "small": r.within.small,
            }
            for r in rows
        ]
    )


def category(survey: str, score: int) -> int:
    """0 unhappy, 1 neutral, 2 happy: NPS detractor/passive/promoter; CSAT 1–2/3/4–5; CES 1–2/3–4/5–7."""
    if survey == "nps":
        return 0 if score <= 6 else 1 if score <= 8 else 2
    if survey == "csat":
        return 0 if score <= 2 else 1 if score == 3 else 2
    return 0 if score <= 2 else 1 if score <= 4 else 2


@dataclass(frozen=True)
class Recovery:
    """Share of customers whose next answer (same survey) is in a better category than the unhappy one."""

    contacted: stats.Estimate  # % recovered among followed-up customers with a next answer
    not_contacted: stats.Estimate
    comparison: stats.Comparison  # contacted − not contacted, percentage points
    waiting_contacted: int  # followed up, no next answer yet
    waiting_not_contacted: int


def _reference_items(items: pd.DataFrame) -> pd.DataFrame:
    """One item per customer: their first in the period.

    Not "the first followed-up one": a customer who stays unhappy answers unhappily again and
    again, so is likelier to be followed up at some point; choosing by contact would put the
    customers who did not recover into the contacted group. The first answer is fixed before
    anything that follows it.
    """
    return items.sort_values(["customer_id", "responded_at", "response_id"]).drop_duplicates("customer_id")


def recovery(items: pd.DataFrame, answers: pd.DataFrame, survey: str = "nps") -> Recovery:
    """Recovery of unhappy answers on one survey (NPS: detractors), contacted against not contacted.

    `answers` holds the customers' answers (customer_id, survey, score, responded_at). A customer
    recovered when their next answer on the same survey — after the unhappy one and, when followed
    up, after the first contact — is in a better category (for NPS: passive or promoter). Customers
    who have not answered again are left out and counted as waiting. The not-contacted share is the
    baseline: unhappy customers tend to answer better next time anyway (regression to the mean), so
    only the difference speaks for the follow-up.
    """
    reference = _reference_items(items[items["survey"] == survey])
    reached = reference["first_contact_at"].notna()
    since = reference["responded_at"].where(~reached, reference[["responded_at", "first_contact_at"]].max(axis=1))
    # One key type on both sides: an empty selection comes back as object, a filled one as string.
    left = reference.assign(customer_id=reference["customer_id"].astype(str), _since=_ns(since), _reached=reached)
    left = left.sort_values("_since")
    right = answers[answers["survey"] == survey]
    right = pd.DataFrame(
        {"customer_id": right["customer_id"].astype(str), "_next_at": _ns(right["responded_at"]),
         "_next": right["score"]}
    ).sort_values("_next_at")  # fmt: skip
    merged = pd.merge_asof(
        left, right, left_on="_since", right_on="_next_at", by="customer_id", direction="forward",
        allow_exact_matches=False,
    )  # fmt: skip
    answered = merged["_next"].notna()
    better = [
        answered_ and category(survey, int(after)) > category(survey, int(before))
        for answered_, after, before in zip(answered, merged["_next"].fillna(0), merged["score"], strict=True)
    ]
    merged["_better"] = better
    counts = {}
    for group in (True, False):
        rows = merged[merged["_reached"] == group]
        counts[group] = (int(rows["_better"].sum()), int(rows["_next"].notna().sum()), int(rows["_next"].isna().sum()))
    (x1, n1, w1), (x0, n0, w0) = counts[True], counts[False]
    return Recovery(
        contacted=stats.proportion(x1, n1),
        not_contacted=stats.proportion(x0, n0),
        comparison=stats.compare_proportions(x1, n1, x0, n0),
        waiting_contacted=w1,
        waiting_not_contacted=w0,
    )


def _ns(moments: pd.Series) -> pd.Series:
    """One datetime unit on both sides of an as-of merge."""
    return pd.to_datetime(moments).astype("datetime64[ns]")


def score_band(score: int) -> str:
    for low, high in NPS_SCORE_BANDS:
        if low <= score <= high:
            return f"{low}–{high}" if low != high else str(low)
    raise ValueError(f"{score} is not a detractor score (0–6)")


@dataclass(frozen=True)
class MatchedChurn:
    """Churn within 90 days of a detractor answer: followed up within a week, or not (observational)."""

    matched: stats.MatchedDifference | None  # None when no stratum has customers of both kinds
    naive: stats.Comparison  # the unmatched difference, to show what matching changed
    contacted: int  # eligible followed-up customers (before matching)
    not_contacted: int
    answered_from: date | None  # the answers this covers
    answered_to: date | None
    strata: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)


def matched_churn(
    items: pd.DataFrame,
    data_end: date,
    *,
    window_days: int = CHURN_WINDOW_DAYS,
    landmark_days: int = LANDMARK_DAYS,
) -> MatchedChurn:
    """Churn of followed-up against not-followed-up detractors, matched on segment, plan and score band.

    One answer per customer (their first detractor answer in the period whose whole window has
    passed by `data_end`). A landmark keeps the comparison fair: a
    customer counts as followed up when the first contact came within `landmark_days`; whoever had
    already churned by then is left out of both groups, and churn is counted from the landmark to
    the end of the window (otherwise customers who leave at once, before anyone could call, would
    all land in the not-contacted group). Within each stratum (segment × plan × band) the churn
    rates are compared; the strata are weighted by the followed-up customers in them
    (stats.matched_difference).
    """
    nps = items[(items["survey"] == "nps") & (items["score"] <= UNHAPPY_MAX["nps"])].copy()
    answered = nps["responded_at"]
    landmark = answered + pd.Timedelta(days=landmark_days)
    window_end = answered + pd.Timedelta(days=window_days)
    nps["reached"] = nps["first_contact_at"].notna() & (nps["first_contact_at"] <= landmark)
    nps = nps[window_end <= pd.Timestamp(data_end) + pd.Timedelta(days=1)]
    churn = pd.to_datetime(nps["churn_date"])
    nps = nps[churn.isna() | (churn >= (nps["responded_at"] + pd.Timedelta(days=landmark_days)).dt.normalize())]
    nps = _reference_items(nps)
    churn = pd.to_datetime(nps["churn_date"])
    nps["churned"] = churn.notna() & (churn <= nps["responded_at"] + pd.Timedelta(days=window_days))
    nps["band"] = nps["score"].map(score_band)
    nps["segment"] = nps["segment"].fillna(metrics.UNKNOWN)
    nps["plan"] = nps["plan"].fillna(metrics.UNKNOWN)
    reached, others = nps[nps["reached"]], nps[~nps["reached"]]
    naive = stats.compare_proportions(
        int(reached["churned"].sum()), len(reached), int(others["churned"].sum()), len(others)
    )
    strata = (
        nps.groupby(["segment", "plan", "band", "reached"])["churned"]
        .agg(["sum", "count"])
        .unstack("reached", fill_value=0)
    )
    table = pd.DataFrame(
        {
            "contacted_churned": _column(strata, ("sum", True)),
            "contacted": _column(strata, ("count", True)),
            "not_contacted_churned": _column(strata, ("sum", False)),
            "not_contacted": _column(strata, ("count", False)),
        },
        index=strata.index,
    ).reset_index()
    matched = stats.matched_difference(
        list(
            table[["contacted_churned", "contacted", "not_contacted_churned", "not_contacted"]].itertuples(
                index=False, name=None
            )
        )
    )
    span = nps["responded_at"]
    return MatchedChurn(
        matched=matched,
        naive=naive,
        contacted=len(reached),
        not_contacted=len(others),
        answered_from=span.min().date() if len(span) else None,
        answered_to=span.max().date() if len(span) else None,
        strata=table,
    )


def _column(frame: pd.DataFrame, key: tuple) -> pd.Series:
    return frame[key].astype("int64") if key in frame.columns else pd.Series(0, index=frame.index, dtype="int64")


def churn_period(filters: Filters, data_end: date, window_days: int = CHURN_WINDOW_DAYS) -> Filters:
    """The answers the churn comparison can use: the filter period, cut where 90 days have not passed.

    When none of the period has had 90 days yet (the default, recent view), the period of the same
    length that ends 90 days before the data does.
    """
    last_complete = data_end - timedelta(days=window_days)
    if filters.start <= last_complete:
        return replace(filters, end=min(filters.end, last_complete))
    return replace(filters, start=last_complete - timedelta(days=filters.days - 1), end=last_complete)


@dataclass(frozen=True)
class DidItWork:
    """Every "did it work?" figure for one filter selection."""

    items: int
    followed_up: int
    overall: ContactTimes
    by_owner: list[ContactTimes]
    by_segment: list[ContactTimes]
    recovery: Recovery
    churn: MatchedChurn
    policy: str
    outcomes_from: date  # recovery and churn cover the answers of these days (90 days passed)
    outcomes_to: date


def _later_answers(backend: ibis.BaseBackend, items: pd.DataFrame, since: date) -> pd.DataFrame:
    answers = backend.table("responses")
    ids = ibis.memtable(pd.DataFrame({"customer_id": items["customer_id"].drop_duplicates().astype(str)}))
    answers = answers.filter(
        answers.customer_id.isin(ids.customer_id) & (answers.responded_at >= ibis.timestamp(since.isoformat()))
    )
    frame = answers.select("customer_id", "survey", "score", "responded_at").execute()
    frame["responded_at"] = pd.to_datetime(frame["responded_at"])
    return frame


def _answered_in(items: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    day = items["responded_at"].dt.date
    return items[(day >= filters.start) & (day <= filters.end)].reset_index(drop=True)


def did_it_work(backend: ibis.BaseBackend, filters: Filters, policy: SlaPolicy, now: datetime) -> DidItWork:
    """Time to first contact, recovery and matched churn for the answers in the filter period."""
    span = metrics.data_range(backend)
    data_end = span[1] if span else filters.end
    churn_filters = churn_period(filters, data_end)
    # One query for both periods (the filter period and the one whose 90 days have passed), split here.
    both = replace(filters, start=min(filters.start, churn_filters.start), end=max(filters.end, churn_filters.end))
    every = queue(backend, both, policy, now, for_figures=True)
    items, churn_items = _answered_in(every, filters), _answered_in(every, churn_filters)
    # Outcomes need time: recovery and churn look at the answers whose 90 days have passed.
    answers = _later_answers(backend, churn_items, churn_filters.start) if len(churn_items) else _empty_answers()
    return DidItWork(
        items=len(items),
        followed_up=int(items["first_contact_at"].notna().sum()) if len(items) else 0,
        overall=contact_times(items)[0],
        by_owner=contact_times(items, "owner") if len(items) else [],
        by_segment=contact_times(items, "segment") if len(items) else [],
        recovery=recovery(churn_items, answers),
        churn=matched_churn(churn_items, data_end),
        policy=policy.describe(),
        outcomes_from=churn_filters.start,
        outcomes_to=churn_filters.end,
    )


def _empty_answers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.Series(dtype="object"),
            "survey": pd.Series(dtype="object"),
            "score": pd.Series(dtype="int64"),
            "responded_at": pd.Series(dtype="datetime64[ns]"),
        }
    )


def has_followups(backend: ibis.BaseBackend) -> bool:
    """Whether anyone has started following up (the Overview shows the figures only then)."""
    return bool(backend.table("followups").count().execute())


# --- "you said, we did" -------------------------------------------------------------------------

BEFORE_AFTER_DAYS = 90


def actions(backend: ibis.BaseBackend) -> pd.DataFrame:
    """Every recorded action, newest first."""
    table = backend.table("followup_actions")
    frame = table.order_by([ibis.desc("taken_on"), ibis.desc("action_id")]).execute()
    frame["taken_on"] = pd.to_datetime(frame["taken_on"]).dt.date
    return frame


def actions_for_trend(frame: pd.DataFrame, filters: Filters, split: str | None) -> pd.DataFrame:
    """The actions a trend should mark: its touchpoints' (filtered to, or split by), else theme-only ones."""
    if frame.empty:
        return frame
    chosen = filters.values("touchpoint")
    if chosen:
        return frame[frame["touchpoint"].isin(chosen)]
    if split == "touchpoint":
        return frame[frame["touchpoint"].notna()]
    return frame[frame["touchpoint"].isna()]


def before_after(
    backend: ibis.BaseBackend, action: Mapping[str, Any], filters: Filters, days: int = BEFORE_AFTER_DAYS
) -> metrics.Summary:
    """The action's metric in the `days` from the action on, against the same number of days before.

    Uses the metric registry's own test (metrics.summary compares a period with the one before it);
    the period is cut at the end of the data, so both sides are always of equal length.
    """
    taken = action["taken_on"]
    taken = taken if isinstance(taken, date) else pd.Timestamp(taken).date()
    span = metrics.data_range(backend)
    end = taken + timedelta(days=days - 1)
    if span:
        end = min(end, span[1])
    end = max(end, taken)
    where = dict(filters.where)
    where.pop("touchpoint", None)
    if action.get("touchpoint"):
        where["touchpoint"] = (action["touchpoint"],)
    period = Filters(start=taken, end=end).with_values(**where)
    metric = action.get("metric") or "csat"
    if metric not in SURVEY_SCALES:
        metric = "csat"
    return metrics.summary(backend, metric, period)


def before_after_sentence(action: Mapping[str, Any], result: metrics.Summary) -> str:
    """'CSAT at Billing inquiry 71% in the 90 days after, up 9.2 pts on the 90 days before (n = 410).'"""
    metric, current, previous = result.metric, result.current, result.previous
    where = f" at {action['touchpoint']}" if action.get("touchpoint") else ""
    if current.value is None or previous is None or previous.value is None:
        return f"Not enough {metric.label} answers{where} on both sides of the action to compare yet."
    text = (
        f"{metric.label}{where}: {metric.format(previous.value)} before (n = {previous.n:,}), "
        f"{metric.format(current.value)} after (n = {current.n:,})"
    )
    if current.small or previous.small:
        return text + f" — too few answers (fewer than {stats.MIN_N}) to test the change."
    change = result.comparison
    if change.significant:
        word = "better" if result.improved else "worse"
        return text + f": significantly {word} ({metric.format_change(change.difference)}, {_p_text(change.p_value)})."
    return text + f": no significant change ({metric.format_change(change.difference)})."


def _p_text(p_value: float | None) -> str:
    return "" if p_value is None else ("p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}")
