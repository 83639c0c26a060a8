"""Cross-request micro-batching: many small concurrent requests, one
`nlp.pipe` call.

Each model has an asyncio queue and one worker task. The worker takes the
first waiting request, waits up to `max_wait_ms` for more, takes what has
queued up to `max_texts` texts (a request is never split), and runs
`nlp.pipe` over all of them in the model's own worker thread, so the event
loop keeps serving while the pipeline runs; then it resolves each request's
future with its own texts' entities. One thread per model because a spaCy
pipeline is not safe to call from two threads at once. While a batch runs,
new requests queue up and make the next batch: under load the batches grow
by themselves, and an idle server adds at most `max_wait_ms` to a request.

If a batch fails, its requests are run one by one, so only the request at
fault gets the error.
"""
import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple

from spacy.language import Language

from ..components.linker import concept_fields, record_urls
from ..runtime import use_device

Entities = List[Dict[str, object]]


def with_urls(fields: Dict[str, object]) -> Dict[str, object]:
    """The linker's fields plus, for the page, each id's MeSH record."""
    return {**fields, "urls": record_urls(fields.get("id"))} if fields else fields


def entities_of(nlp: Language, texts: Sequence[str], batch_size: int) -> List[Entities]:
    """Run the pipeline; per text its entities as character offsets into it."""
    return [
        [{"start": e.start_char, "end": e.end_char, "label": e.label_, "text": e.text, **with_urls(concept_fields(e))}
         for e in doc.ents]
        for doc in nlp.pipe(texts, batch_size=max(1, batch_size))
    ]


class ShuttingDown(RuntimeError):
    """The server stopped before the request was run."""


class MicroBatcher:
    def __init__(self, nlp: Language, name: str = "", max_texts: int = 128, max_wait_ms: float = 5.0,
                 gpu_id: int = -1) -> None:
        self.nlp = nlp
        self.max_texts = max(1, max_texts)
        self.max_wait = max(0.0, max_wait_ms) / 1000
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"nlp-{name}",
                                            initializer=use_device, initargs=(gpu_id,))
        self._queue: Optional[asyncio.Queue] = None
        self._worker: Optional[asyncio.Task] = None
        self._held: Optional[Tuple[List[str], asyncio.Future]] = None  # first of the next batch
        self._current: List[Tuple[List[str], asyncio.Future]] = []  # the batch running now
        # counters for /health and the tests: how well requests were merged
        self.stats = {"requests": 0, "texts": 0, "batches": 0, "largest_batch": 0}

    @property
    def running(self) -> bool:
        return self._worker is not None and not self._worker.done()

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        waiting = self._current + ([self._held] if self._held is not None else [])
        while self._queue is not None and not self._queue.empty():
            waiting.append(self._queue.get_nowait())
        for _, future in waiting:
            if not future.done():
                future.set_exception(ShuttingDown("the server is shutting down"))
        self._executor.shutdown(wait=True)

    async def annotate(self, texts: Sequence[str]) -> List[Entities]:
        """The entities of each text, once a batch with them has run."""
        if not self.running:
            raise ShuttingDown("the model's worker is not running")
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((list(texts), future))
        return await future

    async def _next_batch(self) -> List[Tuple[List[str], asyncio.Future]]:
        if self._held is not None:
            batch, self._held = [self._held], None
        else:
            batch = [await self._queue.get()]
        if self._queue.empty() and self.max_wait and len(batch[0][0]) < self.max_texts:
            await asyncio.sleep(self.max_wait)
        n_texts = len(batch[0][0])
        while not self._queue.empty():
            request = self._queue.get_nowait()
            if n_texts + len(request[0]) > self.max_texts:
                self._held = request  # does not fit: it starts the next batch
                break
            batch.append(request)
            n_texts += len(request[0])
        # requests whose client went away (future cancelled) are not run
        return [(texts, future) for texts, future in batch if not future.done()]

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._current = []
            batch = self._current = await self._next_batch()
            if not batch:
                continue
            texts = [text for request, _ in batch for text in request]
            self.stats["batches"] += 1
            self.stats["requests"] += len(batch)
            self.stats["texts"] += len(texts)
            self.stats["largest_batch"] = max(self.stats["largest_batch"], len(texts))
            try:
                found = await loop.run_in_executor(self._executor, entities_of, self.nlp, texts, len(texts))
            except Exception:
                await self._run_alone(batch)
                continue
            start = 0
            for request, future in batch:
                if not future.done():
                    future.set_result(found[start:start + len(request)])
                start += len(request)

    async def _run_alone(self, batch: List[Tuple[List[str], asyncio.Future]]) -> None:
        loop = asyncio.get_running_loop()
        for request, future in batch:
            try:
                found = await loop.run_in_executor(self._executor, entities_of, self.nlp, request, len(request))
            except Exception as err:
                if not future.done():
                    future.set_exception(err)
            else:
                if not future.done():
                    future.set_result(found)
