# Registers the `bioner_abbreviations` factory that the configs use, so every
# `python -m scripts.<step>` can train, load and package those pipelines.
import bioner  # noqa: F401
