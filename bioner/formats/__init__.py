"""Corpus formats, by the name a corpus entry gives in `format:`.

To add a format: write a module here with a `CorpusFormat` subclass (see
base.py: a `read(path, options)` that returns the Docs of one file) and
register an instance below. Nothing else changes: fetch stores files with the
format's suffix, convert reads them with it.
"""
from typing import Dict

from ..errors import BionerError
from .base import CorpusFormat, ReadOptions, SplitData
from .iob import IOBFormat
from .pubtator import PubTatorFormat

FORMATS: Dict[str, CorpusFormat] = {fmt.name: fmt for fmt in (IOBFormat(), PubTatorFormat())}


def get_format(name: str) -> CorpusFormat:
    if name not in FORMATS:
        raise BionerError(f"Unknown corpus format {name!r}; known: {', '.join(sorted(FORMATS))}")
    return FORMATS[name]


__all__ = ["FORMATS", "CorpusFormat", "ReadOptions", "SplitData", "get_format"]
