"""The alert banner: a rule that fires on the latest data shows on every page; a quiet one shows nothing."""

from __future__ import annotations

from tests.app.conftest import open_page
from tests.conftest import build_db
from tests.unit.test_alerts import CUSTOMERS, DROP_RULE, nps_answers


def test_a_fired_alert_shows_as_a_banner_on_every_page(db_file, tmp_path, monkeypatch, use_database):
    build_db(db_file, customers=CUSTOMERS, responses=nps_answers(drop_in="A"))
    rules = tmp_path / "alerts.toml"
    rules.write_text(DROP_RULE)
    monkeypatch.setenv("CX_ALERTS", str(rules))
    use_database(db_file)
    for page in (None, "pages/1_Trends.py"):
        at = open_page(page)
        banners = [w.value for w in at.warning if "Alerts on the latest data" in w.value]
        assert len(banners) == 1 and "NPS drops for a segment" in banners[0] and "segment A" in banners[0]


def test_no_banner_when_nothing_fires(db_file, tmp_path, monkeypatch, use_database):
    build_db(db_file, customers=CUSTOMERS, responses=nps_answers(drop_in=None))
    rules = tmp_path / "alerts.toml"
    rules.write_text(DROP_RULE)
    monkeypatch.setenv("CX_ALERTS", str(rules))
    use_database(db_file)
    at = open_page(None)
    assert not any("Alerts on the latest data" in w.value for w in at.warning)


def test_a_broken_rules_file_says_so_instead_of_failing_the_page(db_file, tmp_path, monkeypatch, use_database):
    build_db(db_file, customers=CUSTOMERS, responses=nps_answers(drop_in=None))
    rules = tmp_path / "alerts.toml"
    rules.write_text('[[rule]]\nname = "x"\nmetric = "wow"\nchange = "worse"')
    monkeypatch.setenv("CX_ALERTS", str(rules))
    use_database(db_file)
    at = open_page(None)
    assert not at.exception
    assert any("alert rules cannot be checked" in w.value for w in at.warning)
