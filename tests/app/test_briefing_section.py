"""The briefing at the top of the Overview under AppTest: ranked sentences, each with a link to its view."""

from __future__ import annotations

from tests.app.conftest import open_page


def test_the_overview_opens_with_the_briefing_and_links_each_sentence_to_its_view(demo_app_db):
    at = open_page(None, {"from": "2026-07-01", "to": "2026-07-31"})
    assert not at.exception
    assert [h.value for h in at.subheader][:2] == ["What changed", "Headline figures"]
    lines = [m.value for m in at.markdown if m.value[:1].isdigit() and "](./" in m.value]
    assert 3 <= len(lines) <= 7
    assert any("Billing inquiry" in line and "](./Journey?" in line and "touchpoint=Billing+inquiry" in line
               for line in lines)  # fmt: skip
    assert all("from=2026-07-01" in line and "to=2026-07-31" in line for line in lines)
    assert any(c.value.startswith(tuple("1234567")) and "significant change" in c.value for c in at.caption)


def test_a_frozen_link_carries_its_moment_into_the_briefing_links(demo_app_db):
    at = open_page(None, {"from": "2026-07-01", "to": "2026-07-31", "as_of": "2030-01-01T00:00:00"})
    lines = [m.value for m in at.markdown if "](./" in m.value]
    assert lines and all("as_of=2030-01-01T00%3A00%3A00" in line for line in lines)
