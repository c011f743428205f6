"""Warehouse mode under AppTest: with CX_WAREHOUSE set, the pages read PostgreSQL, and the Data page offers no import.

The demo database is copied into a PostgreSQL server the tests start (tests/engines.py) with
`warehouse push`'s own code; the app is then pointed at it, with no DuckDB file to fall back on.
"""

from __future__ import annotations

import pytest
import streamlit as st

from cx.analysis import metrics
from cx.analysis.filters import Filters
from cx.store import db, warehouse
from tests.app.conftest import open_page, plain
from tests.engines import namespaced


@pytest.fixture
def warehouse_app(demo_db, postgres_url, tmp_path, monkeypatch) -> str:
    url = namespaced(postgres_url, "app_demo")
    warehouse.push(demo_db, url)
    monkeypatch.setenv("CX_WAREHOUSE", url)
    monkeypatch.setenv("CX_DB", str(tmp_path / "absent.duckdb"))  # nothing local to read
    st.cache_data.clear()
    yield url
    warehouse.close(url)
    st.cache_data.clear()


def test_the_overview_shows_the_warehouses_figures_and_names_it_in_the_sidebar(warehouse_app, demo_db):
    at = open_page()
    assert not at.exception
    start, end = at.query_params["from"], at.query_params["to"]
    filters = Filters.from_query_params({"from": start, "to": end})
    with db.reading(demo_db) as backend:  # the same figure from the DuckDB file it was copied from
        expected = metrics.summary(backend, "nps", filters)
    assert at.metric[0].value == metrics.METRICS["nps"].format(expected.current.value)
    sidebar = " ".join(plain(c.value) for c in at.sidebar.caption)
    assert "Figures from the warehouse postgresql://postgres@127.0.0.1" in sidebar
    assert "(read-only)" in sidebar
    assert not (db.db_path().exists()), "the app must not create a local database in warehouse mode"


def test_the_data_page_says_where_imports_go_instead_of_offering_an_upload(warehouse_app):
    at = open_page("pages/4_Data.py")
    assert not at.exception
    notices = " ".join(plain(i.value) for i in at.info)
    assert "reads from the warehouse" in notices and "warehouse push --to URL" in notices
    assert len(at.get("file_uploader")) == 0
