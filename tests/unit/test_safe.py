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
