"""Which column is which: header synonyms and phrasings, backed by what the values look like.

A header is normalised (`customerID`, `Customer Id`, `customer_id` all become
"customer id") and matched against patterns in order, most specific first.
A pattern only wins if the values agree: a "Churn" column must hold yes/no
flags, a "How likely are you to recommend us?" column must hold numbers, or it
falls through to the next candidate (a comment, say).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from cx.ingest.dates import DateFormat

SCORE_FIELDS = {"nps_score": "nps", "csat_score": "csat", "ces_score": "ces"}
CUSTOMER_FIELDS = ("customer_id", "name", "segment", "region", "plan", "signup_date", "churn_date", "churned")
INTERACTION_FIELDS = ("interaction_id", "customer_id", "occurred_at", "channel", "journey_stage", "touchpoint", "outcome",
                      "response_time_s", "resolution_time_s", "revenue")  # fmt: skip
RESPONSE_FIELDS = ("response_id", "customer_id", "responded_at", "survey", "score", *SCORE_FIELDS, "comment", "touchpoint",
                   "channel", "journey_stage", "interaction_id")  # fmt: skip
# What --map accepts: the data model's field names, the three score columns, and "ignore".
FIELDS = tuple(dict.fromkeys(CUSTOMER_FIELDS + INTERACTION_FIELDS + RESPONSE_FIELDS + ("ignore",)))
KINDS = ("customers", "interactions", "responses")


@dataclass
class ColumnProfile:
    """What a column's values look like, measured over the whole staged file."""

    index: int
    header: str
    filled: int = 0
    distinct: int = 0
    numeric: int = 0
    integer: int = 0
    flags: int = 0  # yes/no, true/false, 0/1, y/n
    leading_zero: int = 0
    minimum: float | None = None
    maximum: float | None = None
    date: DateFormat | None = None
    decimal_comma: bool = False

    def mostly(self, count: int) -> bool:
        return self.filled > 0 and count >= 0.95 * self.filled


def normalise(header: str) -> str:
    """`customerID` / `Customer_Id` / ` customer id ` -> "customer id"."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", header)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", spaced.lower()).split())


def _numeric(p: ColumnProfile) -> bool:
    # Most values numbers: the column is what its header says, and the others become rejects with
    # their reasons; a column is never dropped whole for having some bad values.
    return p.filled > 0 and p.numeric >= 0.5 * p.filled


def _flag(p: ColumnProfile) -> bool:
    return p.mostly(p.flags)


def _dated(p: ColumnProfile) -> bool:
    return p.date is not None


def _text(p: ColumnProfile) -> bool:
    return p.date is None


def _any(p: ColumnProfile) -> bool:
    return True


def _duration(p: ColumnProfile) -> bool:
    return _numeric(p) or p.date is not None  # timestamps are caught later and explained


# (field, pattern on the normalised header, check on the values). First match wins.
# "date" and "id" are resolved by the kind of file: signup_date / occurred_at / responded_at, and so on.
PATTERNS: list[tuple[str, str, Callable[[ColumnProfile], bool]]] = [
    (
        "response_time_s",
        r"\b(first )?(response|reply) time\b|time to (first )?(response|reply)|^first (response|reply)\b|\bfrt\b",
        _duration,
    ),
    (
        "resolution_time_s",
        r"\bresolution time\b|time to (resolution|resolve)|\bresolve time|handl\w* time|\baht\b|^duration\b",
        _duration,
    ),
    ("nps_score", r"\bnps\b|recommend|net promoter|promoter score", _numeric),
    ("ces_score", r"\bces\b|effort|\beas(y|e|ier)\b", _numeric),
    ("csat_score", r"csat|satisf", _numeric),
    ("score", r"^(score|rating|stars|overall rating|customer rating)$", _numeric),
    ("survey", r"^(survey|survey type|survey name|metric)$", _text),
    (
        "churn_date",
        r"churn(ed)? (date|on|at)|cancel\w* (date|on|at)|termination date|date (of )?(churn|cancellation)|end date",
        _dated,
    ),
    (
        "signup_date",
        r"sign ?up|customer since|join(ed)? (date|on)|date joined|registration|registered|account created|onboard\w* date|acquisition date|start date",
        _dated,
    ),
    (
        "responded_at",
        r"(response|survey|submission|feedback|completion|answer) (date|time|timestamp)|(submitted|completed|responded|answered) (at|on|date)|^(submitted|completed|recorded date|submit date)$",
        _dated,
    ),
    (
        "date",
        r"^(date|timestamp|time|datetime|date time|created|opened|created at|created date|creation date|event date|event time)$|(order|purchase|interaction|event|contact|call|visit|transaction|ticket|opened|created) (date|time|at|on|timestamp)|date of (purchase|order|contact|visit|creation)",
        _dated,
    ),
    (
        "churned",
        r"^(churn|churned|exited|exit|attrition|attrited|attrition flag|cancelled|canceled|is churned|has churned|churn flag|churn label|churn value|churn status|left)$",
        _flag,
    ),
    (
        "interaction_id",
        r"^(ticket|case|interaction|conversation|call|chat|incident|order|transaction|session|visit) ?(id|number|no|nr|key)?$",
        _any,
    ),
    ("response_id", r"^(response|respondent|survey response|submission) ?(id|number|no|key)$|^respondent$", _any),
    (
        "customer_id",
        r"^(customer|client|account|user|member|cust|subscriber|buyer|shopper|contact) ?(id|number|no|nr|code|key|ref)$|^(customer|client|account)$",
        _any,
    ),
    ("id", r"^(id|uuid|key|record id)$", _any),
    ("name", r"^(customer |client |account |full |company |contact )?name$|^surname$|^last name$", _text),
    ("segment", r"\bsegment\b|^(customer type|customer tier|customer class)$", _any),
    ("region", r"^(region|country|geography|territory|market|location|state|area|sales region|country code)$", _text),
    # Only what names a plan: a "Contract" (month-to-month, one year) is a term, kept as an attribute to segment by.
    (
        "plan",
        r"^(plan|plan type|plan name|subscription|subscription plan|subscription type|pricing plan|package|tier)$",
        _text,
    ),
    ("channel", r"\bchannel\b|^(source|medium|via|contact method|contact type)$", _text),
    ("journey_stage", r"\bjourney\b|^(stage|lifecycle stage|lifecycle)$", _text),
    (
        "touchpoint",
        r"touch ?point|^(ticket type|ticket category|category|topic|contact reason|reason for contact|issue type|case type|request type)$",
        _text,
    ),
    ("outcome", r"^(outcome|status|ticket status|case status|result|disposition|resolution status)$", _text),
    (
        "revenue",
        r"^(revenue|amount|value|order value|sales|spend|total|price|order total|purchase amount|amount spent|total amount|sale amount|net sales|order amount)$",
        _numeric,
    ),
    (
        "comment",
        r"comment|feedback|verbatim|^why\b|reason for (your |the )?(score|rating)|open text|remark|suggestion|what could we|anything else|tell us",
        _text,
    ),
]

_UNITS = ((r"\b(ms|millis\w*)\b", 0.001), (r"\b(s|sec|secs|second|seconds)\b", 1.0), (r"\b(m|min|mins|minute|minutes)\b", 60.0),
          (r"\b(h|hr|hrs|hour|hours)\b", 3600.0), (r"\b(d|day|days)\b", 86400.0))  # fmt: skip
_ZERO_IS_NO_ANSWER = re.compile(
    r"\b0\s*(=|:|means|is)\s*(n\s*/?\s*a|no answer|not applicable|none|skipped|don.?t know|unknown)", re.I
)
_SCALE_WORDS = re.compile(
    r"\(.*?\)|\b(csat|nps|ces|score|rating|satisfaction|satisfied|how|were|was|are|you|with|the|our|your|of|on|a|scale|overall|effort|easy)\b|\d+\s*[-–]\s*\d+",
    re.I,
)


def duration_factor(header: str) -> float | None:
    """Seconds per unit when the header names the unit (`First response (minutes)` -> 60)."""
    words = normalise(header)
    for pattern, factor in _UNITS:
        if re.search(pattern, words):
            return factor
    return None


def zero_means_no_answer(header: str) -> bool:
    """Whether the header says a 0 is "no answer" (`Satisfaction (1-5, 0 = N/A)`)."""
    return bool(_ZERO_IS_NO_ANSWER.search(header))


def touchpoint_from_header(header: str) -> str | None:
    """`Satisfaction with delivery (1-5)` -> "Delivery": what is left once the scale words are gone."""
    rest = " ".join(_SCALE_WORDS.sub(" ", header).replace("?", " ").split()).strip(" -:_")
    return rest[:1].upper() + rest[1:] if rest else None


def match_header(profile: ColumnProfile) -> str | None:
    words = normalise(profile.header)
    for field, pattern, check in PATTERNS:
        if re.search(pattern, words) and check(profile):
            return field
    return None


def guess_fields(profiles: list[ColumnProfile], headerless: bool, known_ids: int | None = None) -> dict[int, str]:
    """Column index -> field (or "date"/"id" to be resolved by kind), by header then by values.

    `known_ids`: a column whose values are customer ids already stored (found by the caller)."""
    fields = {p.index: f for p in profiles if (f := match_header(p))}
    if known_ids is not None and known_ids not in fields and "customer_id" not in fields.values():
        fields[known_ids] = "customer_id"
    if "date" not in fields.values() and not any(f.endswith(("_at", "_date")) for f in fields.values()):
        dated = [p for p in profiles if p.index not in fields and p.date is not None and p.date.share >= 0.8]
        if dated:
            fields[dated[0].index] = "date"
    if headerless:
        # With no header, only the values speak: an id-like column (leading zeros, repeated
        # values) is the customer, a column of amounts with cents is revenue.
        rest = [p for p in profiles if p.index not in fields]
        ids = [p for p in rest if p.leading_zero or (p.mostly(p.integer) and p.distinct < p.filled)]
        if ids and "customer_id" not in fields.values():
            fields[ids[0].index] = "customer_id"
        amounts = [p for p in rest if p.mostly(p.numeric) and p.integer < p.numeric and p.index not in fields]
        if amounts:
            fields[amounts[0].index] = "revenue"
    # Only the first column of each single-valued field keeps it; score columns may repeat (wide surveys).
    seen: set[str] = set()
    for index in sorted(fields):
        field = fields[index]
        if field in SCORE_FIELDS or field == "score":
            continue
        if field in seen:
            del fields[index]
        seen.add(field)
    return fields


def detect_kind(fields: set[str]) -> str | None:
    """customers, interactions, responses or interactions+responses (a help-desk export with ratings)."""
    scores = bool(fields & {*SCORE_FIELDS, "score"})
    ticket = bool(fields & {"interaction_id", "outcome", "response_time_s", "resolution_time_s", "revenue"})
    if scores:
        return "interactions+responses" if ticket and "response_id" not in fields else "responses"
    customer = bool(fields & {"churned", "signup_date", "churn_date", "segment", "plan", "region", "name"})
    dated = bool(fields & {"date", "occurred_at"})
    if (
        dated
        and (ticket or fields & {"channel", "touchpoint", "journey_stage", "customer_id"})
        and not (fields & {"churned", "signup_date"})
    ):
        return "interactions"
    if customer or ("customer_id" in fields and not dated):
        return "customers"
    if dated and ticket:
        return "interactions"
    return None


def resolve(fields: dict[int, str], kind: str) -> dict[int, str]:
    """Turn the kind-dependent guesses ("date", "id") into fields of that kind."""
    date_field = {"customers": "signup_date", "interactions": "occurred_at"}.get(kind, "responded_at")
    if kind == "interactions+responses":
        date_field = "occurred_at"
    id_field = {"customers": "customer_id", "interactions": "interaction_id", "responses": "response_id"}.get(
        kind, "interaction_id"
    )
    resolved = {}
    for index, field in fields.items():
        field = {"date": date_field, "id": id_field}.get(field, field)
        if field not in resolved.values() or field in SCORE_FIELDS:
            resolved[index] = field
    return resolved


def fields_for(kind: str) -> set[str]:
    """The fields a kind of file can fill; anything else is unmapped (customer attributes for customers)."""
    allowed = set()
    for part in kind.split("+"):
        allowed |= set(
            {"customers": CUSTOMER_FIELDS, "interactions": INTERACTION_FIELDS, "responses": RESPONSE_FIELDS}[part]
        )
    if kind == "interactions+responses":
        allowed |= set(RESPONSE_FIELDS) - {"response_id"}
    return allowed | {"ignore"}


def kind_of_mapping(fields: set[str], declared: str | None) -> str | None:
    """The kind a (possibly user-corrected) mapping describes, or the declared one."""
    if declared in ("interactions", "customers"):
        scored = fields & {*SCORE_FIELDS, "score"}
        return "interactions+responses" if declared == "interactions" and scored else declared
    if declared == "responses":
        return "responses"
    return detect_kind(fields)
