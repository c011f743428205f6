"""The one guard every page body runs inside: a plain message with a reference id, never a traceback.

`ui.setup_page` installs it at the top of every page, so whatever fails further down the
page (a query, a chart, a widget callback on the next run) ends here. The user reads what
happened in plain words and a short reference; the full trace goes to the server's log under
that reference, for whoever runs the dashboard. `client.showErrorDetails = "none"` in
.streamlit/config.toml is the second line: should anything escape this guard, Streamlit
itself shows no details either.

Streamlit runs a handler for an uncaught exception of the script (its `on_script_error`);
that is where the guard hooks in, so page files need no wrapping block of their own.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit import config
from streamlit.logger import get_logger
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cx.app.safe import md
from cx.store.db import DatabaseBusy

log = get_logger("cx.app.guard")
MESSAGE = "Something went wrong"  # how a guarded failure starts; the browser tests look for it


def report(error: BaseException) -> str | None:
    """Show `error` to the user in plain words; unexpected ones are logged with their trace. Returns the reference."""
    if isinstance(error, DatabaseBusy):
        st.warning(md(error), icon=":material/hourglass_top:")
        return None
    reference = secrets.token_hex(4).upper()
    log.error("Page error, reference %s", reference, exc_info=(type(error), error, error.__traceback__))
    st.error(
        f"{MESSAGE} while building this part of the page, and it is not something you did. "
        f"Reload the page to try again; if it keeps happening, give this reference to whoever runs the "
        f"dashboard: **{reference}**.",
        icon=":material/error:",
    )
    return reference


def _on_script_error(error: Exception) -> bool:
    report(error)
    return True  # shown: Streamlit need not show it again


def install() -> None:
    """Catch whatever the rest of this page run raises (called by ui.setup_page).

    Under AppTest the guard stays out of the way (unless CX_TEST_GUARD is set), so that a test's
    `at.exception` still sees what went wrong."""
    if config.get_option("global.appTest") and not os.environ.get("CX_TEST_GUARD"):
        return
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.on_script_error = _on_script_error


@contextmanager
def guarded() -> Iterator[None]:
    """One part of a page that may fail on its own (an action), leaving the rest of the page standing."""
    try:
        yield
    except Exception as error:  # Streamlit's stop and rerun are BaseExceptions and pass through
        report(error)
