"""Run the server: load every pipeline once, then serve the app on uvicorn
until interrupted. What `python -m scripts.serve` runs, and what the lab's
load test starts in a child process."""
from typing import Sequence

from ..console import good, info
from ..errors import BionerError
from ..runtime import resolve_gpu, use_device
from .app import ServeSettings, create_app
from .pipelines import load_models


def serve_forever(models: Sequence[str], host: str = "127.0.0.1", port: int = 8000, gpu: str = "-1",
                  log_level: str = "info", **settings) -> None:
    """Serve `models` (installed names or folders) on host:port; `settings`
    are ServeSettings' fields (max_text_chars, max_texts, batch_size,
    batch_wait_ms). A pipeline that cannot be loaded, or a port that is
    taken, stops it with a one-line error."""
    import uvicorn

    gpu_id = resolve_gpu(gpu, "Serving")
    use_device(gpu_id)
    loaded = load_models(list(models))
    for name, served in loaded.items():
        f1 = "n/a" if served.f1 is None else f"{served.f1 * 100:.2f}"
        info(f"{name} {served.version}: labels {', '.join(served.labels) or 'none'}, F1 {f1} (from {served.source})")
    app = create_app(loaded, ServeSettings(gpu_id=gpu_id, **settings))
    good(f"Serving {len(loaded)} pipeline(s) on http://{host}:{port} (page /, API docs /docs)")
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level))
    try:
        server.run()
    except OSError as err:  # e.g. the port is taken
        raise BionerError(f"cannot listen on {host}:{port}: {err}") from None
    if not server.started:
        raise BionerError(f"the server did not start on {host}:{port} (is the port taken? see the log above)")
