"""Metrics and analysis: filters, metric definitions (Ibis), statistics (pure), journey, segments."""
