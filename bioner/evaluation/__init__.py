"""Scoring pipelines (scoring.py: spaCy's scorer on a gold DocBin) and the
error taxonomy used by the report (taxonomy.py)."""
