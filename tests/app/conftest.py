"""AppTest fixtures: the session's demo database and clean caches per test."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st


@pytest.fixture
def demo_app_db(demo_db, monkeypatch) -> Path:
    """Point the app at the demo database and start from empty caches."""
    monkeypatch.setenv("CX_DB", str(demo_db))
    st.cache_data.clear()
    yield demo_db
    st.cache_data.clear()
