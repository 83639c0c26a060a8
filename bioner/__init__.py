"""bioner: biomedical NER pipelines for spaCy.

The library behind the weasel commands in scripts/: the corpus registry and
path layout (`corpora`), corpus formats (`formats`), pipeline components
shipped in the wheels (`components`), model traits read from a config
(`models`), device choice and pipeline loading (`runtime`), and the steps'
logic (`assets`, `conversion`, `training`, `evaluation`, `packaging`,
`report`), and serving pipelines over HTTP (`serve`: FastAPI app, request
batching, web page). Importing it registers the components' factories.
"""
from . import components  # noqa: F401  (registers the pipeline factories)

__version__ = "0.1.0"
