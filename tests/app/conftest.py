"""AppTest helpers: point the app at a database with clean caches, open a page, read its headlines."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from cx.app.safe import WORD_JOINER

ROOT = Path(__file__).resolve().parents[2]
# Sign-in configured as in .streamlit/secrets.toml; AppTest never reaches the provider, it seeds st.user.
AUTH_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a-test-secret-that-is-long-enough",
        "client_id": "cx-dashboard",
        "client_secret": "not-used",
        "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
    }
}


def signed_in(email: str, name: str = "", **claims) -> dict:
    """st.user for someone signed in with the identity provider."""
    return {"is_logged_in": True, "email": email, "name": name or email.split("@")[0].title(), **claims}


@pytest.fixture
def use_database(monkeypatch) -> Iterator[Callable[[Path], Path]]:
    """`use_database(path)`: the app reads that file, starting from empty caches (they outlive a test)."""

    def choose(path: Path) -> Path:
        monkeypatch.setenv("CX_DB", str(path))
        st.cache_data.clear()
        return path

    yield choose
    st.cache_data.clear()


@pytest.fixture
def demo_app_db(demo_db, use_database) -> Path:
    """The app on the session's demo database."""
    return use_database(demo_db)


def open_page(
    page: str | None = None, params: dict[str, str] | None = None, run: bool = True, user: dict | None = None
) -> AppTest:
    """The app from its entry script, switched to `page` (e.g. "pages/2_Journey.py") with URL parameters.

    With `user` (see `signed_in`), sign-in is configured and that is who is signed in."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if user is not None:
        at.secrets = AUTH_SECRETS
        at.user = user
    if page:
        at.switch_page(page)
    at.query_params.update(params or {})
    return at.run() if run else at


def plain(markdown: str) -> str:
    """Markdown written through cx.app.safe.md, as the reader sees it (the escapes and invisible joiners removed)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")


def styled(at: AppTest, style: str) -> list[str]:
    """The text in the page's containers of one style (cx.app.ui.styled), as the reader sees it."""
    return [
        plain(md.value)
        for block in at.main
        if isinstance(block, Block) and (block.key or "").startswith(f"cx_{style}_")
        for md in block
        if getattr(md, "type", None) == "markdown"
    ]


def headlines(at: AppTest) -> list[str]:
    return styled(at, "headline")
