"""Origins: deploy/nginx.conf.template, filled in with envsubst as the README says, run by a real nginx
in front of a real dashboard. Only the configured host is served (a WebSocket handshake naming a foreign
Host is refused: the shape of a DNS-rebinding attack), a foreign Origin is refused, and only the
configured sites may frame the dashboard.

Chromium reaches the proxy under made-up names (cx.test, intranet.test, elsewhere.test) mapped to
127.0.0.1 by its host resolver rules, over TLS with a certificate made here.
"""

from __future__ import annotations

import base64
import getpass
import html
import http.server
import os
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, Server, free_port, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

HOST = "cx.test"
FRAMING_SITE = "intranet.test"  # the one site configured to frame the dashboard
OTHER_SITE = "elsewhere.test"
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
VARIABLES = "$CX_HOST $CX_ORIGIN $CX_FRAME_ANCESTORS $CX_LISTEN $CX_CERTIFICATE $CX_CERTIFICATE_KEY $CX_UPSTREAM"


@dataclass
class Proxy:
    port: int
    origin: str
    sites_port: int  # where intranet.test and elsewhere.test serve their pages that frame the dashboard


@pytest.fixture(scope="module")
def sites() -> Iterator[int]:
    """A web server on 127.0.0.1 for the other sites: every page holds the dashboard in a frame (?src=URL)."""

    class FramingPage(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            src = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["src"][0]
            body = (f"<html><body><h2>{html.escape(self.headers['Host'])}</h2>"
                    f'<iframe src="{html.escape(src)}" width="1300" height="850"></iframe></body></html>').encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FramingPage)
    thread = threading.Thread(target=web.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield web.server_port
    web.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def proxy(server: Server, sites: int, tmp_path_factory) -> Iterator[Proxy]:
    """nginx on a free port of 127.0.0.1 serving the demo dashboard as https://cx.test:PORT."""
    folder = tmp_path_factory.mktemp("nginx")
    port = free_port()
    origin = f"https://{HOST}:{port}"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
         "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", folder / "key.pem", "-out", folder / "cert.pem"],
        check=True, capture_output=True,
    )  # fmt: skip
    settings = {
        "CX_HOST": HOST,
        "CX_ORIGIN": origin,
        "CX_FRAME_ANCESTORS": f"http://{FRAMING_SITE}:{sites}",
        "CX_LISTEN": f"127.0.0.1:{port}",
        "CX_CERTIFICATE": str(folder / "cert.pem"),
        "CX_CERTIFICATE_KEY": str(folder / "key.pem"),
        "CX_UPSTREAM": f"127.0.0.1:{server.port}",
    }
    site = subprocess.run(["envsubst", VARIABLES], input=TEMPLATE.read_text(), capture_output=True, text=True,
                          env={**os.environ, **settings}, check=True).stdout  # fmt: skip
    (folder / "cx.conf").write_text(site)
    # The rest of an nginx.conf, as a distribution's would have it, kept inside the temporary folder.
    temp = {name: folder / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    (folder / "nginx.conf").write_text(
        (f"user {getpass.getuser()};\n" if os.geteuid() == 0 else "")
        + f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\nhttp {{\n"
        + f"    access_log {folder}/access.log;\n"
        + "".join(f"    {name}_temp_path {path};\n" for name, path in temp.items())
        + f"    include {folder}/cx.conf;\n}}\n"
    )
    command = ["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"]
    check = subprocess.run([*command[:-2], "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=(folder / "stderr.log").open("w"))
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, (folder / "stderr.log").read_text()
            time.sleep(0.2)
    yield Proxy(port, origin, sites)
    process.terminate()
    process.wait(timeout=10)


def handshake(proxy: Proxy, host: str, origin: str | None, server_name: str = HOST) -> str:
    """The status line nginx answers to a WebSocket handshake for Streamlit's stream, sent by hand."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n"
        + (f"Origin: {origin}\r\n" if origin else "")
        + "\r\n"
    )
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            tls.sendall(request.encode())
            return tls.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_a_websocket_handshake_from_the_dashboards_own_origin_is_let_through(proxy):
    assert handshake(proxy, f"{HOST}:{proxy.port}", proxy.origin) == "HTTP/1.1 101 Switching Protocols"


def test_a_websocket_handshake_naming_a_foreign_host_is_refused_by_the_proxy(proxy):
    # DNS rebinding: evil.example now resolves to this server, and its page opens a WebSocket to "itself".
    evil = f"evil.example:{proxy.port}"
    assert handshake(proxy, evil, f"https://{evil}").startswith("HTTP/1.1 421 ")


def test_a_websocket_handshake_from_another_sites_page_is_refused(proxy):
    assert handshake(proxy, f"{HOST}:{proxy.port}", "https://evil.example").startswith("HTTP/1.1 403 ")


def test_a_tls_client_asking_for_another_name_gets_no_certificate(proxy):
    with pytest.raises(ssl.SSLError):
        handshake(proxy, "evil.example", "https://evil.example", server_name="evil.example")


@pytest.fixture(scope="module")
def named_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium that finds cx.test, intranet.test and elsewhere.test at 127.0.0.1 (launched by the session's
    Playwright: a second sync_playwright() cannot run beside it)."""
    names = [HOST, "intranet.test", "elsewhere.test"]
    rules = ", ".join(f"MAP {name} 127.0.0.1" for name in names)
    launched = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rules}"]
    )
    yield launched
    launched.close()


@pytest.fixture
def site_page(named_browser) -> Iterator[Page]:
    context = named_browser.new_context(viewport={"width": 1400, "height": 1000}, ignore_https_errors=True)
    yield context.new_page()
    context.close()


def framing(page: Page, site: str, proxy: Proxy) -> Page:
    """A page of `site` that puts the dashboard in a frame."""
    page.goto(f"http://{site}:{proxy.sites_port}/?src={urllib.parse.quote(proxy.origin + '/')}")
    return page


def test_the_dashboard_works_through_the_proxy(site_page, proxy):
    site_page.goto(f"{proxy.origin}/")
    wait_for_app(site_page)  # the page drew, so its WebSocket went through
    assert site_page.locator("h1").first.inner_text().strip()
    screenshot(site_page, "origins-through-proxy")


def test_a_configured_site_may_frame_the_dashboard(site_page, proxy):
    framing(site_page, FRAMING_SITE, proxy)
    frame = site_page.frame_locator("iframe")
    frame.locator("[data-testid='stMainBlockContainer'] h1").first.wait_for(timeout=60_000)
    screenshot(site_page, "origins-framed-by-configured-site")


def test_any_other_site_cannot_frame_the_dashboard(site_page, proxy):
    blocked = []
    site_page.on("console", lambda message: blocked.append(message.text) if "frame-ancestors" in message.text else None)
    framing(site_page, OTHER_SITE, proxy)
    site_page.wait_for_timeout(3000)
    dashboard_frames = [f for f in site_page.frames if f is not site_page.main_frame]
    assert dashboard_frames and all(not f.locator("[data-testid='stApp']").count() for f in dashboard_frames)
    assert blocked, "Chromium did not report the frame-ancestors refusal"
    screenshot(site_page, "origins-framed-by-other-site")
