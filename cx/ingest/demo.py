"""Build the seeded demo database (customers, interactions, survey responses).

The data tells a story a CX leader can find on the dashboard:

- Segments, regions, plans and acquisition channels differ in NPS, CSAT and
  churn (Enterprise, Europe, Premium and Referral customers are happiest;
  Consumer, LATAM, Basic and Paid-ads customers least happy and churn most).
- Fewer customers reach later journey stages (awareness → … → renewal);
  volumes peak in Q4 and dip in summer and at weekends.
- Scores follow experiences: unresolved or slow interactions lower the CSAT
  and CES of that interaction and the customer's next NPS; 'Billing inquiry'
  and 'Setup call' are systematically weak, 'Welcome email' and 'Mobile app'
  strong. Interactions go worse, and NPS drops, in the months before a
  customer churns, so detractors churn more within 90 days.
- The incident: in the calendar month five months before the build day's
  month (for a build on 2026-11-24: June 2026) the support touchpoint
  'Billing inquiry' goes wrong: twice the usual volume, response times
  tripled, many more unresolved cases, CSAT and CES collapse, and the NPS of
  customers who went through it in the following 90 days dips. `DemoSummary`
  records the month and the touchpoint.

Everything is drawn with numpy from one seed (same seed and same `today` →
the same database) and loaded through Arrow in one transaction into a
temporary file that is renamed into place only when complete.
"""

from __future__ import annotations

import getpass
import os
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from cx.ingest import comments
from cx.ingest.demo_followups import add_followup_history
from cx.store import rollups
from cx.store.db import db_path, writing
from cx.store.schema import JOURNEY_STAGES

DEMO_FILE_NAME = "demo data"
WINDOW_MONTHS = 24
SIGNUP_YEARS = 4
INCIDENT_MONTHS_BEFORE = 5
INCIDENT_TOUCHPOINT = "Billing inquiry"
DAY_S = 86_400

# Customer make-up. "mood" shifts a customer's latent satisfaction (sd 1);
# churn multiplies the monthly churn hazard.
SEGMENTS = ("Enterprise", "Mid-market", "SMB", "Consumer")
SEGMENT_SHARE = np.array([0.08, 0.20, 0.32, 0.40])
SEGMENT_MOOD = np.array([0.40, 0.15, -0.05, -0.30])
SEGMENT_CHURN = np.array([0.50, 0.75, 1.05, 1.30])
SEGMENT_ACTIVITY = np.array([3.0, 1.8, 1.0, 0.6])  # interactions per active day, relative
SEGMENT_SEATS = np.array([25.0, 8.0, 2.0, 1.0])  # revenue multiplier
SEGMENT_SURVEY_RESPONSE = np.array([1.3, 1.1, 1.0, 0.8])

REGIONS = ("North America", "Europe", "APAC", "LATAM")
REGION_SHARE = np.array([0.42, 0.30, 0.18, 0.10])
REGION_MOOD = np.array([0.10, 0.20, -0.10, -0.40])

PLANS = ("Basic", "Pro", "Premium")
PLAN_SHARE_BY_SEGMENT = np.array(
    [
        [0.05, 0.35, 0.60],  # Enterprise
        [0.15, 0.55, 0.30],  # Mid-market
        [0.40, 0.45, 0.15],  # SMB
        [0.65, 0.28, 0.07],  # Consumer
    ]
)
PLAN_MOOD = np.array([-0.30, 0.05, 0.35])
PLAN_CHURN = np.array([1.30, 1.00, 0.70])
PLAN_MONTHLY_PRICE = np.array([15.0, 45.0, 120.0])  # per seat

INDUSTRIES = ("Technology", "Retail", "Manufacturing", "Healthcare", "Financial services", "Education", "Individual")
INDUSTRY_SHARE_B2B = np.array([0.24, 0.20, 0.18, 0.14, 0.14, 0.10])
INDUSTRY_MOOD = np.array([0.05, -0.10, 0.0, -0.15, 0.05, 0.15, 0.0])

ACQUISITION_CHANNELS = ("Organic search", "Paid ads", "Referral", "Partner", "Sales outreach")
ACQUISITION_SHARE_B2B = np.array([0.25, 0.20, 0.20, 0.15, 0.20])
ACQUISITION_SHARE_CONSUMER = np.array([0.40, 0.35, 0.25, 0.0, 0.0])
ACQUISITION_MOOD = np.array([0.10, -0.30, 0.40, 0.0, -0.05])

# Journey: a customer reaches stage k with probability STAGE_REACH[k]; among
# the stages reached, an interaction falls in each with STAGE_WEIGHT.
STAGE_REACH = np.array([1.0, 0.94, 0.87, 0.80, 0.62, 0.45])
STAGE_WEIGHT = np.array([0.07, 0.05, 0.07, 0.52, 0.22, 0.07])

CHANNELS = ("Web", "Mobile app", "Email", "Phone", "Chat", "In-person")
OUTCOMES = ("completed", "abandoned", "resolved", "unresolved", "escalated")
COMPLETED, ABANDONED, RESOLVED, UNRESOLVED, ESCALATED = range(5)


@dataclass(frozen=True)
class Touchpoint:
    stage: str
    name: str
    weight: float  # share within its stage
    kind: str  # task: completed|abandoned; sale: the same, with revenue; service: resolved|unresolved|escalated
    bad_logit: float  # base log-odds of a bad outcome
    csat: float  # systematic CSAT (and CES) shift
    survey_weight: float  # how often it is followed by a CSAT/CES survey
    channels: dict[str, float]


TOUCHPOINTS: tuple[Touchpoint, ...] = (
    Touchpoint("awareness", "Website visit", 0.60, "task", -1.2, 0.10, 0.05, {"Web": 0.75, "Mobile app": 0.25}),
    Touchpoint("awareness", "Ad click", 0.40, "task", -0.6, 0.0, 0.03, {"Web": 0.55, "Mobile app": 0.45}),
    Touchpoint("purchase", "Checkout", 0.65, "sale", -1.6, 0.15, 1.0, {"Web": 0.75, "Mobile app": 0.25}),
    Touchpoint("purchase", "Sales call", 0.35, "sale", -0.8, 0.0, 0.8, {"Phone": 0.8, "In-person": 0.2}),
    Touchpoint("onboarding", "Welcome email", 0.40, "task", -3.0, 0.55, 0.6, {"Email": 1.0}),
    Touchpoint("onboarding", "Setup call", 0.25, "service", -0.6, -0.55, 1.6, {"Phone": 0.85, "In-person": 0.15}),
    Touchpoint("onboarding", "Account setup", 0.35, "task", -1.6, 0.05, 1.2, {"Web": 0.7, "Mobile app": 0.3}),
    Touchpoint("usage", "Mobile app", 0.45, "task", -2.6, 0.45, 0.35, {"Mobile app": 1.0}),
    Touchpoint("usage", "Web app", 0.40, "task", -2.3, 0.10, 0.3, {"Web": 1.0}),
    Touchpoint("usage", "Feature adoption", 0.15, "task", -1.4, 0.10, 0.6, {"Web": 0.6, "Mobile app": 0.4}),
    Touchpoint("support", "Support ticket", 0.40, "service", -1.5, -0.10, 2.5, {"Email": 0.5, "Web": 0.5}),
    Touchpoint(
        "support", "Billing inquiry", 0.25, "service", -1.0, -0.50, 2.5, {"Phone": 0.5, "Email": 0.3, "Chat": 0.2}
    ),
    Touchpoint("support", "Live chat", 0.35, "service", -1.7, 0.10, 2.0, {"Chat": 1.0}),
    Touchpoint("renewal", "Renewal reminder", 0.55, "sale", -1.6, 0.0, 0.5, {"Email": 1.0}),
    Touchpoint("renewal", "Renewal call", 0.45, "sale", -1.0, -0.10, 1.0, {"Phone": 0.8, "In-person": 0.2}),
)
TOUCHPOINT_NAMES = tuple(t.name for t in TOUCHPOINTS)
TOUCHPOINT_STAGE = np.array([JOURNEY_STAGES.index(t.stage) for t in TOUCHPOINTS])
TOUCHPOINT_BAD = np.array([t.bad_logit for t in TOUCHPOINTS])
TOUCHPOINT_CSAT = np.array([t.csat for t in TOUCHPOINTS])
TOUCHPOINT_SURVEY = np.array([t.survey_weight for t in TOUCHPOINTS])
TOUCHPOINT_KIND = np.array([t.kind for t in TOUCHPOINTS])
SUPPORT = JOURNEY_STAGES.index("support")
ONBOARDING = JOURNEY_STAGES.index("onboarding")
PURCHASE = JOURNEY_STAGES.index("purchase")
RENEWAL = JOURNEY_STAGES.index("renewal")
INCIDENT_TP = TOUCHPOINT_NAMES.index(INCIDENT_TOUCHPOINT)

# Support response (first answer) and resolution times by channel: log-normal median seconds and sigma.
RESPONSE_MEDIAN_S = {"Chat": 75.0, "Phone": 200.0, "Email": 4 * 3600.0, "Web": 3 * 3600.0}
RESOLUTION_MEDIAN_S = {"Chat": 12 * 60.0, "Phone": 20 * 60.0, "Email": 20 * 3600.0, "Web": 16 * 3600.0}
RESPONSE_SIGMA = {"Chat": 0.8, "Phone": 0.7, "Email": 0.9, "Web": 0.9}

# Volume by calendar month (Q4 peak, summer dip) and weekday (Mon..Sun).
MONTH_SEASON = np.array([0.95, 0.95, 1.0, 1.0, 0.97, 0.9, 0.8, 0.8, 1.0, 1.05, 1.2, 1.25])
WEEKDAY_SEASON = np.array([1.1, 1.1, 1.1, 1.1, 1.05, 0.7, 0.6])

SURVEYS = ("nps", "csat", "ces")
# The one question each demo survey asks, kept with every answer as an import keeps a file's header.
QUESTIONS = {
    "nps": "How likely are you to recommend us to a friend or colleague?",
    "csat": "How satisfied were you with your experience?",
    "ces": "How easy was it to get what you needed?",
}
SURVEY_SHARE = {"nps": 0.30, "ces": 0.15}  # csat takes the rest
ANONYMOUS_NPS_SHARE = 0.03

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sofia", "Lucas", "Mia", "Arjun", "Yuki", "Chen",
    "Amara", "Kwame", "Ingrid", "Lars", "Priya", "Diego", "Fatima", "Omar", "Hannah", "Jonas", "Camila",
    "Ethan", "Leila", "Marco", "Zoe", "Hiro", "Ana", "Samuel",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Garcia", "Müller", "Rossi", "Kim", "Nguyen", "Silva", "Johnson", "Patel", "Tanaka", "Brown",
    "Martin", "Kowalski", "Haddad", "Okafor", "Larsen", "Dubois", "Lopez", "Chen", "Williams", "Novak",
    "Schmidt", "Costa", "Singh", "Anderson", "Moreau", "Ito", "Fischer", "Reyes", "Walker",
)  # fmt: skip
COMPANY_WORDS = (
    "Northwind", "Bluefin", "Summit", "Granite", "Silverline", "Brightpath", "Evergreen", "Ironwood",
    "Blue Harbor", "Crescent", "Redwood", "Polaris", "Keystone", "Lumen", "Cobalt", "Orchard", "Atlas",
    "Harbor Point", "Meridian", "Sterling",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "Logistics", "Labs", "Foods", "Health", "Systems", "Retail", "Partners", "Manufacturing", "Analytics",
    "Energy", "Media", "Financial", "Works", "Group", "Learning",
)  # fmt: skip

COMMENTS_POSITIVE = (
    "Quick and friendly help, thank you!",
    "Everything just works.",
    "Great service, I recommend you to colleagues.",
    "Love the mobile app.",
    "Problem solved on the first contact.",
    "Very smooth experience.",
    "The team really cares.",
)
COMMENTS_NEUTRAL = (
    "It was okay.",
    "Fine, but could be faster.",
    "Does the job.",
    "Average experience, nothing special.",
)
COMMENTS_NEGATIVE = (
    "Nobody got back to me.",
    "Too slow to resolve my problem.",
    "Had to explain my issue three times.",
    "Waited far too long for an answer.",
    "Too expensive for what it offers.",
    "Still not fixed.",
)
COMMENTS_NEGATIVE_BY_TOUCHPOINT = {
    "Billing inquiry": (
        "I was charged twice and it took days to get a refund.",
        "Billing support kept me on hold for ages.",
        "My invoice is wrong again.",
    ),
    "Setup call": ("The setup call was rushed and left me with more questions.", "Setup took far too long."),
    "Checkout": ("Checkout failed twice before it went through.",),
    "Renewal call": ("The renewal price went up without warning.",),
    "Live chat": ("The chat bot could not understand my question.",),
}
COMMENTS = (
    COMMENTS_POSITIVE
    + COMMENTS_NEUTRAL
    + COMMENTS_NEGATIVE
    + tuple(text for texts in COMMENTS_NEGATIVE_BY_TOUCHPOINT.values() for text in texts)
)

# The same comments as Brazilian customers in LATAM write them: the demo's second language.
COMMENTS_PT = (
    "Atendimento rápido e simpático, obrigado!",
    "Tudo simplesmente funciona.",
    "Ótimo serviço, recomendo aos colegas.",
    "Adoro o aplicativo.",
    "Problema resolvido no primeiro contato.",
    "Experiência muito tranquila.",
    "A equipe realmente se importa.",
    "Foi razoável.",
    "Bom, mas poderia ser mais rápido.",
    "Cumpre o que promete.",
    "Experiência mediana, nada de especial.",
    "Ninguém me deu retorno.",
    "Muito lento para resolver meu problema.",
    "Tive que explicar meu problema três vezes.",
    "Esperei demais por uma resposta.",
    "Caro demais pelo que oferece.",
    "Ainda não foi resolvido.",
    "Fui cobrado duas vezes e o reembolso levou dias.",
    "O suporte de cobrança me deixou esperando por horas.",
    "Minha fatura veio errada de novo.",
    "A chamada de configuração foi corrida e me deixou com mais dúvidas.",
    "A configuração demorou demais.",
    "O pagamento falhou duas vezes antes de passar.",
    "O preço da renovação subiu sem aviso.",
    "O robô do chat não entendeu minha pergunta.",
)
PORTUGUESE_REGION = "LATAM"
PORTUGUESE_SHARE = 0.7  # of LATAM customers' comments


def _in_portuguese(seed: int, comment: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Comment codes with most LATAM customers' comments moved to their Portuguese version.

    A generator of its own, so adding the language changes no score, date or other comment."""
    rng = np.random.default_rng([seed, 14])
    moved = (
        (comment >= 0) & (region == REGIONS.index(PORTUGUESE_REGION)) & (rng.random(len(comment)) < PORTUGUESE_SHARE)
    )
    return np.where(moved, comment + len(COMMENTS), comment)


@dataclass(frozen=True)
class DemoSummary:
    path: Path
    customers: int
    interactions: int
    responses: int
    nps_responses: int
    csat_responses: int
    ces_responses: int
    import_id: int
    first_day: date  # of the data window
    last_day: date
    incident_month: date  # first day of the month the incident happened
    incident_touchpoint: str
    incident_journey_stage: str
    seconds: float

    def line(self) -> str:
        return (
            f"Demo database {self.path}: {self.customers:,} customers, {self.interactions:,} interactions, "
            f"{self.responses:,} survey responses ({self.nps_responses:,} NPS, {self.csat_responses:,} CSAT, "
            f"{self.ces_responses:,} CES) from {self.first_day} to {self.last_day}; incident: "
            f"{self.incident_touchpoint} in {self.incident_month:%B %Y}; built in {self.seconds:.1f} s."
        )


# ---------------------------------------------------------------------------
# Generation (pure numpy; days are int days since 1970, times int seconds)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pick(rng: np.random.Generator, shares: np.ndarray, size: int) -> np.ndarray:
    return rng.choice(len(shares), size=size, p=shares / shares.sum())


def _pick_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One index per row of a (rows, options) matrix of non-negative weights."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(probabilities)) * cumulative[:, -1]
    return np.minimum((cumulative < draws[:, None]).sum(axis=1), probabilities.shape[1] - 1)


def _pick_up_to(rng: np.random.Generator, weights: np.ndarray, last: np.ndarray) -> np.ndarray:
    """One index per row among 0..last[row], by `weights`: the draw `_pick_rows` makes on the weights masked
    beyond `last`, bit for bit, without building that (rows × options) matrix (1 GB at 10M rows)."""
    cumulative = np.cumsum(weights)
    draws = rng.random(len(last)) * cumulative[last]
    return np.minimum(np.searchsorted(cumulative, draws, "left"), len(weights) - 1)


def _sample_without_replacement(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Weighted sample of distinct indices (Gumbel top-k: vectorised, unlike numpy's choice)."""
    if size > np.count_nonzero(weights):
        raise ValueError(f"cannot draw {size:,} distinct items from {np.count_nonzero(weights):,}")
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + rng.gumbel(size=len(weights))
    return np.sort(np.argpartition(-keys, size - 1)[:size]) if size else np.array([], dtype=np.int64)


def _time_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds into the day, mostly business hours."""
    busy = rng.normal(13.5 * 3600, 3.8 * 3600, size)
    anytime = rng.uniform(0, DAY_S, size)
    return np.clip(np.where(rng.random(size) < 0.85, busy, anytime), 0, DAY_S - 1).astype(np.int64)


def _count_between(sorted_keys: np.ndarray, customer: np.ndarray, start_s: np.ndarray, end_s: np.ndarray) -> np.ndarray:
    """Events of each customer in [start_s, end_s), from keys customer * 2**40 + seconds, sorted."""
    base = customer.astype(np.int64) << 40
    return np.searchsorted(sorted_keys, base + end_s, "left") - np.searchsorted(sorted_keys, base + start_s, "left")


def _event_keys(customer: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    return np.sort((customer.astype(np.int64) << 40) + seconds)


def _window(today: date) -> tuple[int, int, int]:
    """First day (1st of the month 24 months back), end day (exclusive: today) and the incident month."""
    this_month = np.datetime64(today, "M")
    first = (this_month - WINDOW_MONTHS).astype("datetime64[D]").astype(np.int64)
    incident = (this_month - INCIDENT_MONTHS_BEFORE).astype(np.int64)
    return int(first), int(np.datetime64(today, "D").astype(np.int64)), int(incident)


def _customers(rng: np.random.Generator, n: int, today_day: int) -> dict[str, np.ndarray]:
    segment = _pick(rng, SEGMENT_SHARE, n)
    region = _pick(rng, REGION_SHARE, n)
    plan = _pick_rows(rng, PLAN_SHARE_BY_SEGMENT[segment])
    consumer = segment == SEGMENTS.index("Consumer")
    industry = np.where(consumer, INDUSTRIES.index("Individual"), _pick(rng, INDUSTRY_SHARE_B2B, n))
    acquisition = np.where(consumer, _pick(rng, ACQUISITION_SHARE_CONSUMER, n), _pick(rng, ACQUISITION_SHARE_B2B, n))
    mood = (
        SEGMENT_MOOD[segment]
        + REGION_MOOD[region]
        + PLAN_MOOD[plan]
        + INDUSTRY_MOOD[industry]
        + ACQUISITION_MOOD[acquisition]
        + rng.normal(0, 0.9, n)
    )
    # Sign-ups over the last four years, growing ~15 % a year.
    span = SIGNUP_YEARS * 365
    growth = 0.15 / 365
    u = rng.random(n)
    signup = today_day - span + np.floor(np.log1p(u * np.expm1(growth * span)) / growth).astype(np.int64)
    signup = np.minimum(signup, today_day - 1)
    # Monthly hazard ~1.5 %, higher for unhappy customers; exponential lifetimes.
    hazard = 0.0105 * SEGMENT_CHURN[segment] * PLAN_CHURN[plan] * np.exp(-0.55 * mood)
    lifetime = np.maximum(1, np.ceil(rng.exponential(30.44 / hazard))).astype(np.int64)
    churned = signup + lifetime <= today_day
    churn = np.where(churned, signup + lifetime, -1)
    # Renewals come after a year: younger customers have not reached that stage.
    depth = (rng.random((n, 1)) < STAGE_REACH[1:]).cumprod(axis=1).sum(axis=1)
    tenure = np.where(churned, churn, today_day) - signup
    depth = np.where(tenure < 330, np.minimum(depth, RENEWAL - 1), depth)
    return {
        "segment": segment,
        "region": region,
        "plan": plan,
        "industry": industry,
        "acquisition": acquisition,
        "mood": mood,
        "signup": signup,
        "churned": churned,
        "churn": churn,
        "depth": depth,
    }


def _names(rng: np.random.Generator, segment: np.ndarray) -> list[str]:
    n = len(segment)
    first, last = rng.integers(0, len(FIRST_NAMES), n), rng.integers(0, len(LAST_NAMES), n)
    word, suffix = rng.integers(0, len(COMPANY_WORDS), n), rng.integers(0, len(COMPANY_SUFFIXES), n)
    consumer = SEGMENTS.index("Consumer")
    return [
        f"{FIRST_NAMES[f]} {LAST_NAMES[la]}" if s == consumer else f"{COMPANY_WORDS[w]} {COMPANY_SUFFIXES[x]}"
        for s, f, la, w, x in zip(
            segment.tolist(), first.tolist(), last.tolist(), word.tolist(), suffix.tolist(), strict=True
        )
    ]


def _interactions(
    rng: np.random.Generator, c: dict[str, np.ndarray], n: int, first_day: int, end_day: int, incident_month: int
) -> dict[str, np.ndarray]:
    days = np.arange(first_day, end_day)
    calendar_month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    intensity = MONTH_SEASON[calendar_month % 12] * WEEKDAY_SEASON[(days + 3) % 7]
    cumulative = np.concatenate([[0.0], np.cumsum(intensity)])

    # Each customer's active days inside the window: [from, to).
    active_from = np.maximum(c["signup"], first_day) - first_day
    active_to = np.clip(np.where(c["churned"], c["churn"], end_day), first_day, end_day) - first_day
    active_to = np.maximum(active_to, active_from)
    exposure = cumulative[active_to] - cumulative[active_from]
    activity = SEGMENT_ACTIVITY[c["segment"]] * rng.lognormal(0, 0.5, len(exposure)) * (1 + c["depth"]) / 6
    weight = exposure * activity
    if n and weight.sum() <= 0:
        raise ValueError("no customer is active in the demo window")
    # Every active customer passes each stage they reach at least once (so fewer customers reach later
    # stages: a funnel); the other interactions go to customers by activity, mostly in usage and support.
    active = np.flatnonzero(weight > 0)
    steps = c["depth"][active] + 1
    milestone_customer = np.repeat(active, steps)
    milestone_stage = np.arange(steps.sum()) - np.repeat(np.cumsum(steps) - steps, steps)
    if len(milestone_customer) > n:
        keep = np.sort(rng.choice(len(milestone_customer), size=n, replace=False))
        milestone_customer, milestone_stage = milestone_customer[keep], milestone_stage[keep]
    extra = n - len(milestone_customer)
    extra_customer = rng.choice(len(weight), size=extra, p=weight / weight.sum())
    customer = np.concatenate([milestone_customer, extra_customer])
    stage = np.concatenate([milestone_stage, _pick_up_to(rng, STAGE_WEIGHT, c["depth"][extra_customer])])
    del milestone_customer, milestone_stage, extra_customer

    lo, hi = cumulative[active_from[customer]], cumulative[active_to[customer]]
    day = np.searchsorted(cumulative, lo + rng.random(n) * (hi - lo), "right") - 1
    day = np.clip(day, active_from[customer], active_to[customer] - 1) + first_day
    seconds = day * DAY_S + _time_of_day(rng, n)
    del lo, hi, day  # at 10M rows every array is 80 MB: free each as soon as it is used (the demo's peak memory)

    month = (seconds // DAY_S).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    in_incident_month = month == incident_month
    touchpoint = np.empty(n, dtype=np.int64)
    for s in range(len(JOURNEY_STAGES)):
        options = np.flatnonzero(TOUCHPOINT_STAGE == s)
        weights = np.array([TOUCHPOINTS[i].weight for i in options])
        rows = stage == s
        touchpoint[rows] = options[_pick(rng, weights, int(rows.sum()))]
        if s == SUPPORT:  # the incident doubles billing inquiries that month
            rows &= in_incident_month
            weights = weights * np.where(options == INCIDENT_TP, 2.0, 1.0)
            touchpoint[rows] = options[_pick(rng, weights, int(rows.sum()))]

    # New customers buy and are onboarded right after signing up.
    signup = c["signup"][customer]
    new = (signup >= first_day) & np.isin(stage, [PURCHASE, ONBOARDING]) & (rng.random(n) < 0.75)
    delay_days = np.where(stage == PURCHASE, rng.uniform(0, 3, n), rng.exponential(14, n))
    moved = signup * DAY_S + (delay_days * DAY_S).astype(np.int64)
    last_s = (active_to[customer] + first_day) * DAY_S - 1
    seconds = np.where(new & (moved <= last_s), moved, seconds)
    del signup, new, delay_days, moved, in_incident_month
    month = (seconds // DAY_S).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)

    order = np.argsort(seconds, kind="stable")
    customer, seconds, stage, touchpoint, month = (a[order] for a in (customer, seconds, stage, touchpoint, month))
    last_s = last_s[order]
    del order

    channel = np.empty(n, dtype=np.int64)
    for t, spec in enumerate(TOUCHPOINTS):
        rows = touchpoint == t
        codes = np.array([CHANNELS.index(name) for name in spec.channels])
        channel[rows] = codes[_pick(rng, np.array(list(spec.channels.values())), int(rows.sum()))]

    incident = (touchpoint == INCIDENT_TP) & (month == incident_month)
    churn = c["churn"][customer]
    before_churn = c["churned"][customer] & (churn * DAY_S - seconds < 60 * DAY_S)
    mood = c["mood"][customer]
    del churn, month

    # Support: response time first; slow answers then make a bad outcome likelier.
    support = stage == SUPPORT
    slowness = rng.normal(0, 1, n)
    response = np.full(n, np.nan)
    resolution_extra = np.full(n, np.nan)
    for name, median in RESPONSE_MEDIAN_S.items():
        rows = support & (channel == CHANNELS.index(name))
        response[rows] = median * np.exp(RESPONSE_SIGMA[name] * slowness[rows])
        resolution_extra[rows] = RESOLUTION_MEDIAN_S[name] * rng.lognormal(0, 1.0, int(rows.sum()))
    response = np.where(incident, response * 3, response)
    slow = np.where(support, slowness + np.where(incident, np.log(3) / 0.8, 0.0), 0.0)

    logit = TOUCHPOINT_BAD[touchpoint] - 0.55 * mood + 0.6 * slow + 1.1 * before_churn + 1.2 * incident
    bad = rng.random(n) < _sigmoid(logit)
    del mood, before_churn, logit, slowness
    service = (TOUCHPOINT_KIND == "service")[touchpoint]  # a lookup per touchpoint, not a string per row
    outcome = np.where(bad, ABANDONED, COMPLETED)
    outcome = np.where(service, np.where(bad, np.where(rng.random(n) < 0.65, UNRESOLVED, ESCALATED), RESOLVED), outcome)

    resolution = np.where(outcome == RESOLVED, response + resolution_extra, np.nan)
    resolution = np.where(outcome == ESCALATED, response + 3 * resolution_extra, resolution)
    resolution = np.where(support, resolution, np.nan)
    del resolution_extra

    # Revenue: purchases are add-ons and new plans, renewals a year of the plan.
    segment, plan = c["segment"][customer], c["plan"][customer]
    annual = PLAN_MONTHLY_PRICE[plan] * 12 * SEGMENT_SEATS[segment]
    del segment, plan
    amount = np.where(stage == RENEWAL, annual * rng.lognormal(0, 0.1, n), annual * rng.lognormal(-0.7, 0.5, n))
    sale = (TOUCHPOINT_KIND == "sale")[touchpoint]
    revenue = np.where(sale, np.where(outcome == COMPLETED, np.round(amount, 2), 0.0), np.nan)

    return {
        "customer": customer,
        "seconds": seconds,
        "channel": channel,
        "stage": stage,
        "touchpoint": touchpoint,
        "outcome": outcome,
        "response": np.round(response, 1),
        "resolution": np.round(resolution, 1),
        "revenue": revenue,
        "slow": slow,
        "incident": incident,
        "bad": bad,
        "active_to_s": last_s + 1,
    }


def _recent_bad(bad_keys: np.ndarray, customer: np.ndarray, at_s: np.ndarray, first_day: int) -> np.ndarray:
    """Bad interactions in the 90 days before, capped at 4; early in the window (no history before
    it) the count is scaled up to 90 days so the first months do not look rosier than the rest."""
    since = np.maximum(at_s - 90 * DAY_S, first_day * DAY_S)
    seen_days = np.maximum((at_s - since) / DAY_S, 7)
    return np.minimum(_count_between(bad_keys, customer, since, at_s) * 90 / seen_days, 4)


def _survey_counts(responses: int) -> dict[str, int]:
    nps = round(responses * SURVEY_SHARE["nps"])
    ces = round(responses * SURVEY_SHARE["ces"])
    return {"nps": nps, "csat": responses - nps - ces, "ces": ces}


def _responses(
    rng: np.random.Generator,
    c: dict[str, np.ndarray],
    it: dict[str, np.ndarray],
    counts: dict[str, int],
    first_day: int,
    end_day: int,
) -> dict[str, np.ndarray]:
    bad_keys = _event_keys(it["customer"][it["bad"]], it["seconds"][it["bad"]])
    incident_keys = _event_keys(it["customer"][it["incident"]], it["seconds"][it["incident"]])
    window_90 = 90 * DAY_S

    # CES after support and onboarding touchpoints, CSAT after others; each interaction surveyed at most once.
    weight = TOUCHPOINT_SURVEY[it["touchpoint"]] * np.where(it["bad"], 1.3, 1.0)
    ces_pool = np.isin(it["stage"], [SUPPORT, ONBOARDING])
    ces_rows = _sample_without_replacement(rng, np.where(ces_pool, weight, 0.0), counts["ces"])
    csat_weight = weight.copy()
    csat_weight[ces_rows] = 0.0
    csat_rows = _sample_without_replacement(rng, csat_weight, counts["csat"])
    rows = np.concatenate([csat_rows, ces_rows])
    survey_of_row = np.concatenate([np.full(len(csat_rows), 1), np.full(len(ces_rows), 2)])

    customer = it["customer"][rows]
    t = it["seconds"][rows]
    recent_bad = _recent_bad(bad_keys, customer, t, first_day)
    touchpoint, outcome = it["touchpoint"][rows], it["outcome"][rows]
    experience = (
        TOUCHPOINT_CSAT[touchpoint]
        + 0.35 * c["mood"][customer]
        - 1.5 * (outcome == UNRESOLVED)
        - 0.8 * (outcome == ESCALATED)
        - 1.1 * (outcome == ABANDONED)
        - 0.3 * it["slow"][rows]
        - 0.12 * recent_bad
        - 0.7 * it["incident"][rows]
    )
    csat = np.clip(np.rint(4.55 + experience + rng.normal(0, 0.75, len(rows))), 1, 5)
    ces = np.clip(np.rint(5.75 + 1.1 * experience + rng.normal(0, 1.0, len(rows))), 1, 7)
    touch_score = np.where(survey_of_row == 1, csat, ces).astype(np.int64)
    delay = rng.lognormal(np.log(2 * 3600), 1.2, len(rows)).astype(np.int64)
    touch_at = np.minimum(t + delay, np.minimum(it["active_to_s"][rows], end_day * DAY_S) - 1)
    touch_at = np.maximum(touch_at, t)

    # NPS: a relationship survey about once a quarter per active customer (more often when the count asks for it).
    active_from = np.maximum(c["signup"], first_day) * DAY_S
    active_to = np.minimum(np.where(c["churned"], c["churn"], end_day), end_day) * DAY_S
    span = np.maximum(active_to - active_from, 0)
    period = 91 * DAY_S
    if counts["nps"]:
        period = min(period, max(DAY_S, int(span.sum() / (1.25 * counts["nps"]))))
    while True:
        phase = (rng.random(len(span)) * period).astype(np.int64)
        waves = np.where(span > phase, (span - phase - 1) // period + 1, 0)
        if waves.sum() >= counts["nps"] or period <= DAY_S:
            break
        period = max(DAY_S, int(period * 0.8))
    wave_customer = np.repeat(np.arange(len(span)), waves)
    wave_number = np.arange(waves.sum()) - np.repeat(np.cumsum(waves) - waves, waves)
    wave_at = active_from[wave_customer] + phase[wave_customer] + wave_number * period
    chosen = _sample_without_replacement(rng, SEGMENT_SURVEY_RESPONSE[c["segment"][wave_customer]], counts["nps"])
    nps_customer, nps_at = wave_customer[chosen], wave_at[chosen]
    recent_bad = _recent_bad(bad_keys, nps_customer, nps_at, first_day)
    went_through_incident = _count_between(incident_keys, nps_customer, nps_at - window_90, nps_at) > 0
    before_churn = c["churned"][nps_customer] & (c["churn"][nps_customer] * DAY_S - nps_at < 90 * DAY_S)
    nps_score = 8.95 + 1.1 * c["mood"][nps_customer] - 0.45 * recent_bad - 2.2 * went_through_incident
    nps_score = nps_score - 1.6 * before_churn + rng.normal(0, 1.5, len(chosen))
    nps_score = np.clip(np.rint(nps_score), 0, 10).astype(np.int64)
    anonymous = rng.random(len(chosen)) < ANONYMOUS_NPS_SHARE

    n_nps = len(chosen)
    responded_at = np.concatenate([nps_at, touch_at])
    order = np.argsort(responded_at, kind="stable")
    none = np.full(n_nps, -1)
    result = {
        "customer": np.concatenate([np.where(anonymous, -1, nps_customer), customer]),
        "seconds": responded_at,
        "survey": np.concatenate([np.zeros(n_nps, dtype=np.int64), survey_of_row]),
        "score": np.concatenate([nps_score, touch_score]),
        "touchpoint": np.concatenate([none, touchpoint]),
        "channel": np.concatenate(
            [np.where(rng.random(n_nps) < 0.55, CHANNELS.index("Email"), -1), it["channel"][rows]]
        ),
        "stage": np.concatenate([none, it["stage"][rows]]),
        "interaction": np.concatenate([none, rows]),
    }
    result = {key: value[order] for key, value in result.items()}
    result["comment"] = _comments(rng, result["survey"], result["score"], result["touchpoint"])
    return result


def _comments(rng: np.random.Generator, survey: np.ndarray, score: np.ndarray, touchpoint: np.ndarray) -> np.ndarray:
    """Index into COMMENTS (-1 = none): a minority comment, unhappy people more often, in tune with the score."""
    n = len(score)
    positive = np.select([survey == 0, survey == 1], [score >= 9, score >= 4], score >= 6)
    negative = np.select([survey == 0, survey == 1], [score <= 6, score <= 2], score <= 3)
    chance = np.where(negative, 0.28, np.where(positive, 0.12, 0.08))
    commented = rng.random(n) < chance
    n_pos, n_neu, n_neg = len(COMMENTS_POSITIVE), len(COMMENTS_NEUTRAL), len(COMMENTS_NEGATIVE)
    comment = np.where(
        positive,
        rng.integers(0, n_pos, n),
        np.where(negative, n_pos + n_neu + rng.integers(0, n_neg, n), n_pos + rng.integers(0, n_neu, n)),
    )
    for name, texts in COMMENTS_NEGATIVE_BY_TOUCHPOINT.items():
        rows = negative & (touchpoint == TOUCHPOINT_NAMES.index(name)) & (rng.random(n) < 0.6)
        first = COMMENTS.index(texts[0])
        comment[rows] = first + rng.integers(0, len(texts), int(rows.sum()))
    return np.where(commented, comment, -1)


# ---------------------------------------------------------------------------
# Loading


def _labels(codes: np.ndarray, names: tuple[str, ...]) -> pa.DictionaryArray:
    """Coded values as an Arrow dictionary column (-1 = NULL): no million Python strings."""
    indices = pa.array(np.where(codes < 0, 0, codes).astype(np.int32), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(names, type=pa.string()))


def _timestamps(seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds.astype("datetime64[s]").astype("datetime64[us]"))


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), mask=days < 0)


def _id_width(count: int, minimum: int) -> int:
    return max(minimum, len(str(count)))


def _load(
    con: duckdb.DuckDBPyConnection,
    c: dict[str, np.ndarray],
    names: list[str],
    it: dict[str, np.ndarray],
    rs: dict[str, np.ndarray],
) -> int:
    """Write the generated rows as one import, with its rollups; the interaction arrays are consumed."""
    n_customers, n_interactions, n_responses = len(names), len(it["customer"]), len(rs["customer"])
    customers = pa.table(
        {
            "n": pa.array(np.arange(1, n_customers + 1)),
            "name": pa.array(names, type=pa.string()),
            "segment": _labels(c["segment"], SEGMENTS),
            "region": _labels(c["region"], REGIONS),
            "plan": _labels(c["plan"], PLANS),
            "signup_date": _dates(c["signup"]),
            "churn_date": _dates(c["churn"]),
            "churned": pa.array(c["churned"]),
            "industry": _labels(c["industry"], INDUSTRIES),
            "acquisition_channel": _labels(c["acquisition"], ACQUISITION_CHANNELS),
        }
    )
    # Each interaction array is handed over as it is converted (`pop`): at 10M rows holding both the
    # arrays and their Arrow copies would be most of the build's peak memory.
    interactions = pa.table(
        {
            "n": pa.array(np.arange(1, n_interactions + 1)),
            "customer": pa.array(it.pop("customer") + 1),
            "occurred_at": _timestamps(it.pop("seconds")),
            "channel": _labels(it.pop("channel"), CHANNELS),
            "journey_stage": _labels(it.pop("stage"), JOURNEY_STAGES),
            "touchpoint": _labels(it.pop("touchpoint"), TOUCHPOINT_NAMES),
            "outcome": _labels(it.pop("outcome"), OUTCOMES),
            "response_time_s": pa.array(it.pop("response"), from_pandas=True),
            "resolution_time_s": pa.array(it.pop("resolution"), from_pandas=True),
            "revenue": pa.array(it.pop("revenue"), from_pandas=True),
        }
    )
    responses = pa.table(
        {
            "n": pa.array(np.arange(1, n_responses + 1)),
            "customer": pa.array(rs["customer"] + 1, mask=rs["customer"] < 0),
            "responded_at": _timestamps(rs["seconds"]),
            "survey": _labels(rs["survey"], SURVEYS),
            "score": pa.array(rs["score"].astype(np.int32)),
            "comment": _labels(rs["comment"], COMMENTS + COMMENTS_PT),
            "touchpoint": _labels(rs["touchpoint"], TOUCHPOINT_NAMES),
            "channel": _labels(rs["channel"], CHANNELS),
            "journey_stage": _labels(rs["stage"], JOURNEY_STAGES),
            "interaction": pa.array(rs["interaction"] + 1, mask=rs["interaction"] < 0),
        }
    )
    cw, iw, rw = _id_width(n_customers, 6), _id_width(n_interactions, 7), _id_width(n_responses, 7)
    total = n_customers + n_interactions + n_responses
    con.register("demo_customers", customers)
    con.register("demo_interactions", interactions)
    con.register("demo_responses", responses)
    con.execute("BEGIN TRANSACTION")
    try:
        import_id = con.execute(
            """INSERT INTO imports (import_id, file_name, kind, imported_at, imported_by, rows, imported,
                                    duplicates, rejected, mapping, status)
               VALUES (nextval('import_id_seq'), ?, 'demo', ?, ?, ?, ?, 0, 0, NULL, 'done')
               RETURNING import_id""",
            [DEMO_FILE_NAME, datetime.now(), _user(), total, total],
        ).fetchall()[0][0]
        # No ORDER BY: DuckDB keeps an Arrow scan's order (preserve_insertion_order), so rows are stored in
        # id order without a sort of 10M rows (which alone took 500 MB).
        con.execute(
            """INSERT INTO customers
               SELECT printf('C%0*d', ?, n), name, segment, region, plan, signup_date, churn_date, churned, ?
               FROM demo_customers""",
            [cw, import_id],
        )
        con.execute(
            """INSERT INTO customer_attributes
               SELECT printf('C%0*d', ?, n), 'industry', industry, ? FROM demo_customers
               UNION ALL
               SELECT printf('C%0*d', ?, n), 'acquisition_channel', acquisition_channel, ? FROM demo_customers""",
            [cw, import_id, cw, import_id],
        )
        con.execute(
            """INSERT INTO interactions
               SELECT printf('I%0*d', ?, n), printf('C%0*d', ?, customer), occurred_at, channel, journey_stage,
                      touchpoint, outcome, response_time_s, resolution_time_s, revenue, ?
               FROM demo_interactions""",
            [iw, cw, import_id],
        )
        con.execute(
            """INSERT INTO responses (response_id, customer_id, responded_at, survey, score, comment, touchpoint, channel,
                                     journey_stage, interaction_id, import_id, question)
               SELECT printf('R%0*d', ?, n), printf('C%0*d', ?, customer), responded_at, survey, score, comment,
                      touchpoint, channel, journey_stage, printf('I%0*d', ?, interaction), ?,
                      CASE survey WHEN 'nps' THEN ? WHEN 'csat' THEN ? ELSE ? END
               FROM demo_responses""",
            [rw, cw, iw, import_id, QUESTIONS["nps"], QUESTIONS["csat"], QUESTIONS["ces"]],
        )
        _unregister(con)
        del customers, interactions, responses  # written: free the Arrow copies before the rollups are counted
        rollups.refresh(con, [import_id])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        _unregister(con)
    return int(import_id)


def _unregister(con: duckdb.DuckDBPyConnection) -> None:
    for view in ("demo_customers", "demo_interactions", "demo_responses"):
        con.unregister(view)  # a view no longer registered is no error


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return None


def _remove(*paths: Path) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def build_demo(
    path: str | os.PathLike,
    *,
    customers: int = 20_000,
    interactions: int = 1_000_000,
    responses: int = 100_000,
    seed: int = 7,
    today: date | None = None,
) -> DemoSummary:
    """Write a fresh demo database to `path`, replacing any file there (the CLI asks first)."""
    started = time.perf_counter()
    if customers < 1 or interactions < 0 or responses < 0:
        raise ValueError("the demo needs at least one customer and no negative counts")
    today = today or date.today()
    path = db_path(path)
    rng = np.random.default_rng(seed)
    first_day, end_day, incident_month = _window(today)

    c = _customers(rng, customers, end_day)
    names = _names(rng, c["segment"])
    it = _interactions(rng, c, interactions, first_day, end_day, incident_month)
    counts = _survey_counts(responses)
    if counts["csat"] + counts["ces"] > interactions:
        raise ValueError(
            f"{responses:,} responses need {counts['csat'] + counts['ces']:,} surveyed interactions "
            f"but only {interactions:,} interactions were asked for"
        )
    rs = _responses(rng, c, it, counts, first_day, end_day)
    n_interactions = len(it["customer"])
    for only_for_responses in ("slow", "incident", "bad", "active_to_s"):
        del it[only_for_responses]
    rs["comment"] = _in_portuguese(seed, rs["comment"], np.where(rs["customer"] >= 0, c["region"][rs["customer"]], -1))

    # Build beside the target and rename when complete: an interrupted build leaves no half database.
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.building-{os.getpid()}")
    _remove(building, _wal(building))
    try:
        with writing(building) as con:
            con.execute("SET enable_progress_bar = false")
            # DuckDB spills what does not fit (the build's peak memory stays under 2 GB at 10M interactions).
            con.execute("SET memory_limit = '1GB'")
            import_id = _load(con, c, names, it, rs)
            add_followup_history(con, today, seed)
            con.execute("CHECKPOINT")
        if _wal(building).exists():
            raise RuntimeError(f"DuckDB left {_wal(building).name} behind after the checkpoint")
        # An old WAL beside the target would be replayed onto the new file: drop it first.
        _remove(_wal(path))
        os.replace(building, path)
    except BaseException:
        _remove(building, _wal(building))
        raise
    comments.refresh(path)  # languages, sentiment and themes, as after any import

    survey = rs["survey"]
    return DemoSummary(
        path=path,
        customers=customers,
        interactions=n_interactions,
        responses=len(survey),
        nps_responses=int((survey == 0).sum()),
        csat_responses=int((survey == 1).sum()),
        ces_responses=int((survey == 2).sum()),
        import_id=import_id,
        first_day=np.datetime64(first_day, "D").astype(date),
        last_day=np.datetime64(end_day - 1, "D").astype(date),
        incident_month=np.datetime64(incident_month, "M").astype("datetime64[D]").astype(date),
        incident_touchpoint=INCIDENT_TOUCHPOINT,
        incident_journey_stage=TOUCHPOINTS[INCIDENT_TP].stage,
        seconds=time.perf_counter() - started,
    )


def has_data(path: str | os.PathLike) -> bool:
    """Whether the file holds anything a user could lose (any customer, interaction, response or import)."""
    path = Path(path)
    if not path.exists():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return True  # not a database we can read: treat as precious
    try:
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for table in ("customers", "interactions", "responses", "imports"):
            if table in tables and con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]:
                return True
        return False
    finally:
        con.close()
