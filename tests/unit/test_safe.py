"""Data text reaches Markdown only through cx.app.safe.md, which leaves nothing to render."""

from markdown_it import MarkdownIt

from cx.app.safe import md

RENDER = MarkdownIt("commonmark").enable("table")


def rendered(text: str) -> str:
    return RENDER.render(text)


def test_html_tags_in_data_are_not_markup():
    html = rendered(md('<iframe srcdoc="<script>parent.alert(1)</script>"></iframe>Support'))
    assert "<iframe" not in html and "<script" not in html
    assert "&lt;iframe" in html


def test_markdown_links_and_images_in_data_do_not_form():
    html = rendered(md("[click](https://evil.example) ![x](https://evil.example/p.png)"))
    assert "<a " not in html and "<img" not in html


def test_the_text_reads_the_same_once_rendered():
    text = "Billing & refunds: 50% (n = 1,200) *not* _bad_ #1"
    assert rendered(md(text)).strip() == f"<p>{text.replace('&', '&amp;')}</p>"


def test_streamlit_directives_and_maths_are_escaped():
    assert md(":red[alarm] $x$") == r"\:red\[alarm\] \$x\$"


def test_newlines_and_nul_bytes_cannot_start_a_block():
    assert md("ok\n# heading\x00") == r"ok \# heading"


def test_autolink_literals_in_data_do_not_form():
    html = rendered(md("see https://evil.example/x or www.evil.example or boss@evil.example"))
    assert "<a " not in html
    assert md("https://evil.example").replace("\u2060", "").replace("\\", "") == "https://evil.example"


def test_plotly_draws_data_text_as_written():
    import numpy as np
    import plotly.graph_objects as go

    from cx.app.safe import figure, from_plotly

    name = '<a href="https://evil.example">Chat</a> & <b>more</b>'
    spec = figure(go.Figure(go.Bar(y=np.array([name, "Web"], dtype=object), x=[1, 2], name=name,
                                   customdata=np.array([[3, name]], dtype=object), hovertemplate="<b>%{y}</b>")))  # fmt: skip
    trace = spec["data"][0]
    assert list(trace["y"]) == [
        '&lt;a href="https://evil.example"&gt;Chat&lt;/a&gt; &amp; &lt;b&gt;more&lt;/b&gt;',
        "Web",
    ]
    assert trace["name"] == trace["y"][0] and trace["customdata"][0][1] == trace["y"][0]
    assert trace["hovertemplate"] == "<b>%{y}</b>"  # our own markup stays
    assert from_plotly(trace["y"][0]) == name  # a click on the bar filters on the real value


def test_no_page_sends_data_as_html():
    """The only HTML we send is our constant style sheets; everything else goes through Streamlit's text elements."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = [*root.glob("cx/**/*.py"), *root.glob("pages/*.py"), root / "dashboard.py"]
    uses = [
        (path.relative_to(root).as_posix(), line.strip())
        for path in sources
        for line in path.read_text().splitlines()
        if "unsafe_allow_html" in line or "st.html(" in line or "components.html" in line
    ]
    style_sheets = ("st.markdown(CSS, unsafe_allow_html=True)", "st.markdown(present.CSS, unsafe_allow_html=True)")
    assert [use for use in uses if not use[1].startswith(style_sheets)] == []
