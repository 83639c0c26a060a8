"""Pipeline components of the bioner pipelines. Each module depends on spaCy
only, so `spacy package --code <module>` can ship it inside a wheel; importing
this package registers their factories."""
from . import abbreviations  # noqa: F401
from .abbreviations import FACTORY as ABBREVIATIONS_FACTORY

# the modules a wheel must carry (spacy package --code), by file path
SHIPPED_MODULES = [abbreviations.__file__]

__all__ = ["ABBREVIATIONS_FACTORY", "SHIPPED_MODULES"]
