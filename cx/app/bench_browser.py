"""The browser half of `python -m cx bench`: a filter change to the redrawn page in Chromium.

    python -m cx.app.bench_browser DB REPEAT      prints one JSON object

Starts a real `streamlit run` on a free local port and Debian's Chromium (Playwright), opens the
Overview and Trends pages, then `repeat` times types a new choice into a sidebar filter, as a
user would, and times it until the script has run and the page is drawn again. Every choice is
a state no cache has seen (the selection grows: a segment, then another, then regions). Also
reports the reload of a page whose figures are all cached, and the server's peak memory.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-dev-shm-usage", "--no-first-run"]  # fmt: skip
PAGES = (("", "Overview"), ("Trends", "Trends"))
CHOICES = (("Segment", "SMB"), ("Segment", "Enterprise"), ("Segment", "Consumer"), ("Region", "Europe"),
           ("Region", "APAC"), ("Region", "LATAM"), ("Segment", "Mid-market"))  # fmt: skip
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Set before an action: becomes true once the script has started running again.
WATCH_RUNS = """() => {
  window.__cxRan = false;
  const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') window.__cxRan = true;
  }).observe(app, {attributes: true});
}"""
RAN_AND_IDLE = """() => window.__cxRan &&
  document.querySelector("[data-testid='stApp']").getAttribute('data-test-script-state') === 'notRunning'"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_idle(page: Page) -> None:
    page.wait_for_selector(IDLE, timeout=600_000)
    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=600_000)


def _choose(page: Page, label: str, option: str) -> float:
    """Type `option` into the sidebar filter `label`; seconds until the page is drawn again."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").filter(has_text=label)
    box.locator("input").click()
    box.locator("input").fill(option)
    page.evaluate(WATCH_RUNS)
    started = time.perf_counter()
    page.keyboard.press("Enter")
    page.wait_for_function(RAN_AND_IDLE, timeout=600_000, polling=20)
    # Plotly draws on the next frames: wait for every chart to hold its new data.
    page.wait_for_function("() => Array.from(document.querySelectorAll('.js-plotly-plot')).every(g => g._fullData)")
    elapsed = time.perf_counter() - started
    page.keyboard.press("Escape")
    return elapsed


def measure(path: str, repeat: int) -> dict:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]  # fmt: skip
    env = {**os.environ, "CX_DB": str(Path(path).resolve()), "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        result: dict = {"runs": repeat, "pages": []}
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("Streamlit did not start") from None
                    time.sleep(0.3)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for slug, name in PAGES:
                    page = browser.new_context(viewport={"width": 1500, "height": 1000}).new_page()
                    started = time.perf_counter()
                    page.goto(f"{url}/{slug}")
                    _wait_idle(page)
                    first = time.perf_counter() - started
                    reloads = []
                    for _ in range(repeat):
                        started = time.perf_counter()
                        page.reload()
                        _wait_idle(page)
                        reloads.append(time.perf_counter() - started)
                    changes = [_choose(page, *CHOICES[i % len(CHOICES)]) for i in range(repeat)]
                    result["pages"].append({"name": name, "first_view_s": first,
                                            "cached_reload_s": statistics.median(reloads),
                                            "filter_change_s": statistics.median(changes),
                                            "filter_change_samples_s": changes})  # fmt: skip
                    page.context.close()
                browser.close()
        finally:
            server.terminate()
            _, _, usage = os.wait4(server.pid, 0)
            server.returncode = 0
        result["server_peak_mib"] = usage.ru_maxrss / 1024
        return result


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]))))
