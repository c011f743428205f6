"""User text is data, never markup: the one place where data meets Markdown.

Names, segments, touchpoints, comments, file names and URL parameters come from
outsiders. Streamlit renders Markdown (links, images, `:red[…]` directives,
`$…$` maths) in st.markdown, captions, messages and labels, so every value
from data is passed through `md()` before it is put into such a string.
CommonMark lets any ASCII punctuation be escaped with a backslash, which makes
every one of those constructs inert while the text reads the same.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def md(value: object) -> str:
    """`value` as literal text inside Markdown: no link, image, HTML, directive or maths can form."""
    text = "" if value is None else str(value)
    text = text.replace("\x00", "").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return _PUNCTUATION.sub(r"\\\1", text)
