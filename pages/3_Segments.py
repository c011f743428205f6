"""Segments page (being built)."""

from cx import ui

filters = ui.setup_page("Segments")
