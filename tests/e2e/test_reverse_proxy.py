"""The shipped reverse-proxy example (deploy/Caddyfile), started here in front of a real app: the
dashboard works through it, every response carries the security headers, and Streamlit's internal
endpoints are hidden from the outside while the app itself still serves them on its own port."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import ARTIFACTS, ROOT, Server, app_errors, free_port, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

CADDYFILE = ROOT / "deploy" / "Caddyfile"


class Proxy:
    """Caddy running deploy/Caddyfile unchanged, on a free local port, in plain HTTP (no certificate here)."""

    def __init__(self, upstream: str, home: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = ARTIFACTS / f"caddy-{self.port}.log"
        self.env = {
            **os.environ,
            "CX_SITE": self.url,
            "CX_UPSTREAM": upstream,
            "CX_CADDY_ADMIN": "off",
            "HOME": str(home),  # Caddy keeps its state under the home folder: a fresh one per test run
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> Proxy:
        ARTIFACTS.mkdir(exist_ok=True)
        caddy = shutil.which("caddy") or "/usr/bin/caddy"
        command = [caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
        self.process = subprocess.Popen(command, env=self.env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Caddy did not start; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture(scope="module")
def proxy(server: Server, tmp_path_factory) -> Iterator[Proxy]:
    running = Proxy(f"127.0.0.1:{server.port}", tmp_path_factory.mktemp("caddy")).start()
    yield running
    running.stop()


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_the_dashboard_works_through_the_proxy_with_its_websocket(proxy: Proxy, page: Page):
    page.goto(f"{proxy.url}/Trends?metric=csat&grain=month")
    wait_for_app(page)  # the page is drawn over the WebSocket, which only works if the proxy passes it on
    assert page.locator("[data-testid='stMainBlockContainer'] h1").inner_text().strip() != ""
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)  # the chart came over the WebSocket too
    screenshot(page, "through-the-proxy")
    assert app_errors(page) == []


@pytest.mark.parametrize("path", ["/", "/Trends?metric=nps", "/_stcore/health", "/static/does-not-exist.js"])
def test_every_response_through_the_proxy_carries_the_security_headers(proxy: Proxy, path: str):
    _, headers, _ = get(proxy.url + path)
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert headers["referrer-policy"] == "same-origin"
    assert "server" not in headers  # neither Caddy nor the app announces what it runs


@pytest.mark.parametrize("path", ["/_stcore/metrics", "/_stcore/metrics?families=session_events_total",
                                  "/_stcore/agent/openapi.json", "/_stcore/agent/interact"])  # fmt: skip
def test_streamlits_internal_endpoints_are_hidden_outside_but_served_on_the_apps_own_port(
    proxy: Proxy, server: Server, path: str
):
    status, _, body = get(proxy.url + path)
    assert status == 404 and body == b""
    direct, _, _ = get(server.url + path)
    assert direct != 404  # the app does serve it: it is the proxy that hides it


def test_the_app_accepts_connections_from_this_machine_only_and_shows_no_tracebacks():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableAgentApi"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"
