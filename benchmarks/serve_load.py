"""Bounded load test of the server (bioner.serve.server, in a child process): N requests of 1-20 abstracts from C
concurrent clients, against a server it starts on a free 127.0.0.1 port (or
one at --url), then plain `nlp.pipe` over the same texts in the same run.

    python -m scripts.serve_load training/bc5cdr/cnn/model-best --texts corpus/bc5cdr/test.spacy

Abstracts: the Docs of a DocBin (--texts, e.g. a test split), else synthetic
ones (benchmarks/memory.py); requests are drawn from them with a fixed seed.
A request counts as an error unless it answers 200 with one result per text
and every entity's offsets slice its text. Words are spaCy tokens, as in
`nlp.pipe`'s words/s. Reports p50/p95/p99 latency, requests/s, words/s,
errors, the server's RSS after a warm-up (every distinct text once) and as the
run goes, plain nlp.pipe's words/s and the ratio, and the same per CPU second
(other jobs on a shared machine change wall-clock speed, not CPU time);
writes JSON + a markdown table to --output-dir.
"""
import asyncio
import contextlib
import json
import os
import random
import shlex
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import typer

from bioner.child import start_logged, stop
from bioner.layout import Layout
from bioner.serve.server import serve_forever

from .memory import synthetic_abstracts

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = Layout(PROJECT_DIR).serve_results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib_of(pid: int) -> Optional[float]:
    """Resident set size of a process in MiB, from /proc; None if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def cpu_seconds_of(pid: int) -> Optional[float]:
    """User + system CPU time a process has used, from /proc; None if unknown.
    Words per CPU second compare server and plain nlp.pipe fairly when other
    jobs share the machine and wall-clock speed varies with their load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def wait_until_healthy(url: str, process=None, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.is_alive():
            raise RuntimeError(f"the server exited with status {process.exitcode} before it was ready")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url}/health not ready after {timeout:.0f} s")


@contextlib.contextmanager
def running_server(models: Sequence[str], settings: Optional[Dict] = None, log_path: Optional[Path] = None,
                   ready_timeout: float = 120, log_level: str = "info") -> Iterator[tuple]:
    """The server (bioner.serve.server) in a child process on a free
    127.0.0.1 port, `settings` its ServeSettings fields; yields (url, process);
    stops it on exit."""
    port = free_port()
    log = log_path or Path(os.devnull)
    process = start_logged(serve_forever, ([str(m) for m in models], "127.0.0.1", port, "-1", log_level), log,
                           f"serve on port {port}", kwargs=settings or {})
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process, ready_timeout)
        yield url, process
    finally:
        stop(process)


def load_texts(path: Optional[Path], n_synthetic: int = 500, seed: int = 0) -> List[str]:
    if path is None:
        return list(synthetic_abstracts(n_synthetic, seed=seed))
    import spacy
    from spacy.tokens import DocBin

    texts = [doc.text for doc in DocBin().from_disk(path).get_docs(spacy.blank("en").vocab)]
    return [t for t in texts if t.strip()]


def make_requests(texts: Sequence[str], n: int, low: int, high: int, seed: int) -> List[List[str]]:
    rng = random.Random(seed)
    return [rng.choices(texts, k=rng.randint(low, high)) for _ in range(n)]


def answer_ok(texts: Sequence[str], body: Dict) -> bool:
    results = body.get("results")
    if not isinstance(results, list) or len(results) != len(texts):
        return False
    return all(text[e["start"]:e["end"]] == e["text"] for text, r in zip(texts, results) for e in r["entities"])


async def _load(url: str, requests: List[List[str]], model: Optional[str], concurrency: int,
                timeout: float, pid: Optional[int] = None) -> Dict:
    import httpx

    latencies: List[float] = []
    # the server's RSS each time another tenth of the requests is done: flat or growing?
    marks = {max(1, round(len(requests) * k / 10)) for k in range(1, 11)}
    rss: List[tuple] = []
    errors: Dict[str, int] = {}
    next_request = iter(range(len(requests)))

    async def client(http: "httpx.AsyncClient") -> None:
        for i in next_request:  # shared: each request is sent once
            payload = {"texts": requests[i], **({"model": model} if model else {})}
            start = time.perf_counter()
            try:
                response = await http.post(f"{url}/v1/ner", json=payload)
                ok = response.status_code == 200 and answer_ok(requests[i], response.json())
                kind = "ok" if ok else f"status {response.status_code}" if response.status_code != 200 else "bad body"
            except (httpx.HTTPError, ValueError) as err:
                kind = type(err).__name__
            if kind == "ok":
                latencies.append(time.perf_counter() - start)
            else:
                errors[kind] = errors.get(kind, 0) + 1
            done = len(latencies) + sum(errors.values())
            if pid and done in marks:
                rss.append((done, rss_mib_of(pid)))

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {"latencies": latencies, "errors": errors, "seconds": elapsed, "rss": rss}


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run_load(url: str, requests: List[List[str]], words_of: Dict[str, int], model: Optional[str] = None,
             concurrency: int = 16, timeout: float = 300, pid: Optional[int] = None) -> Dict:
    """Send `requests` with `concurrency` clients; latency, throughput, errors
    (and the RSS of the server process `pid` as the run goes)."""
    out = asyncio.run(_load(url, requests, model, concurrency, timeout, pid))
    lat = sorted(out["latencies"])
    words = sum(words_of[t] for r in requests for t in r)
    return {
        "requests": len(requests),
        "texts": sum(len(r) for r in requests),
        "words": words,
        "concurrency": concurrency,
        "seconds": round(out["seconds"], 2),
        "errors": sum(out["errors"].values()),
        "error_kinds": out["errors"],
        "latency_ms": {f"p{q}": round(percentile(lat, q) * 1000, 1) if lat else None for q in (50, 95, 99)},
        "requests_per_s": round(len(requests) / out["seconds"], 2),
        "words_per_s": round(words / out["seconds"], 1),
        "server_rss_mib_by_requests_done": [[done, mib] for done, mib in out["rss"]],
    }


def time_plain_pipe(nlp, texts: Sequence[str]) -> Dict:
    start, cpu_start = time.perf_counter(), time.process_time()
    words = sum(len(doc) for doc in nlp.pipe(texts))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {"texts": len(texts), "words": words, "seconds": round(elapsed, 2),
            "words_per_s": round(words / elapsed, 1), "batch_size": nlp.batch_size,
            "cpu_seconds": round(cpu, 2), "words_per_cpu_s": round(words / cpu, 1)}


def markdown(result: Dict) -> str:
    load, plain = result["load"], result["plain_pipe"]
    lat = load["latency_ms"]
    fmt = lambda v: "n/a" if v is None else f"{v:,.0f}"  # noqa: E731
    return "\n".join([
        f"Command: `{result['command']}`",
        "",
        f"Model: `{result['model']}`; {load['requests']:,} requests ({load['texts']:,} texts, "
        f"{load['words']:,} words) of {result['texts_per_request'][0]}-{result['texts_per_request'][1]} "
        f"abstracts from `{result['texts_source']}`, {load['concurrency']} concurrent clients; "
        f"{result['machine']}.",
        "",
        "| p50 ms | p95 ms | p99 ms | requests/s | words/s | errors | server RSS before / after MiB "
        "| plain nlp.pipe words/s | server / plain |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {fmt(lat['p50'])} | {fmt(lat['p95'])} | {fmt(lat['p99'])} | {load['requests_per_s']:,.1f} "
        f"| {load['words_per_s']:,.0f} | {load['errors']} | {fmt(result['server_rss_mib']['before'])} / "
        f"{fmt(result['server_rss_mib']['after'])} | {plain['words_per_s']:,.0f} | {result['ratio']:.2f} |",
        "",
        f"Per CPU second (robust to other jobs' load): server {fmt(load.get('words_per_server_cpu_s'))} "
        f"words (its whole process: HTTP, JSON and nlp.pipe), plain nlp.pipe {fmt(plain['words_per_cpu_s'])}, "
        f"ratio {'n/a' if result['cpu_ratio'] is None else format(result['cpu_ratio'], '.2f')}. "
        "Load average at start / after the load / after plain nlp.pipe: "
        + " / ".join(f"{v:.1f}" for v in result["load_average"].values()) + ".",
        "",
        "Server RSS (MiB) after each tenth of the requests: "
        + (", ".join(fmt(mib) for _, mib in load["server_rss_mib_by_requests_done"]) or "n/a") + ".",
        "",
    ])


def benchmark(model: str, texts_path: Optional[Path] = None, url: Optional[str] = None, requests: int = 2000,
              concurrency: int = 16, min_texts: int = 1, max_texts: int = 20, seed: int = 0,
              server_options: Optional[Dict] = None, log_path: Optional[Path] = None, n_synthetic: int = 500) -> Dict:
    """The whole run: server (unless url), warm-up, load, plain nlp.pipe."""
    import platform

    from bioner.runtime import load_pipeline

    server_options = dict(server_options or {})
    load_start = os.getloadavg()[0]
    texts = load_texts(texts_path, n_synthetic, seed=seed)
    batch = make_requests(texts, requests, min_texts, max_texts, seed)
    nlp = load_pipeline(model)
    words_of = {t: len(nlp.make_doc(t)) for t in set(texts)}
    # warm-up: every distinct text once, so the vocab has seen them all before RSS is taken
    distinct = sorted(set(texts))
    warm = [distinct[i:i + max_texts] for i in range(0, len(distinct), max_texts)]
    with contextlib.ExitStack() as stack:
        pid = None
        if url is None:
            settings = {"max_texts": max(max_texts, 1), **server_options}
            url, process = stack.enter_context(running_server([model], settings, log_path, log_level="warning"))
            pid = process.pid
        run_load(url, warm, words_of, concurrency=concurrency)
        rss_before, cpu_before = (rss_mib_of(pid), cpu_seconds_of(pid)) if pid else (None, None)
        load = run_load(url, batch, words_of, concurrency=concurrency, pid=pid)
        rss_after, cpu_after = (rss_mib_of(pid), cpu_seconds_of(pid)) if pid else (None, None)
        if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
            load["server_cpu_seconds"] = round(cpu_after - cpu_before, 2)
            load["words_per_server_cpu_s"] = round(load["words"] / (cpu_after - cpu_before), 1)
    load_after_load = os.getloadavg()[0]
    # the server has stopped: plain nlp.pipe gets the same machine to itself
    plain = time_plain_pipe(nlp, [t for r in batch for t in r])
    return {
        "command": "python -m scripts.serve_load " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "model": model,
        "texts_source": str(texts_path) if texts_path else "synthetic abstracts (benchmarks/memory.py)",
        "texts_per_request": [min_texts, max_texts],
        "seed": seed,
        "server_options": server_options,
        "machine": f"{platform.machine()} CPU, {os.cpu_count()} cores",
        "load": load,
        "server_rss_mib": {"before": rss_before, "after": rss_after,
                           "growth": None if rss_before is None or rss_after is None
                           else round(rss_after - rss_before, 1)},
        "plain_pipe": plain,
        "ratio": round(load["words_per_s"] / plain["words_per_s"], 3),
        "cpu_ratio": (round(load["words_per_server_cpu_s"] / plain["words_per_cpu_s"], 3)
                      if "words_per_server_cpu_s" in load else None),
        # other jobs on the machine: 1-minute load average as each phase ended
        "load_average": {"start": load_start, "after_load": load_after_load, "after_plain": os.getloadavg()[0]},
    }


def main(
    model: str = typer.Argument(..., help="Pipeline folder or installed package name"),
    texts: Optional[Path] = typer.Option(None, exists=True, help="DocBin whose texts are the abstracts (else synthetic)"),
    url: Optional[str] = typer.Option(None, help="A running server to test (else one is started)"),
    requests: int = typer.Option(2000, min=1, help="How many requests"),
    concurrency: int = typer.Option(16, min=1, help="Concurrent clients"),
    min_texts: int = typer.Option(1, min=1, help="Fewest abstracts per request"),
    max_texts: int = typer.Option(20, min=1, help="Most abstracts per request"),
    seed: int = typer.Option(0, help="Seed of the request mix"),
    batch_size: Optional[int] = typer.Option(None, help="The server's --batch-size"),
    batch_wait_ms: Optional[float] = typer.Option(None, help="The server's --batch-wait-ms"),
    output_dir: Path = typer.Option(DEFAULT_OUTPUT, help="Where load.json and load.md go"),
) -> None:
    """Load-test the server and compare it with plain nlp.pipe."""
    options = {}
    if batch_size is not None:
        options["batch_size"] = batch_size
    if batch_wait_ms is not None:
        options["batch_wait_ms"] = batch_wait_ms
    output_dir.mkdir(parents=True, exist_ok=True)
    result = benchmark(model, texts, url, requests, concurrency, min_texts, max_texts, seed, options,
                       log_path=output_dir / "server.log")
    (output_dir / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    (output_dir / "load.md").write_text(markdown(result))
    print(markdown(result))
    print(f"Wrote {output_dir / 'load.json'} and load.md")

