"""Overview and Trends pages under streamlit.testing.v1.AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cx.analysis import metrics
from cx.analysis.filters import Filters
from cx.store import db
from tests.app.conftest import headlines, open_page, plain, styled


def overview() -> AppTest:
    return open_page(run=False)


def trends() -> AppTest:
    return open_page("pages/1_Trends.py", run=False)


def test_overview_shows_six_tiles_with_n_and_a_sentence_each(demo_app_db):
    at = overview().run()
    assert not at.exception
    assert sorted(m.label for m in at.metric) == sorted(
        ["NPS", "CSAT", "CES", "90-day churn", "90-day retention", "First response (median)"]
    )
    sentences = [plain(md.value) for md in at.markdown if "the previous 90 days" in plain(md.value)]
    assert len(sentences) == 6
    assert sum(plain(c.value).startswith("n = ") for c in at.caption) == 6


def test_overview_tiles_show_the_metric_layer_numbers(demo_app_db):
    at = overview().run()
    start, end = at.query_params["from"], at.query_params["to"]
    filters = Filters.from_query_params({"from": start, "to": end})
    with db.reading(demo_app_db) as backend:
        expected = metrics.summary(backend, "nps", filters)
    assert at.metric[0].value == metrics.METRICS["nps"].format(expected.current.value)


def test_overview_url_carries_the_default_period(demo_app_db):
    at = overview().run()
    assert {"from", "to"} <= set(at.query_params)


def test_a_segment_filter_changes_the_overview(demo_app_db):
    at = overview().run()
    before = [m.value for m in at.metric]
    at.multiselect(key="filter_segment").set_value(["Consumer"]).run()
    assert not at.exception
    assert at.query_params["segment"] in ("Consumer", ["Consumer"])
    assert [m.value for m in at.metric] != before


def test_trends_page_draws_the_chosen_metric_with_its_band(demo_app_db):
    at = trends()
    at.query_params.update({"metric": "csat", "grain": "month", "from": "2025-06-01", "to": "2026-05-31"})
    at.run()
    assert not at.exception
    spec = at.get("plotly_chart")[0].proto.spec
    assert "95% interval" in spec and "CSAT" in spec
    headline = headlines(at)
    assert headline and "CSAT" in headline[0]


@pytest.mark.parametrize("split", ["segment", "attr.industry", "channel"])
def test_trends_split_draws_one_line_per_group(demo_app_db, split):
    at = trends()
    at.query_params.update({"metric": "csat", "grain": "quarter", "split": split})
    at.run()
    assert not at.exception
    with db.reading(demo_app_db) as backend:
        groups = metrics.field_values(backend, split)
    spec = at.get("plotly_chart")[0].proto.spec
    assert sum(f'"name":"{group}"' in spec for group in groups) >= 2


def test_trends_changes_with_the_date_range(demo_app_db):
    at = trends().run()
    first = at.get("plotly_chart")[0].proto.spec
    at.date_input(key="filter_dates").set_value(
        (Filters.default().start.replace(year=2025), Filters.default().end.replace(year=2025))
    ).run()
    assert not at.exception
    assert at.get("plotly_chart")[0].proto.spec != first


def test_a_figure_from_too_few_answers_is_greyed_never_a_bare_number(tmp_path, use_database):
    from datetime import datetime

    from tests.conftest import build_db

    path = build_db(
        tmp_path / "tiny.duckdb",
        responses=[
            dict(response_id=str(i), responded_at=datetime(2026, 3, 10), survey="nps", score=s)
            for i, s in enumerate([10, 9, 9, 3, 7])
        ],
    )
    use_database(path)
    at = overview()
    at.query_params.update({"from": "2026-03-01", "to": "2026-03-31"})
    at.run()
    assert not at.exception
    nps = next(m for m in at.metric if m.label == "NPS")
    assert nps.value == "n too small"
    greyed = styled(at, "small")
    assert greyed and "40 from only 5 responses" in greyed[0]


def test_while_an_import_holds_the_database_the_page_says_so(demo_db, tmp_path, monkeypatch, use_database):
    import shutil

    from cx.store import db as cx_db
    from tests.conftest import hold_database

    path = tmp_path / "busy.duckdb"
    shutil.copy(demo_db, path)
    use_database(path)
    monkeypatch.setattr(cx_db, "BUSY_TIMEOUT_S", 0.5)
    with hold_database(path):
        at = overview().run()
    assert not at.exception
    assert any("An import is writing to the database" in w.value for w in at.warning)


def test_a_one_day_last_week_ends_no_sparkline_and_no_headline(tmp_path, use_database):
    from tests.conftest import one_day_last_week_db

    use_database(one_day_last_week_db(tmp_path / "one-day-week.duckdb"))
    at = overview()
    at.query_params.update({"from": "2026-09-02", "to": "2026-11-30"})
    at.run()
    assert not at.exception
    nps = next(m for m in at.metric if m.label == "NPS")
    spark = list(nps.proto.chart_data)
    assert spark[-1] == pytest.approx(50.0)  # the week of 23 Nov, not Monday 30 Nov's -100
    assert -100.0 not in spark

    at = trends()
    at.query_params.update({"metric": "nps", "grain": "week", "from": "2026-09-02", "to": "2026-11-30"})
    at.run()
    assert not at.exception
    [headline] = headlines(at)
    assert "Latest full week (week of 23 Nov 2026): 50 (n = 40)" in headline
    assert "30 Nov" not in headline and "-100" not in headline
