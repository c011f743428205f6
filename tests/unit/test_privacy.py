"""Personal data in comment text is masked: e-mail addresses, phone numbers, card-like numbers."""

import pytest

from cx.analysis.privacy import CARD_MASK, EMAIL_MASK, PHONE_MASK, mask_text


@pytest.mark.parametrize(
    "comment",
    ["write to jane.doe+cx@example.co.uk please", "JOAO_SILVA@empresa.com.br respondeu", "a@b.io"],
)
def test_email_addresses_are_masked(comment):
    masked = mask_text(comment)
    assert EMAIL_MASK in masked and "@" not in masked


@pytest.mark.parametrize(
    "comment",
    [
        "card 4111 1111 1111 1111 was charged twice",
        "card 4111-1111-1111-1111.",
        "paid with 5500005555555559",
        "amex 3782 822463 10005",
    ],
)
def test_card_like_numbers_are_masked_whatever_the_grouping(comment):
    masked = mask_text(comment)
    assert CARD_MASK in masked and not any(ch.isdigit() for ch in masked)


@pytest.mark.parametrize(
    "comment",
    [
        "call me on +55 11 98765-4321",
        "call (415) 555-2671 after five",
        "or 07911 123456",
        "0044 20 7946 0958",
        "my number is 11987654321.",
        "ligue (11) 3456-7890",
    ],
)
def test_phone_numbers_are_masked(comment):
    masked = mask_text(comment)
    assert PHONE_MASK in masked and sum(ch.isdigit() for ch in masked) == 0


@pytest.mark.parametrize(
    "comment",
    [
        "on 2026-07-14 at 14:30 nobody answered",
        "visited 14.07.2026 and 03/04/2025",
        "paid $1,299.00 for 3 licences",
        "order 12345 is late",
        "I gave it 3 4 5 6 7 8 9 10",
        "version 1.2.3.4567",
        "total R$ 12.345.678,90",
    ],
)
def test_dates_times_amounts_and_short_numbers_are_left_alone(comment):
    assert mask_text(comment) == comment


def test_a_comment_with_everything_keeps_its_words():
    comment = "Refund to ana@mail.com, card 4111 1111 1111 1111, call +44 20 7946 0958: still waiting!"
    assert mask_text(comment) == f"Refund to {EMAIL_MASK}, card {CARD_MASK}, call {PHONE_MASK}: still waiting!"


def test_no_comment_stays_no_comment():
    assert mask_text(None) is None
