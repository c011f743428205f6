"""Personal data in columns: which columns hold e-mails, phone numbers, names or identifiers, and what to do.

Detection looks at the header and at the values, so "Contact" full of e-mail
addresses is found as surely as "E-mail". Each kind of personal data has a rule,
set by an admin (cx.store.settings, key "personal_data.rules"):

- keep: stored and shown as it is;
- mask: stored, shown masked to viewers (editors and admins see it);
- hash: stored as a salted hash, so the same customer still links across files but nobody can read it;
- drop: not stored at all (an id column cannot be dropped: it is hashed instead).

Pure functions; the import applies hash and drop (cx.ingest.personal), the
person's view of the data applies mask (cx.analysis.scope).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

KINDS = {"email": "e-mail addresses", "phone": "phone numbers", "name": "names", "identifier": "identifiers"}
RULES = {
    "keep": "kept and shown to everyone",
    "mask": "masked for viewers",
    "hash": "stored as a salted hash",
    "drop": "not stored",
}
DEFAULT_RULES: dict[str, str] = {kind: "mask" for kind in KINDS}
SETTING = "personal_data.rules"
SALT_SETTING = "personal_data.salt"
ALWAYS_PERSONAL = {"name": "name"}  # the customers' name field holds names, whatever a file called it
MASK = "•••"

_EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^(?:\+|00)?[\d ().\-/]{7,20}$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9 ]{11,30}$")
_CARD = re.compile(r"^(?:\d[ -]?){13,19}$")
_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_IPV4 = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}$")
_NAME = re.compile(r"^[A-ZÀ-Þ][a-zß-ÿ'’-]+(?: (?:[a-z]{1,3} )?[A-ZÀ-Þ][a-zß-ÿ'’-]+){1,3}$")
_DATE_LIKE = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}$")

# Headers (normalised: lower case, words split by single spaces) that name personal data.
_HEADERS = {
    "email": re.compile(r"\b(e ?mail|mail address|email address|correo|courriel)\b"),
    "phone": re.compile(
        r"\b(phone|telephone|tel|mobile|cell|cellphone|fax|whatsapp|telefone|telefon|telefono|celular)\b"
    ),
    "name": re.compile(
        r"^(name|full name|first name|last name|given name|family name|surname|forename|customer name|"
        r"contact|contact name|client name|respondent name|requester|requester name|nome|nom|prenom|vorname|"
        r"nachname|apellido|nombre)$"
    ),
    "identifier": re.compile(
        r"\b(ssn|social security|national id|national insurance|passport|tax id|tin|vat number|cpf|cnpj|nif|dni|"
        r"iban|bank account|account number|card number|credit card|ip|ip address|street|address|postcode|"
        r"post code|zip|zip code|date of birth|dob|birth ?date|licen[cs]e number)\b"
    ),
}
# Headers that look personal by a word but are not: "Company name", "Product name", "Plan name".
_NOT_PERSONAL = re.compile(r"\b(company|product|plan|account|campaign|store|team|agent|touchpoint|channel|segment|"
                           r"region|country|city|file|sheet|brand|domain)\b")  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """A column found to hold personal data: what kind, and why we think so."""

    header: str
    kind: str
    reason: str  # "by its header" or "93% of its values look like e-mail addresses"


def _normalise(header: str) -> str:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", header)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", spaced.lower()).split())


def _share(values: list[str], test) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _is_phone(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    return bool(_PHONE.match(value)) and 8 <= len(digits) <= 15 and not _DATE_LIKE.match(value.strip())


def _is_identifier(value: str) -> bool:
    compact = value.strip()
    return bool(_IBAN.match(compact.upper()) and compact[:2].isalpha() or _SSN.match(compact)
                or _IPV4.match(compact) or _CARD.match(compact) and not _is_phone(compact))  # fmt: skip


def classify(header: str, values: Iterable[str | None], *, distinct_share: float = 1.0) -> Finding | None:
    """The kind of personal data a column holds, if any, from its header and a sample of its values.

    `distinct_share`: distinct values ÷ filled values over the whole column; names are only
    recognised by their values when most are different (a column of four region names is not names)."""
    sample = [str(v).strip() for v in values if v is not None and str(v).strip()]
    normal = _normalise(header)
    by_values = {
        "email": _share(sample, lambda v: bool(_EMAIL.match(v))),
        "phone": _share(sample, _is_phone),
        "identifier": _share(sample, _is_identifier),
        "name": _share(sample, lambda v: bool(_NAME.match(v))) if distinct_share >= 0.5 else 0.0,
    }
    for kind in ("email", "phone", "identifier", "name"):  # the most specific evidence first
        if sample and by_values[kind] >= 0.8:
            return Finding(header, kind, f"{by_values[kind]:.0%} of its values look like {KINDS[kind]}")
    if _NOT_PERSONAL.search(normal):
        return None
    for kind, pattern in _HEADERS.items():
        if pattern.search(normal) and (not sample or by_values[kind] >= 0.3 or kind in ("name", "identifier")):
            return Finding(header, kind, "by its header")
    return None


def rules(stored: Mapping[str, str] | None) -> dict[str, str]:
    """The rule for every kind: the stored choices over the defaults, unknown entries ignored."""
    chosen = dict(DEFAULT_RULES)
    for kind, rule in (stored or {}).items():
        if kind in KINDS and rule in RULES:
            chosen[kind] = rule
    return chosen


# --- masks ---------------------------------------------------------------------------------------


def mask_value(value: str | None, kind: str) -> str | None:
    """How a viewer sees a personal value: enough to tell two apart, not enough to contact anyone."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return text
    if kind == "email":
        return MASK + "@" + text.rpartition("@")[2] if "@" in text else MASK
    if kind == "phone":
        digits = re.sub(r"\D", "", text)
        return f"{MASK} {digits[-2:]}" if len(digits) >= 6 else MASK
    if kind == "name":
        return " ".join(part[0] + "." for part in text.split())
    return MASK + text[-2:] if len(text) > 6 else MASK


def mask_expr(column: ir.StringValue, kind: str) -> ir.StringValue:
    """mask_value as an Ibis expression, so masking happens where the data is read, for any backend."""
    if kind == "email":
        masked = ibis.literal(MASK + "@") + column.re_extract(r"@([^@]*)$", 1)
    elif kind == "phone":
        digits = column.re_replace(r"\D", "")
        masked = ibis.ifelse(digits.length() >= 6, ibis.literal(MASK + " ") + digits.right(2), ibis.literal(MASK))
    elif kind == "name":
        words = column.strip().split(" ")
        masked = words.filter(lambda w: w.length() > 0).map(lambda w: w.substr(0, 1) + ".").join(" ")
    else:
        masked = ibis.ifelse(column.length() > 6, ibis.literal(MASK) + column.right(2), ibis.literal(MASK))
    return ibis.ifelse(column.isnull(), ibis.null(str), masked).cast("string")


def pseudonym_expr(column: ir.StringValue, salt: str) -> ir.StringValue:
    """A customer id a viewer may see in place of a personal one (an e-mail used as id): the same in every
    table, so what joins on it still joins, and not reversible without the salt."""
    return ibis.ifelse(
        column.isnull(), ibis.null(str), ibis.literal("id-") + (ibis.literal(salt) + column).hash().abs().cast("string")
    )
