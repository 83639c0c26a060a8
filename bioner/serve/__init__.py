"""Serving trained pipelines over HTTP: a FastAPI app (REST API + a web page)
run by uvicorn (`python -m scripts.serve`).

`pipelines` loads each pipeline once and reads what the API reports about it
from its meta; `batching` merges concurrent requests into one `nlp.pipe` call
per model, in a worker thread; `app` builds the FastAPI app around them.
"""
from .app import ServeSettings, create_app
from .pipelines import ServedModel, load_models

__all__ = ["ServeSettings", "ServedModel", "create_app", "load_models"]
