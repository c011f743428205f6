"""AppTest fixtures: a small demo database per session and clean caches per test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def app_demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("app") / "demo.duckdb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cx",
            "demo",
            "--db",
            str(path),
            "--customers",
            "2000",
            "--interactions",
            "80000",
            "--responses",
            "12000",
            "--seed",
            "5",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture
def demo_app_db(app_demo_db, monkeypatch) -> Path:
    """Point the app at the demo database and start from empty caches."""
    monkeypatch.setenv("CX_DB", str(app_demo_db))
    st.cache_data.clear()
    yield app_demo_db
    st.cache_data.clear()
