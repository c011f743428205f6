"""The hostile-input corpus, generated in code: text that tries to become markup, and databases full of it.

Every payload carries the marker `pwn` (or the host evil.example), so a browser test can look for
anything it managed to create: an element, an attribute, a style sheet, a dialog, a global.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from tests.conftest import build_db, insert

EVIL = "evil.example"
PAYLOADS = [
    '<iframe class="pwn" srcdoc="<script>parent.alert(document.domain)</script>"></iframe>Support',
    "<script>window.pwned = 1; alert('pwn')</script>Billing",
    '<img src="x" class="pwn" onerror="window.pwned = 1; alert(1)">Onboarding',
    "<style>.pwn, body { background: red !important }</style>Renewal",
    f"[click here](https://{EVIL}/pwn) Delivery",
    f"![pwn](https://{EVIL}/pwn.png) Returns",
    f'<a href="https://{EVIL}/pwn">Chat</a>',
    ":red[**pwn**] $x^2$ Web",
    # What a spreadsheet would run: the CSV downloads must hand these over as text.
    '=HYPERLINK("https://evil.example/pwn","Support")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)+Billing",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHORT = ["<b>pwn</b>", f"https://{EVIL}/pwn", "<svg onload=alert(1)>", "# pwn", "*pwn* _pwn_", "=HYPERLINK(1)", "-1+2"]

# What a page must never contain once the payloads are on it (evaluated in the browser).
FIND_INJECTED = """() => {
    const found = [];
    const foreign = (url) => { try { return new URL(url, location.href).origin !== location.origin; }
                                catch (e) { return true; } };
    for (const element of document.querySelectorAll('*')) {
        const tag = element.tagName.toLowerCase();
        const text = element.textContent || '';
        if (element.classList.contains('pwn')) found.push(`<${tag} class="pwn">`);
        if (tag === 'iframe') found.push('<iframe ' + (element.getAttribute('srcdoc') || element.src) + '>');
        if ((tag === 'script' || tag === 'style') && text.includes('pwn')) found.push(`<${tag}>${text}`);
        for (const attribute of element.getAttributeNames()) {
            const value = element.getAttribute(attribute) || '';
            if (attribute.startsWith('on') && /alert|pwn/.test(value)) found.push(`<${tag} ${attribute}="${value}">`);
            if (/(^|:)(href|src)$/.test(attribute) && value.includes('evil.example') && foreign(value)) {
                found.push(`<${tag} ${attribute}="${value}">`);
            }
        }
    }
    if (window.pwned) found.push('window.pwned');
    return found;
}"""


def hostile_db(path: Path, today: datetime | None = None) -> Path:
    """A database whose every text field holds payloads, with enough rows for every chart and headline."""
    end = (today or datetime(2026, 3, 31)).replace(hour=12, minute=0, second=0, microsecond=0)
    stages = PAYLOADS[:6]
    customers, attributes, interactions, responses = [], [], [], []
    for c in range(240):
        text = PAYLOADS[c % len(PAYLOADS)]
        customer = f"{SHORT[c % len(SHORT)]}-{c}"
        customers.append(
            dict(customer_id=customer, name=text, segment=PAYLOADS[c % 4], region=PAYLOADS[8 + c % 3],
                 plan=SHORT[c % len(SHORT)], signup_date=(end - timedelta(days=400 + c)).date(),
                 churn_date=(end - timedelta(days=c)).date() if c % 5 == 0 else None, churned=c % 5 == 0)
        )  # fmt: skip
        attributes.append(dict(customer_id=customer, attribute=PAYLOADS[c % 2], value=PAYLOADS[(c + 3) % 8]))
        for k in range(6):
            n = c * 6 + k
            when = end - timedelta(days=n % 80, hours=k)  # inside the default 90 days: every chart has data
            touchpoint = PAYLOADS[n % len(PAYLOADS)]
            interactions.append(
                dict(interaction_id=f"{SHORT[n % len(SHORT)]}-{n}", customer_id=customer, occurred_at=when,
                     channel=PAYLOADS[(n + 1) % 3], journey_stage=stages[n % len(stages)], touchpoint=touchpoint,
                     outcome=PAYLOADS[(n + 2) % 8], response_time_s=60.0 * (1 + n % 90),
                     resolution_time_s=600.0 * (1 + n % 40), revenue=float(10 + n % 50))
            )  # fmt: skip
            survey, score = [("nps", n % 11), ("csat", 1 + n % 5), ("ces", 1 + n % 7)][n % 3]
            responses.append(
                dict(response_id=f"r-{n}", customer_id=customer, responded_at=when + timedelta(hours=1),
                     survey=survey, score=score, comment=PAYLOADS[(n + 5) % 8], touchpoint=touchpoint,
                     channel=PAYLOADS[(n + 1) % 3], journey_stage=stages[n % len(stages)],
                     interaction_id=f"{SHORT[n % len(SHORT)]}-{n}")
            )  # fmt: skip
    build_db(path, customers, interactions, responses, attributes)
    from cx.store import db

    with db.writing(path) as con:
        insert(
            con,
            "imports",
            ("import_id", "file_name", "kind", "imported_at", "imported_by", "rows", "imported", "duplicates",
             "rejected", "status"),
            [dict(import_id=i + 1, file_name=f"{payload}.csv", kind="customers", imported_at=end, imported_by=payload,
                  rows=10, imported=9, duplicates=0, rejected=1, status="done") for i, payload in enumerate(PAYLOADS)],
        )  # fmt: skip
        con.execute("SELECT nextval('import_id_seq') FROM range(?)", [len(PAYLOADS)])  # the next import is #9
        insert(
            con,
            "import_rejects",
            ("import_id", "row", "column", "value", "reason", "record"),
            [dict(import_id=i + 1, row=1, column=payload, value=payload, reason=payload, record='{"a": 1}')
             for i, payload in enumerate(PAYLOADS)],
        )  # fmt: skip
    return path
