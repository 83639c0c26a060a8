"""Serve pipelines over HTTP: a REST API (/v1/ner, /v1/models, /health,
OpenAPI page at /docs) and a web page at /, with FastAPI on uvicorn.

    python -m scripts.serve --model en_bioner_cnn --port 8000
    python -m scripts.serve --model training/bc5cdr/cnn/model-best --model en_bioner_cnn

Every pipeline (an installed package name or a folder) is loaded once, before
the server starts; one that cannot be loaded stops it with a one-line error.
"""
import sys
from typing import List

import typer

from bioner.console import run_cli
from bioner.serve.server import serve_forever


def serve(
    model: List[str] = typer.Option(..., "--model", "-m", help="Installed pipeline name or folder; repeat for more"),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0: every interface)"),
    port: int = typer.Option(8000, help="Port to listen on"),
    max_text_chars: int = typer.Option(100_000, min=1, help="Longest text accepted (longer: 413)"),
    max_texts: int = typer.Option(64, min=1, help="Most texts in one request (more: 413)"),
    batch_size: int = typer.Option(128, min=1, help="Most texts per nlp.pipe call; concurrent requests are merged up to it"),
    batch_wait_ms: float = typer.Option(5.0, min=0, help="How long a batch waits for more requests (ms)"),
    gpu: str = typer.Option("-1", help="'auto', a GPU id, or -1 for the CPU"),
    log_level: str = typer.Option("info", help="uvicorn's log level"),
) -> None:
    """Load every MODEL, then serve them until interrupted (Ctrl-C)."""
    serve_forever(model, host, port, gpu, log_level, max_text_chars=max_text_chars, max_texts=max_texts,
                  batch_size=batch_size, batch_wait_ms=batch_wait_ms)


if __name__ == "__main__":
    sys.exit(run_cli(serve))
