"""Personal data inside free text: e-mail addresses, phone numbers and card-like numbers, masked.

Pure functions on strings. Comments keep their original text in the database; what a screen or an
export shows goes through `mask_text`. The rules err on the side of hiding: a long order number may be
masked as a phone number, but an e-mail address or a card number should never reach a shared screen.
Dates ("2026-07-14", "14.07.2026"), times and amounts ("1,299.00") are left alone.
"""

from __future__ import annotations

import re

EMAIL_MASK = "[e-mail]"
PHONE_MASK = "[phone]"
CARD_MASK = "[card number]"

# local@domain.tld; the local part as RFC 5322 allows in practice, the domain with at least one dot.
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# Card-like: 13 to 19 digits in one run, or written the way cards print them: groups of four split by
# spaces or hyphens (4-4-4-4, 4-4-4-4-3) or American Express's 4-6-5. No Luhn check on purpose: a
# mistyped card number is still a card number.
_CARD = re.compile(
    r"(?<![\d.,+])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{5})(?![\d]|[.,]\d)"
)

# A run of digits with the separators people write phone numbers with: + ( ) space . - and "/".
_PHONE_CANDIDATE = re.compile(r"(?<![\w.,])(?:\+|00)?\(?\d[\d ().\-/]{5,}\d(?![\w]|[.,]\d)")
_DATE_LIKE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_TIME_LIKE = re.compile(r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?")


def mask_emails(text: str) -> str:
    return _EMAIL.sub(EMAIL_MASK, text)


def mask_cards(text: str) -> str:
    return _CARD.sub(CARD_MASK, text)


def _phone(match: re.Match) -> str:
    candidate = match.group(0)
    digits = re.sub(r"\D", "", candidate)
    international = candidate.startswith(("+", "00"))
    # Without a country prefix, a phone number has at least 9 digits (national numbers in the US, the
    # UK, Brazil, Germany…); shorter runs are quantities, years and codes.
    if not (8 if international else 9) <= len(digits) <= 15:
        return candidate
    if _DATE_LIKE.fullmatch(candidate.strip()) or _TIME_LIKE.fullmatch(candidate.strip()):
        return candidate
    if not international and re.fullmatch(r"[\d ]+", candidate) and len(candidate.split()) > 3:
        return candidate  # a list of small numbers ("3 4 5 6 7 8 9"), not one number
    return PHONE_MASK


def mask_phones(text: str) -> str:
    return _PHONE_CANDIDATE.sub(_phone, text)


def mask_text(text: str | None) -> str | None:
    """The text with e-mail addresses, card-like numbers and phone numbers replaced by a placeholder."""
    if text is None:
        return None
    # E-mails first (they may hold digits), then cards (a card is also a long digit run), then phones.
    return mask_phones(mask_cards(mask_emails(str(text))))
