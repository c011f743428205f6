"""The demo's follow-up history: a CX team that has been closing the loop for a year.

Called at the end of the demo build (cx.ingest.demo), on the loaded tables, so it depends on
nothing but the schema. What the "did it work?" figures then show:

- Six people follow up unhappy answers from the programme's start (a year before the build day);
  two of them look after the Enterprise accounts and answer fastest, one is usually late.
- Bigger accounts are likelier to be followed up (Enterprise and Premium first), which is exactly
  why a plain contacted/not-contacted comparison would mislead and the page matches on segment,
  plan and score band.
- The story: customers who were followed up churn less in the next 90 days. The history is drawn
  after the fact, so it is written in: detractors who go on to churn were less often reached
  (as a team that calls in time keeps some of them). The effect is there in the data; whether a
  real team's calls cause it is what the page's "observational" label warns about.
- The last days' answers are still waiting, some of them past their SLA; a few items are
  assigned but nobody has reached out yet.
- Two "you said, we did" actions: billing refunds fast-tracked after the billing incident (a real
  improvement), and a setup-call checklist that made no measurable difference.

Its own random stream (seeded from the demo's seed), so the rest of the demo is unchanged by it.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

PROGRAMME_DAYS = 365
OWNERS = ("Priya Patel", "Marco Rossi", "Lena Fischer", "Jonas Larsen", "Amara Okafor", "Diego Reyes")
KEY_ACCOUNT_OWNERS = (0, 1)  # look after Enterprise
OWNER_MEDIAN_HOURS = np.array([5.0, 8.0, 14.0, 18.0, 24.0, 40.0])
SEGMENT_REACH = {"Enterprise": 0.92, "Mid-market": 0.78, "SMB": 0.62, "Consumer": 0.45}
PLAN_REACH = {"Premium": 1.1, "Pro": 1.0, "Basic": 0.85}
CHURNER_REACH = 0.45  # detractors who churn within 90 days are reached this much less often
CHANNELS = ("Phone", "Email", "Video call", "Chat")
CHANNEL_SHARE = np.array([0.55, 0.28, 0.12, 0.05])
NOTES = {
    "resolved": (
        "Apologised and explained the fix; customer happy with the outcome.",
        "Refund processed, confirmed by e-mail.",
        "Walked them through the setup again; working now.",
        "Escalated to billing, credit note issued.",
    ),
    "no_response": ("Left two voicemails and an e-mail, no answer.", "No reply after three attempts."),
    "wont_fix": (
        "Asks for a feature we do not plan to build; explained why.",
        "Price complaint; no discount possible.",
    ),
    "contacted": ("Called, waiting for their logs.", "Reached them; following up with product.", "Meeting booked."),
    "new": ("",),
}


GIVE_UP_NOTE = "Closed without a contact: nobody got to it in time."


def add_followup_history(con: duckdb.DuckDBPyConnection, today: date, seed: int) -> int:
    """Write follow-up items, their audit trail, the SLA setting and two actions; returns the items written."""
    rng = np.random.default_rng([seed, 15])
    start = today - timedelta(days=PROGRAMME_DAYS)
    now = datetime.combine(today, datetime.min.time())
    items = con.execute(
        """SELECT r.response_id, r.customer_id, r.responded_at, r.survey, r.score, c.segment, c.plan, c.churn_date
           FROM responses r JOIN customers c USING (customer_id)
           WHERE r.responded_at >= ? AND ((r.survey = 'nps' AND r.score <= 6)
                 OR (r.survey IN ('csat', 'ces') AND r.score <= 2))
           ORDER BY r.responded_at, r.response_id""",
        [start],
    ).df()
    if items.empty:
        return 0
    n = len(items)
    answered = pd.to_datetime(items["responded_at"])
    churn = pd.to_datetime(items["churn_date"])
    churns_soon = (churn.notna() & (churn - answered.dt.normalize() <= pd.Timedelta(days=90))).to_numpy()
    enterprise = (items["segment"] == "Enterprise").to_numpy()

    owner = np.where(
        enterprise,
        rng.choice(KEY_ACCOUNT_OWNERS, n),
        rng.choice(len(OWNERS), n, p=[0.06, 0.06, 0.22, 0.22, 0.22, 0.22]),
    )
    reach = items["segment"].map(SEGMENT_REACH).fillna(0.5).to_numpy() * items["plan"].map(PLAN_REACH).fillna(1.0)
    reach = np.clip(reach.to_numpy() * np.where(churns_soon, CHURNER_REACH, 1.0), 0, 0.97)
    reached = rng.random(n) < reach
    hours = OWNER_MEDIAN_HOURS[owner] * np.where(enterprise, 0.6, 1.0) * rng.lognormal(0, 0.8, n)
    contact = answered + pd.to_timedelta(np.round(hours * 60), unit="min")
    reached &= (contact < now).to_numpy()  # a contact cannot be in the future: those are still waiting
    assigned = reached | (rng.random(n) < 0.25)  # some of the waiting ones already have an owner

    # Answers nobody reached within five days are mostly closed without a contact (the team had to
    # choose); the rest stay open, long overdue, next to the fresh ones still waiting.
    waited = (now - answered).dt.days.to_numpy()
    given_up = ~reached & (waited > 5) & (rng.random(n) < 0.97)
    assigned |= given_up
    age = (now - contact).dt.days.to_numpy()
    settled = rng.choice(["resolved", "no_response", "wont_fix", "contacted"], n, p=[0.70, 0.17, 0.08, 0.05])
    fresh = rng.choice(["contacted", "resolved", "no_response"], n, p=[0.55, 0.35, 0.10])
    status = np.where(reached, np.where(age > 14, settled, fresh), np.where(given_up, "wont_fix", "new"))
    closed = contact + pd.to_timedelta(np.round(rng.exponential(3.0, n) * 86_400), unit="s")
    closed = closed.where(closed < now, contact + (now - contact) / 2)
    channel = np.array(CHANNELS)[rng.choice(len(CHANNELS), n, p=CHANNEL_SHARE)]
    assigned_at = answered + pd.to_timedelta(rng.uniform(0.05, 0.6, n) * np.minimum(hours, 24) * 60, unit="min")

    first_status = np.where(np.isin(status, ["contacted", "resolved"]), "contacted", status)
    note = np.empty(n, dtype=object)
    for name, texts in NOTES.items():
        rows = status == name
        note[rows] = np.array(texts, dtype=object)[rng.integers(0, len(texts), int(rows.sum()))]
    first_note = np.where(first_status == status, note, "Reached them; looking into it.")
    two_steps = reached & (status != first_status)  # contacted first, resolved later
    gave_up_at = (answered + pd.to_timedelta(np.round(rng.uniform(5, 9, n) * 86_400), unit="s")).to_numpy()
    closed_at = np.where(
        two_steps,
        closed.to_numpy(),
        np.where(reached & (first_status != "contacted"), contact.to_numpy(), np.where(given_up, gave_up_at, None)),
    )
    note = np.where(given_up, GIVE_UP_NOTE, np.where(reached, note, None))

    keep = np.flatnonzero(assigned)
    ids, customers = items["response_id"].to_numpy(), items["customer_id"].to_numpy()
    names = np.array(OWNERS, dtype=object)[owner]
    contact_at = contact.to_numpy()
    rows = pd.DataFrame(
        {
            "response_id": ids[keep],
            "customer_id": customers[keep],
            "status": status[keep],
            "owner": names[keep],
            "contact_channel": np.where(reached, channel, None)[keep],
            "notes": note[keep],
            "first_contact_at": pd.to_datetime(np.where(reached, contact_at, None)[keep]),
            "closed_at": pd.to_datetime(closed_at[keep]),
            "due_at": pd.NaT,
            "version": (1 + reached + two_steps + given_up)[keep],
            "updated_at": pd.to_datetime(
                np.where(two_steps | given_up, closed_at, np.where(reached, contact_at, assigned_at.to_numpy()))[keep]
            ),
            "updated_by": names[keep],
        }
    )
    # The audit: assigned, then first contact, then (for some) resolved; before/after as JSON.
    dumps = json.dumps
    assign = pd.DataFrame(
        {
            "response_id": ids[keep],
            "version": 1,
            "changed_at": assigned_at.to_numpy()[keep],
            "changed_by": names[keep],
            "before": dumps({"owner": None}),
            "after": [dumps({"owner": who}) for who in names[keep].tolist()],
        }
    )
    first = np.flatnonzero(reached)
    contacts = pd.DataFrame(
        {
            "response_id": ids[first],
            "version": 2,
            "changed_at": contact_at[first],
            "changed_by": names[first],
            "before": dumps(
                {"contact_channel": None, "first_contact_at": None, "notes": None, "status": "new"}, sort_keys=True
            ),
            "after": [
                dumps({"contact_channel": c, "first_contact_at": pd.Timestamp(t).isoformat(), "notes": m, "status": s},
                      sort_keys=True)
                for c, t, m, s in zip(channel[first].tolist(), contact_at[first], first_note[first].tolist(),
                                      first_status[first].tolist(), strict=True)
            ],
        }
    )  # fmt: skip
    later = np.flatnonzero(two_steps | given_up)
    closes = pd.DataFrame(
        {
            "response_id": ids[later],
            "version": np.where(given_up, 2, 3)[later],
            "changed_at": closed_at[later],
            "changed_by": names[later],
            "before": [
                dumps({"closed_at": None, "notes": None if gave_up else m, "status": "new" if gave_up else "contacted"},
                      sort_keys=True)
                for m, gave_up in zip(first_note[later].tolist(), given_up[later].tolist(), strict=True)
            ],
            "after": [
                dumps({"closed_at": pd.Timestamp(t).isoformat(), "notes": m, "status": s}, sort_keys=True)
                for t, m, s in zip(closed_at[later], note[later].tolist(), status[later].tolist(), strict=True)
            ],
        }
    )  # fmt: skip
    changes = pd.concat([assign, contacts, closes], ignore_index=True)
    _write(con, rows, changes, start, today)
    return len(rows)


def _write(con, rows: pd.DataFrame, changes: pd.DataFrame, start: date, today: date) -> None:
    for column in ("first_contact_at", "closed_at", "due_at", "updated_at"):
        rows[column] = pd.to_datetime(rows[column])
    changes["changed_at"] = pd.to_datetime(changes["changed_at"])
    con.register("demo_followups", rows)
    con.register("demo_followup_changes", changes)
    try:
        con.execute(
            """INSERT INTO followups SELECT response_id, customer_id, status, owner, contact_channel, notes,
                   first_contact_at, closed_at, due_at, version, updated_at, updated_by FROM demo_followups"""
        )
        con.execute(
            """INSERT INTO followup_changes (change_id, subject, response_id, action_id, version, changed_at,
                                             changed_by, before, after)
               SELECT nextval('followup_change_seq'), 'item', response_id, NULL, version, changed_at, changed_by,
                      before::JSON, after::JSON
               FROM demo_followup_changes ORDER BY changed_at, response_id, version"""
        )
    finally:
        con.unregister("demo_followups")
        con.unregister("demo_followup_changes")
    policy = {
        "default_hours": 48,
        "rules": [{"segment": "Enterprise", "hours": 24}],
        "business_hours": None,
        "timezone": "UTC",
        "data_timezone": "UTC",
        "starts_on": start.isoformat(),
    }
    con.execute(
        "INSERT INTO followup_settings VALUES ('sla', ?, 1, ?, 'Priya Patel')",
        [json.dumps(policy, sort_keys=True), datetime.combine(start, datetime.min.time())],
    )
    con.execute(
        """INSERT INTO followup_changes (change_id, subject, version, changed_at, changed_by, before, after)
           VALUES (nextval('followup_change_seq'), 'sla', 1, ?, 'Priya Patel', NULL, ?::JSON)""",
        [datetime.combine(start, datetime.min.time()), json.dumps(policy, sort_keys=True)],
    )
    this_month = pd.Timestamp(today.replace(day=1))
    incident = this_month - pd.DateOffset(months=5)  # the demo's billing incident (cx.ingest.demo)
    for months_back, title, touchpoint, description in (
        (4, "Billing refunds fast-tracked", "Billing inquiry",
         f"After the billing incident of {incident:%B}: refunds approved by the first agent, no second call."),
        (2, "Setup-call checklist", "Setup call", "A shared checklist so every setup call covers the same ground."),
    ):  # fmt: skip
        taken = (this_month - pd.DateOffset(months=months_back)).date()
        recorded = datetime.combine(taken, datetime.min.time()) + timedelta(hours=10)
        action_id = con.execute(
            """INSERT INTO followup_actions VALUES (nextval('followup_action_seq'), ?, ?, ?, NULL, 'csat', ?, ?, ?)
               RETURNING action_id""",
            [title, taken, touchpoint, description, recorded, "Priya Patel"],
        ).fetchone()[0]
        after = {"title": title, "taken_on": taken.isoformat(), "touchpoint": touchpoint, "theme": None,
                 "metric": "csat", "description": description}  # fmt: skip
        con.execute(
            """INSERT INTO followup_changes (change_id, subject, action_id, changed_at, changed_by, before, after)
               VALUES (nextval('followup_change_seq'), 'action', ?, ?, 'Priya Patel', NULL, ?::JSON)""",
            [action_id, recorded, json.dumps(after, sort_keys=True)],
        )
