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

from bioner.console import good, info, run_cli
from bioner.errors import BionerError
from bioner.runtime import resolve_gpu, use_device


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
    import uvicorn

    from bioner.serve import ServeSettings, create_app, load_models

    gpu_id = resolve_gpu(gpu, "Serving")
    use_device(gpu_id)
    models = load_models(model)
    for name, served in models.items():
        f1 = "n/a" if served.f1 is None else f"{served.f1 * 100:.2f}"
        info(f"{name} {served.version}: labels {', '.join(served.labels) or 'none'}, F1 {f1} (from {served.source})")
    settings = ServeSettings(max_text_chars=max_text_chars, max_texts=max_texts, batch_size=batch_size,
                             batch_wait_ms=batch_wait_ms, gpu_id=gpu_id)
    app = create_app(models, settings)
    good(f"Serving {len(models)} pipeline(s) on http://{host}:{port} (page /, API docs /docs)")
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level)
    server = uvicorn.Server(config)
    try:
        server.run()
    except OSError as err:  # e.g. the port is taken
        raise BionerError(f"cannot listen on {host}:{port}: {err}") from None
    if not server.started:
        raise BionerError(f"the server did not start on {host}:{port} (is the port taken? see the log above)")


if __name__ == "__main__":
    sys.exit(run_cli(serve))
