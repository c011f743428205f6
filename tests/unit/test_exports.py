"""Exports that stand on their own: CSV header blocks, human units, neutralised formulas, stamped PNGs."""

from __future__ import annotations

import csv
import io

import pandas as pd
import plotly.graph_objects as go

from cx.analysis.metrics import METRICS
from cx.reports import exports

CONTEXT = exports.ExportContext(
    title="First response by channel",
    period="01 Sep 2026 – 30 Nov 2026",
    filters="Segment: SMB",
    n="n = 1,200 interactions",
    data_as_of="data imported up to 01 Dec 2026 09:30",
    definitions=("Median time to first response.",),
    units="First response (median) in minutes; intervals are 95%",
)


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_a_csv_starts_with_what_it_shows_its_period_filters_n_units_and_definitions():
    table = pd.DataFrame({"Channel": ["Chat"], "First response (median) (min)": [1.2]})
    lines = rows(exports.labelled_csv(table, CONTEXT))
    header = dict(line for line in lines[: lines.index([])] if len(line) == 2)
    assert header["Shows"] == "First response by channel"
    assert header["Period"] == "01 Sep 2026 – 30 Nov 2026"
    assert header["Filters"] == "Segment: SMB"
    assert header["Sample"] == "n = 1,200 interactions"
    assert header["Units"].startswith("First response (median) in minutes")
    assert header["Definition"] == "Median time to first response."
    assert lines[lines.index([]) + 1 :] == [["Channel", "First response (median) (min)"], ["Chat", "1.2"]]


def test_durations_become_minutes_with_the_unit_in_the_column_name():
    frame = pd.DataFrame({"group": ["Chat"], "value": [75.0], "ci_low": [60.0], "ci_high": [90.0], "n": [208],
                          "small": [False], "basis": ["period"], "response_median_s": [3600.0]})  # fmt: skip
    table = exports.human_table(frame, METRICS["first_response_time"])
    assert list(table.columns) == [
        "Group", "First response (median, seconds)", "First response (median, seconds) 95% low",
        "First response (median, seconds) 95% high", "n (interactions)", "n too small", "First response median (min)",
    ]  # fmt: skip
    assert table.iloc[0].tolist() == ["Chat", 75.0, 60.0, 90.0, 208, "no", 60.0]


def test_long_durations_are_shown_in_the_unit_the_chart_uses():
    frame = pd.DataFrame({"group": ["Email"], "value": [15_480.0], "ci_low": [14_400.0], "ci_high": [16_560.0],
                          "n": [125]})  # fmt: skip
    table = exports.human_table(frame, METRICS["first_response_time"])
    assert table["First response (median, hours)"].tolist() == [4.3]


def test_raw_floats_are_rounded_to_the_metric_s_precision():
    frame = pd.DataFrame({"group": ["All"], "value": [46.46153846153846], "ci_low": [41.0], "ci_high": [52.0],
                          "n": [13]})  # fmt: skip
    assert exports.human_table(frame, METRICS["csat"])["CSAT (%)"].tolist() == [46.5]
    assert exports.human_table(frame, METRICS["nps"])["NPS (points)"].tolist() == [46]


def test_a_formula_in_data_or_in_the_header_block_is_neutralised():
    hostile = exports.ExportContext(title='=HYPERLINK("http://evil")', period="p", filters="Segment: +SUM(A1)")
    table = pd.DataFrame({"Touchpoint": ["=1+1", "@cmd", "-2+3", "\tx", "\rx", "ok"], "n": [1, 2, 3, 4, 5, -6]})
    lines = rows(exports.labelled_csv(table, hostile))
    assert lines[0] == ["Shows", '\'=HYPERLINK("http://evil")']
    assert lines[2] == ["Filters", "Segment: +SUM(A1)"]  # starts with a letter: inert as it is
    cells = [line[0] for line in lines[lines.index([]) + 2 :]]
    assert cells == ["'=1+1", "'@cmd", "'-2+3", "'\tx", "'\rx", "ok"]
    assert lines[-1][1] == "-6"  # a negative number stays a number


def test_sample_size_sums_rows_that_partition_the_data():
    assert exports.sample_size(pd.DataFrame({"n": [10, 20, 30]}), "responses") == "n = 60 responses"


def test_sample_size_of_a_table_of_several_metrics_is_the_range_per_cell():
    frame = pd.DataFrame({"metric": ["nps", "csat", "nps"], "n": [40, 900, 35]})
    assert exports.sample_size(frame) == "n = 35–900 per cell"


def test_a_stamped_chart_carries_title_period_filters_and_n():
    figure = go.Figure(go.Bar(x=[1, 2], y=["a", "b"], orientation="h"))
    shown = exports.stamped(figure, CONTEXT)
    title = shown.layout.title.text
    for part in ("First response by channel", "01 Sep 2026 – 30 Nov 2026", "Segment: SMB", "n = 1,200 interactions"):
        assert part in title
    assert any("data imported up to 01 Dec 2026 09:30" in a.text for a in shown.layout.annotations)


def test_markup_in_a_title_is_printed_not_drawn():
    hostile = exports.ExportContext(title="<b>Bold</b> & co", period="p", filters="f")
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in exports.stamped(go.Figure(), hostile).layout.title.text


def test_the_overview_table_has_units_intervals_n_and_the_tested_change():
    from cx.analysis import stats
    from cx.analysis.metrics import Summary

    metric = METRICS["first_response_time"]
    current = stats.Estimate(value=420.0, n=31249, ci_low=360.0, ci_high=480.0)
    previous = stats.Estimate(value=720.0, n=30000, ci_low=700.0, ci_high=740.0)
    summary = Summary(
        metric, current, previous, stats.Comparison(difference=-300.0, p_value=0.00001, significant=True), {}
    )
    row = exports.overview_table([summary]).iloc[0].to_dict()
    assert row["Unit"] == "min" and row["Value"] == 7.0 and row["95% interval low"] == 6.0
    assert row["n"] == 31249 and row["n counts"] == "interactions"
    assert row["Change"] == -5.0 and row["Change significant (95%)"] == "yes"
