"""Pipeline components of the bioner pipelines. Each module depends on spaCy
only, so `spacy package --code <module>` can ship it inside a wheel; importing
this package registers their factories."""
from . import abbreviations, linker  # noqa: F401
from .abbreviations import FACTORY as ABBREVIATIONS_FACTORY
from .linker import FACTORY as LINKER_FACTORY

# the modules a wheel must carry (spacy package --code), by file path; the
# linker imports abbreviations, so abbreviations comes first
SHIPPED_MODULES = [abbreviations.__file__, linker.__file__]

__all__ = ["ABBREVIATIONS_FACTORY", "LINKER_FACTORY", "SHIPPED_MODULES"]
