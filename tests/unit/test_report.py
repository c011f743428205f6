"""The PDF executive report, rendered for real (kaleido and Chromium), read back with poppler, and e-mailed
to a local SMTP sink (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cx.store import decks
from cx.store.decks import Deck, Slide
from tests.conftest import REAL_DATA, ROOT

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
PERIOD = ["--from", "2026-09-01", "--to", "2026-11-30"]


def cx(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cx", *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=env)  # fmt: skip


def text_of(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def pictures(pdf: Path, name: str) -> list[Path]:
    """Every page as a PNG in test-artifacts, to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / name
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()  # a longer report from an earlier run must not count
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(prefix)], check=True)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


@pytest.fixture(scope="module")
def deck_db(demo_db, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.duckdb"
    shutil.copy(demo_db, path)
    period = {"from": ["2026-09-01"], "to": ["2026-11-30"]}
    slides = (
        Slide("dashboard.py", period),
        Slide("pages/1_Trends.py", {**period, "metric": ["csat"], "split": ["region"]}),
        Slide("pages/2_Journey.py", period),
        Slide("pages/3_Segments.py", {**period, "by": ["plan"], "metric": ["nps"]}),
    )
    decks.save(Deck("Monday review", slides), path)
    return path


@pytest.fixture(scope="module")
def deck_pdf(deck_db, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("pdf") / "review.pdf"
    result = cx("report", "--deck", "Monday review", "--db", str(deck_db), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out, result


def test_the_deck_report_has_a_cover_with_period_filters_and_data_span(deck_pdf):
    pdf, _ = deck_pdf
    first_page = text_of(pdf).split("\f")[0]
    assert "Monday review" in first_page
    assert "Period: 01 Sep 2026 – 30 Nov 2026" in first_page
    assert "Filters: All customers" in first_page
    assert "The data runs from" in first_page and "Data imported up to" in first_page


def test_the_deck_report_prints_each_view_with_headline_n_and_intervals(deck_pdf):
    text = text_of(deck_pdf[0])
    for heading in ("What changed", "Headline figures", "CSAT by week, split by region", "Pain points", "NPS by plan",
                    "Definitions"):  # fmt: skip
        assert heading in text
    heading_rows = [line for line in text.splitlines() if all(w in line for w in ("Metric", "Value", "interval", "n"))]
    assert heading_rows, "every figure table has its interval and n columns"
    assert "95%" in text and "low" in text and "high" in text and "n (responses)" in text
    assert "95% intervals shown as bands or whiskers" in text


def test_every_page_is_numbered_and_the_count_matches(deck_pdf):
    pdf, _ = deck_pdf
    pages = page_count(pdf)
    assert pages >= 6
    text = text_of(pdf)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert len(pictures(pdf, "report-deck")) == pages


def test_the_command_reports_progress_and_its_timing(deck_pdf):
    _, result = deck_pdf
    assert "100% Definitions" in result.stderr
    assert "pages, Monday review" in result.stdout and "starting Chromium" in result.stdout


def test_a_page_report_takes_filters_and_the_page_s_own_choices(deck_db, tmp_path):
    out = tmp_path / "smb.pdf"
    result = cx("report", "--page", "trends", "--db", str(deck_db), *PERIOD, "--where", "segment=SMB",
                "--param", "metric=nps", "--size", "letter", "-o", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = text_of(out)
    assert "Filters: Segment: SMB" in text and "NPS by week" in text
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    assert "612 x 792 pts" in info  # Letter


def test_an_unknown_deck_or_page_is_refused_with_the_reason(deck_db, tmp_path):
    result = cx("report", "--deck", "Nope", "--db", str(deck_db), "-o", str(tmp_path / "x.pdf"))
    assert result.returncode == 2 and "no deck called 'Nope'" in result.stderr
    result = cx("report", "--page", "sales", "--db", str(deck_db), "-o", str(tmp_path / "x.pdf"))
    assert result.returncode == 2 and "no page called 'sales'" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_a_report_of_the_real_files_prints_their_published_figures(tmp_path):
    database = tmp_path / "real.duckdb"
    files = [str(REAL_DATA / f) for f in ("telco_customer_churn.csv", "bank_churn_modelling.csv",
                                          "customer_support_tickets.csv")]  # fmt: skip
    imported = cx("import", *files, "--db", str(database), "--json")
    assert imported.returncode == 0, imported.stderr
    assert all(r["rejected"] == 0 for r in json.loads(imported.stdout))
    out = tmp_path / "real.pdf"
    result = cx("report", "--page", "overview", "--db", str(database), "--from", "2020-01-01", "--to", "2021-12-31",
                "-o", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = text_of(out)
    # Telco 1,869 + bank 2,037 churned of 17,043 customers: a snapshot churn of 22.9%.
    flowing = " ".join(text.split())
    assert "Churn (snapshot) 22.9%: the data has no churn dates" in flowing and "n = 17,043" in flowing
    assert "CSAT" in text
    pictures(out, "report-real")


def test_mail_to_sends_the_pdf_through_the_configured_server(deck_db, tmp_path, smtp_sink):
    sink, port = smtp_sink
    env = {"PATH": "/usr/bin:/bin", "CX_SMTP_HOST": "127.0.0.1", "CX_SMTP_PORT": str(port),
           "CX_SMTP_SECURITY": "none", "CX_SMTP_FROM": "cx@example.org"}  # fmt: skip
    out = tmp_path / "weekly.pdf"
    result = cx("report", "--page", "overview", "--db", str(deck_db), *PERIOD, "-o", str(out),
                "--mail-to", "lead@example.org", "--mail-to", "team@example.org", env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "E-mailed to lead@example.org, team@example.org." in result.stdout
    [message] = sink.messages
    assert sink.envelopes[0].rcpt_tos == ["lead@example.org", "team@example.org"]
    assert message["From"] == "cx@example.org"
    assert message["Subject"] == "CX review: Overview, 01 Sep 2026 – 30 Nov 2026"
    assert "01 Sep 2026 – 30 Nov 2026" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "weekly.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == out.read_bytes()


def test_without_a_mail_server_the_report_is_written_and_the_reason_given(deck_db, tmp_path):
    out = tmp_path / "weekly.pdf"
    result = cx("report", "--page", "overview", "--db", str(deck_db), *PERIOD, "-o", str(out),
                "--mail-to", "lead@example.org", env={"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert result.returncode == 3
    assert "could not be e-mailed: No mail server is configured: set CX_SMTP_HOST" in result.stderr
    assert out.exists()
