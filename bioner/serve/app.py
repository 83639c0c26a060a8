"""The FastAPI app: `create_app(models, settings)`.

    POST /v1/ner     {"texts": [...], "model": "en_bioner_cnn"} -> entities per text
    GET  /v1/models  the pipelines served: labels, version, F1, provenance; label colours
    GET  /health     200 once every model's worker runs, else 503
    GET  /           the web page (static/), GET /docs the OpenAPI page

Every error is a JSON body {"detail": "<one line>"}: 413 for a text or a
request over the limits, 404 for an unknown model, 422 for malformed JSON, a
wrong type or a text that is not Unicode (a lone surrogate, named with its
position), 400 for a body that is not UTF-8, 500 when the pipeline fails on a request (the others in its
batch still get their answers), 503 while the server starts or stops. The
page and /docs load nothing from a CDN (fastapi-offline ships Swagger UI).
"""
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field, StrictStr

from ..unicode_text import not_unicode
from .batching import MicroBatcher, ShuttingDown
from .pipelines import ServedModel, label_colors

STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class ServeSettings:
    max_text_chars: int = 100_000  # a longer text: 413
    max_texts: int = 64  # more texts in one request: 413
    batch_size: int = 128  # most texts in one nlp.pipe call (requests merged up to it)
    batch_wait_ms: float = 5.0  # how long a batch waits for more requests
    gpu_id: int = -1

    @property
    def max_body_bytes(self) -> int:
        """Largest body that can be within the limits (a character is at most
        6 bytes of JSON, \\uXXXX); a larger one is refused before it is read."""
        return self.max_texts * (6 * self.max_text_chars + 8) + 4096


class NerRequest(BaseModel):
    texts: List[StrictStr] = Field(..., description="The texts to annotate", examples=[[
        "Naloxone reverses the antihypertensive effect of clonidine."]])
    model: Optional[StrictStr] = Field(None, description="A name from GET /v1/models; default: the first")


class Entity(BaseModel):
    start: int = Field(..., description="Offset of the first character, in Unicode code points (Python's "
                                        "str indexing): text[start:end] is the entity")
    end: int
    label: str
    text: str
    id: Optional[str] = Field(None, description="Concept id (e.g. MESH:D058186) from a pipeline with the linker; "
                                                "null when it found none or has no linker")
    score: Optional[float] = Field(None, description="The linker's score for `id` (0-1)")
    urls: Optional[List[Optional[str]]] = Field(None, description="Per id of `id` (a composite mention has "
                                                                  "several, joined by |), its MeSH record page")


class NerResult(BaseModel):
    entities: List[Entity]


class NerResponse(BaseModel):
    model: str
    version: str
    provenance: Dict[str, Any] = Field(..., description="What the model is: name, version, and for a folder its "
                                                       "SHA-256 and training (corpus, config, fingerprint)")
    results: List[NerResult] = Field(..., description="One per text, in order")


class ErrorBody(BaseModel):
    detail: str


def validation_detail(exc: RequestValidationError) -> str:
    """One line for what pydantic found wrong with the request."""
    parts = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            parts.append(f"malformed JSON ({error.get('ctx', {}).get('error', 'cannot parse the body')})")
        elif tuple(error.get("loc", ())) == ("body",):
            parts.append("the body must be a JSON object, sent with Content-Type: application/json")
        else:
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
            parts.append(f"{where}: {error.get('msg')}")
    return "invalid request: " + "; ".join(parts)


class BodyLimit:
    """ASGI middleware: 413 for a request whose Content-Length is over the
    limit, before its body is read."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            length = dict(scope.get("headers") or ()).get(b"content-length", b"0")
            if length.isdigit() and int(length) > self.max_bytes:
                response = JSONResponse({"detail": f"request body of {int(length):,} bytes is over the "
                                                   f"limit of {self.max_bytes:,}"}, status_code=413)
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)


def create_app(models: Dict[str, ServedModel], settings: ServeSettings = ServeSettings()) -> FastAPI:
    if not models:
        raise ValueError("create_app needs at least one model")
    default = next(iter(models))
    batchers = {name: MicroBatcher(m.nlp, name, settings.batch_size, settings.batch_wait_ms, settings.gpu_id)
                for name, m in models.items()}
    colors = label_colors(label for m in models.values() for label in m.labels)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for batcher in batchers.values():
            await batcher.start()
        yield
        for batcher in batchers.values():
            await batcher.stop()

    app = FastAPIOffline(
        title="bioner", description="Biomedical named entity recognition with spaCy pipelines",
        redoc_url=None, lifespan=lifespan,
        responses={413: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request, exc: RequestValidationError):
        return JSONResponse({"detail": validation_detail(exc)}, status_code=422)

    @app.post("/v1/ner", response_model=NerResponse, summary="Entities of each text",
              responses={404: {"model": ErrorBody}, 500: {"model": ErrorBody}, 503: {"model": ErrorBody}})
    async def ner(request: NerRequest):
        name = default if request.model is None else request.model
        if name not in models:
            raise HTTPException(404, f"unknown model {name!r}; served: {', '.join(models)}")
        if len(request.texts) > settings.max_texts:
            raise HTTPException(413, f"{len(request.texts)} texts in one request; the limit is {settings.max_texts}")
        for i, text in enumerate(request.texts):
            if len(text) > settings.max_text_chars:
                raise HTTPException(413, f"text {i} has {len(text):,} characters; the limit is "
                                         f"{settings.max_text_chars:,}")
            problem = not_unicode(text)
            if problem is not None:
                raise HTTPException(422, f"text {i}: {problem}; send it as UTF-8 or as complete \\u pairs")
        try:
            found = await batchers[name].annotate(request.texts) if request.texts else []
        except ShuttingDown as err:
            raise HTTPException(503, str(err)) from None
        except Exception as err:
            message = " ".join(str(err).split())[:300]
            raise HTTPException(500, f"{name}: the pipeline failed on this request "
                                     f"({type(err).__name__}: {message})") from None
        return JSONResponse({"model": name, "version": models[name].version,
                             "provenance": models[name].provenance,
                             "results": [{"entities": entities} for entities in found]})

    @app.get("/v1/models", summary="The pipelines served")
    async def list_models():
        return {
            "models": [{**m.describe(), "default": name == default} for name, m in models.items()],
            "colors": colors,
            "limits": {"max_texts": settings.max_texts, "max_text_chars": settings.max_text_chars},
        }

    @app.get("/health", summary="Readiness: 200 once every model can take requests")
    async def health():
        ready = all(b.running for b in batchers.values())
        body = {"status": "ok" if ready else "unavailable",
                "models": {name: dict(b.stats) for name, b in batchers.items()}}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
