"""Every sentence the import can say: grammatical, specific, and each one used somewhere."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from cx.ingest.messages import TEMPLATES, quoted_list, say

ROOT = Path(__file__).resolve().parents[2]
# Values like the ones the code passes, so that a filled template reads as a user will see it.
SAMPLES = {
    "file": "export.csv",
    "column": "Satisfaction",
    "columns": '"Date", "Score" and "Comment"',
    "kind": "a survey responses file",
    "needs": "a score",
    "field": "responded_at",
    "fields": "customer_id, name",
    "kinds": "customers, interactions, responses",
    "first": "Created",
    "second": "Opened",
    "pair": "Score",
    "name": "Monthly NPS",
    "names": '"Monthly NPS"',
    "example": "03/04/2024",
    "samples": '"yesterday", "soon", "n/a"',
    "formats": "year-month-day (ISO 8601), month/day/year",
    "rows": "1,838",
    "warnings": '"Score" gives CSAT 0.0% on 3,584 answers, the very end of the scale.',
    "thing": "answer",
    "date": "2024-05-01",
    "source": "the file's date",
    "chosen": "Opened",
    "now": "not stored",
    "ids": "2,357",
    "others": '"code_module" and "code_presentation"',
    "low": "-365",
    "high": "444",
    "churned": "10,072",
    "count": "2",
    "survey": "NPS",
    "listing": '"R" (1,795 answers); "Python" (1,015 answers)',
    "headline": "R",
    "reason": "asks how difficult something is (values 1–5), the reverse of an effort score; it is not stored",
    "start": "Created",
    "detail": ' ("Date of Purchase" is not one)',
    "share": "83%",
    "filled": "98%",
    "kept": "12%",
    "figure": "CSAT 0.0% on 3,584 answers",
    "row": "51",
}
ARTICLE_ERRORS = re.compile(r"\ba [aeiou]\w|\ban [bcdfgjklmnpqrstvwxz]\w|\bno a\b|\ba a\b|\bthe the\b", re.I)
# "a user", "a one-off", "an hour": English spells by sound; none of these occurs in our templates.
ALLOWED = re.compile(r"\ba (user|unique|one)\b|\ban (hour|honest)\b", re.I)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_message_template_reads_as_a_sentence_with_its_facts(key):
    template = TEMPLATES[key]
    assert placeholders(template) <= set(SAMPLES), f"{key}: add a sample for {placeholders(template) - set(SAMPLES)}"
    text = say(key, **{name: SAMPLES[name] for name in placeholders(template)})
    assert text[0].isupper() or text[0].isdigit() or text[0] in '"-', f"{key}: starts with {text[:10]!r}"
    assert text.rstrip().endswith((".", "?")) or template.endswith("{first}"), f"{key}: ends with {text[-10:]!r}"
    assert not ARTICLE_ERRORS.search(ALLOWED.sub("", text)), f"{key}: {ARTICLE_ERRORS.search(text).group()!r}"
    assert "  " not in text and " ." not in text and " ," not in text, f"{key}: stray space"
    assert text.count('"') % 2 == 0, f"{key}: unbalanced quotes"
    assert len(text) <= 400, f"{key}: {len(text)} characters is not short"
    # Messages name what they are about: the file, or the column, or the field.
    assert placeholders(template) & {"file", "column", "columns", "field", "kind", "name", "pair", "rows", "count"}


def test_every_message_template_is_used_by_the_code():
    code = "\n".join(p.read_text() for p in (ROOT / "cx").rglob("*.py") if p.name != "messages.py")
    unused = [key for key in TEMPLATES if f'"{key}"' not in code]
    assert unused == []


def test_lists_of_names_read_naturally():
    assert quoted_list(["a"]) == '"a"'
    assert quoted_list(["a", "b", "c"]) == '"a", "b" and "c"'
    assert quoted_list([str(n) for n in range(8)], limit=6) == '"0", "1", "2", "3", "4", "5" and 2 more'
