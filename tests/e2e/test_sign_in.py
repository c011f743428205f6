"""Signing in for real: oidc-provider-mock on 127.0.0.1, Streamlit's st.login, Chromium as viewer, editor and admin.

The provider runs in this process (its Authlib deprecation warnings are filtered in pyproject.toml);
the dashboard is a real `streamlit run` whose secrets point at it.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import oidc_provider_mock
import pytest
import werkzeug.serving
from playwright.sync_api import Browser, Page, expect

from cx.app.safe import WORD_JOINER
from cx.ingest import import_file
from cx.store.audit import Actor
from tests.e2e.conftest import Server, app_errors, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

USERS = {
    "vic": {"email": "vic@example.com", "email_verified": True, "name": "Vic Viewer"},
    "ana": {"email": "ana@example.com", "email_verified": True, "name": "Ana Editor"},
    "lee": {"email": "lee@example.com", "email_verified": True, "name": "Lee Admin", "groups": ["cx-admins"]},
}
ROLES = """
[roles]
viewer = ["vic@example.com"]
editor = ["ana@example.com"]

[groups]
claim = "groups"
admin = ["cx-admins"]   # Lee is admin through the provider's groups claim, not by address
"""
ADMINS_FILE = b"Customer ID,Full name,Email,Plan,Region\nx1,Kim Park,kim.park@example.com,Gold,Europe\nx2,Li Wei,li.wei@example.org,Silver,APAC\n"
# Kim's comment holds her e-mail and phone: masked for everyone; her name is masked for viewers only.
COMMENTS_FILE = (
    b"Respondent,Customer ID,Date,NPS,Comment\n"
    b"z1,x1,2026-11-25,3,The zeppelin portal logs me out: write to kim.park@example.com or call +44 20 7946 0958\n"
)
EDITORS_FILE = b"Respondent,Date,NPS,Comment\ns1,2026-11-20,10,Great\ns2,2026-11-21,4,Slow answer\n"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The identity provider: oidc-provider-mock's app served by werkzeug on 127.0.0.1 in a thread."""
    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the provider speaks http on the loopback only
    users = [oidc_provider_mock.User(sub=sub, claims=claims) for sub, claims in USERS.items()]
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    if previous is None:
        os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
    else:
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous


@pytest.fixture(scope="module")
def dashboard(provider, demo_db, tmp_path_factory) -> Iterator[Server]:
    """The dashboard with sign-in configured, over a copy of the demo plus one import by the admin."""
    folder = tmp_path_factory.mktemp("signed-in")
    database = folder / "cx.duckdb"
    shutil.copy(demo_db, database)
    import_file(ADMINS_FILE, file_name="admins-crm.csv", db=database, actor=Actor("lee@example.com", "admin"))
    import_file(COMMENTS_FILE, file_name="admins-survey.csv", db=database, actor=Actor("lee@example.com", "admin"))
    roles = folder / "roles.toml"
    roles.write_text(ROLES)
    secrets = folder / "secrets.toml"
    server = Server(database, env={"CX_ROLES": str(roles)}, args=("--secrets.files", str(secrets)))
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{server.url}/oauth2callback"\n'
        'cookie_secret = "a-long-random-cookie-secret-for-the-tests"\n'
        'client_id = "cx-dashboard"\n'
        'client_secret = "cx-dashboard-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def new_page(browser: Browser) -> Iterator:
    """Pages in fresh browser contexts (one per person: each has their own cookie)."""
    contexts = []

    def open_one() -> Page:
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        # The provider's login form links a stylesheet on a CDN; there is no internet here.
        context.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
        contexts.append(context)
        return context.new_page()

    yield open_one
    for context in contexts:
        context.close()


def sign_in(page: Page, dashboard: Server, sub: str) -> Page:
    page.goto(dashboard.url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=sub, exact=True).click()  # the provider's "predefined users"
    page.wait_for_url(f"{dashboard.url}/**")
    wait_for_app(page)
    return page


def options_of(page: Page, label: str) -> list[str]:
    """The options a selectbox offers, read from its open list as a user sees them."""
    wait_for_app(page)
    box = page.get_by_role("combobox", name=label)
    box.evaluate("element => element.scrollIntoView({block: 'center'})")  # room below it for the list to open
    box.click()
    options = page.locator("[role=listbox] [role=option]")  # the one open list
    expect(options).not_to_have_count(0)
    offered = options.all_inner_texts()
    box.press("Escape")
    return offered


def sidebar(page: Page) -> str:
    """The sidebar as read (without the invisible joiner that keeps an e-mail address from becoming a link)."""
    return page.locator("[data-testid='stSidebar']").inner_text().replace(WORD_JOINER, "")


def imports(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "SELECT import_id, file_name, imported_by, status FROM imports ORDER BY import_id"
        ).fetchall()


def audit_log(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute("SELECT who, role, action, what FROM audit_log ORDER BY event_id").fetchall()


def test_nobody_sees_a_figure_before_signing_in(dashboard, new_page):
    page = new_page()
    page.goto(dashboard.url + "/Trends")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    assert not page.locator("[data-testid='stMetric']").count()
    assert not page.locator("[data-testid='stPlotlyChart']").count()


def test_a_viewer_signs_in_sees_the_figures_and_is_refused_the_data_page_even_by_deep_link(dashboard, new_page):
    page = sign_in(new_page(), dashboard, "vic")
    assert "Signed in as Vic Viewer (vic@example.com) · viewer" in sidebar(page)
    labels = page.locator("[data-testid='stMetricLabel']").all_inner_texts()
    assert labels[:6] == ["NPS", "CSAT", "CES", "90-day churn", "90-day retention", "First response (median)"]
    assert "Data" not in page.locator("[data-testid='stSidebar'] a").all_inner_texts()
    screenshot(page, "sign-in-viewer-overview")
    page.goto(dashboard.url + "/Data")
    wait_for_app(page)
    expect(page.get_by_text("is a viewer; the Data page needs the editor role")).to_be_visible()
    assert not page.locator("[data-testid='stFileUploader']").count()
    assert not page.get_by_role("button", name="Undo…").count()
    screenshot(page, "sign-in-viewer-data-refused")
    # Opening another page is a new Streamlit session on the same cookie: still one sign-in.
    sign_ins = [e for e in audit_log(dashboard.database) if e[0] == "vic@example.com" and e[2] == "sign-in"]
    assert sign_ins == [("vic@example.com", "viewer", "sign-in", "Vic Viewer (vic@example.com)")]


def test_an_editor_imports_and_undoes_their_own_import_but_is_not_offered_the_admins(dashboard, new_page, tmp_path):
    page = sign_in(new_page(), dashboard, "ana")
    assert "Signed in as Ana Editor (ana@example.com) · editor" in sidebar(page)
    page.goto(dashboard.url + "/Data")
    wait_for_app(page)
    upload = tmp_path / "editors-survey.csv"
    upload.write_bytes(EDITORS_FILE)
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(upload))
    page.get_by_role("button", name="Import editors-survey.csv").click()
    expect(page.get_by_text("rows in the file =")).to_be_visible(timeout=60_000)
    mine = next(i for i in imports(dashboard.database) if i[1] == "editors-survey.csv")
    assert mine[2:] == ("ana@example.com", "done")
    offered = options_of(page, "Undo an import")
    assert offered == [f"#{mine[0]} · editors-survey.csv (2 rows)"]  # the admin's import is not offered
    screenshot(page, "sign-in-editor-data")
    page.get_by_role("button", name="Undo…").click()
    page.get_by_role("button", name="Yes, undo it").click()
    expect(page.get_by_text(f"Import #{mine[0]} undone: 2 records removed.")).to_be_visible(timeout=60_000)
    assert next(i for i in imports(dashboard.database) if i[0] == mine[0])[3] == "undone"
    assert next(i for i in imports(dashboard.database) if i[1] == "admins-crm.csv")[3] == "done"
    assert ("ana@example.com", "editor", "undo", f"editors-survey.csv (import #{mine[0]})") in audit_log(
        dashboard.database
    )


def test_an_admin_by_groups_claim_sees_the_audit_log_and_may_undo_any_import(dashboard, new_page):
    page = sign_in(new_page(), dashboard, "lee")
    assert "Signed in as Lee Admin (lee@example.com) · admin" in sidebar(page)
    page.goto(dashboard.url + "/Audit")
    wait_for_app(page)
    assert not app_errors(page)
    expect(page.get_by_text("events by")).to_be_visible()
    screenshot(page, "sign-in-admin-audit")
    page.goto(dashboard.url + "/Data")
    wait_for_app(page)
    assert any("admins-crm.csv" in option for option in options_of(page, "Undo an import"))


def test_a_viewer_replaying_an_editors_undo_click_changes_nothing(dashboard, new_page, tmp_path):
    """The editor's click on "Yes, undo it" is caught on its way to the server and sent from the viewer's session."""
    caught: list[bytes | str] = []
    holding = threading.Event()

    def editor_socket(ws):
        server = ws.connect_to_server()

        def to_server(message):
            if holding.is_set():
                caught.append(message)  # kept back: the editor's own undo never happens
                holding.clear()
            else:
                server.send(message)

        ws.on_message(to_server)

    editor = new_page()
    editor.route_web_socket("**/_stcore/stream", editor_socket)
    sign_in(editor, dashboard, "ana")
    editor.goto(dashboard.url + "/Data")
    wait_for_app(editor)
    upload = tmp_path / "kept.csv"
    upload.write_bytes(EDITORS_FILE.replace(b"s1,", b"k1,").replace(b"s2,", b"k2,"))
    editor.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(upload))
    editor.get_by_role("button", name="Import kept.csv").click()
    expect(editor.get_by_text("rows in the file =")).to_be_visible(timeout=60_000)
    editor.get_by_role("button", name="Undo…").click()
    holding.set()
    editor.get_by_role("button", name="Yes, undo it").click()
    editor.wait_for_timeout(1000)
    assert caught, "the click's message was not seen"
    before = imports(dashboard.database)
    assert next(i for i in before if i[1] == "kept.csv")[3] == "done"
    refused = ("vic@example.com", "viewer", "refused", "opening the Data page")
    refusals = audit_log(dashboard.database).count(refused)

    sockets = []

    def viewer_socket(ws):
        server = ws.connect_to_server()
        sockets.append(server)
        ws.on_message(server.send)

    viewer = new_page()
    viewer.route_web_socket("**/_stcore/stream", viewer_socket)
    sign_in(viewer, dashboard, "vic")
    sockets[-1].send(caught[0])  # the editor's "undo" rerun, from the viewer's session
    expect(viewer.get_by_text("is a viewer; the Data page needs the editor role")).to_be_visible(timeout=60_000)
    assert imports(dashboard.database) == before
    assert audit_log(dashboard.database).count(refused) == refusals + 1  # the replayed message, refused
    screenshot(viewer, "sign-in-viewer-replay-refused")


def comments_download(page: Page) -> str:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download these comments (CSV, masked)").click()
    return Path(download.value.path()).read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("sub", "shown", "hidden"),
    [("vic", "K. P. (x1)", "Kim Park"), ("ana", "Kim Park (x1)", "K. P.")],
    ids=["viewer", "editor"],
)
def test_customer_names_are_masked_for_a_viewer_on_screen_and_in_the_download_and_contacts_for_everyone(
    dashboard, new_page, sub, shown, hidden
):
    page = sign_in(new_page(), dashboard, sub)
    page.goto(dashboard.url + "/Comments?q=zeppelin")
    wait_for_app(page)
    screenshot(page, f"sign-in-{sub}-comments-masking")
    text = page.locator("[data-testid='stMainBlockContainer']").inner_text().replace(WORD_JOINER, "")
    assert "1 comments match" in text or "1 comment matches" in text
    assert shown in text and hidden not in text
    assert "kim.park@example.com" not in text and "7946 0958" not in text  # in the comment: masked for everyone
    exported = comments_download(page)
    assert shown.split(" (")[0] in exported and hidden not in exported
    assert "kim.park@example.com" not in exported and "7946" not in exported
    event = (USERS[sub]["email"], {"vic": "viewer", "ana": "editor"}[sub], "export", "comments.csv (Comments page)")
    for _ in range(50):  # the click's rerun writes the event (and holds the file meanwhile)
        try:
            if event in audit_log(dashboard.database):
                break
        except duckdb.IOException:
            pass
        page.wait_for_timeout(200)
    assert event in audit_log(dashboard.database)
