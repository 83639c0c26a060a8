"""Peak memory (RSS) of a pipeline running nlp.pipe over N synthetic abstracts.

    python -m scripts.memory training/jnlpba/cnn/model-best
    python -m scripts.memory en_bioner_cnn --checkpoints 1000,20000 --output reports/memory.json

MODEL is a pipeline folder or an installed package name. Abstracts (~250
words, ~10 sentences of biomedical-looking words, numbers and punctuation)
are generated lazily from a fixed seed, and the Docs are dropped as soon as
they are made, so memory that grows with N is memory the pipeline keeps (a
leak, a growing StringStore/vocab), not the benchmark's. At every checkpoint it
reports the current and the peak resident set size of the process (host
memory; on a GPU the model's GPU memory is not in RSS).
"""
import json
import random
import resource
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import typer

from bioner.io import write_text_atomic

WORDS = (
    "the of and in to a with by was were is are that for from cells cell expression "
    "gene protein activation binding factor receptor transcription induced human mouse "
    "levels response analysis increased decreased treatment patients study results "
    "showed role pathway signaling mediated dependent specific regulation mRNA DNA RNA "
    "promoter region sequence kinase phosphorylation inhibitor activity tumor necrosis "
    "lymphocytes monocytes macrophages nuclear cytokine interleukin antibody antigen "
    "disease syndrome acute chronic induced toxicity dose mg kg serum plasma clinical"
).split()
NAMES = (
    "IL-2 IL-4 IL-6 NF-kappa_B TNF-alpha c-fos c-jun AP-1 GATA-1 STAT3 CD28 CD4+ "
    "p53 Bcl-2 HIV-1 LTR Jurkat HeLa U937 cisplatin dexamethasone nitric_oxide "
    "5-lipoxygenase glucocorticoid PMA ionomycin cyclosporin_A"
).split()


def synthetic_abstracts(n: int, seed: int = 0, words: int = 250) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(n):
        sentences, total = [], 0
        while total < words:
            length = rng.randint(10, 35)
            tokens = [
                rng.choice(NAMES).replace("_", " ") if rng.random() < 0.12
                else str(rng.randint(1, 500)) if rng.random() < 0.03
                else rng.choice(WORDS)
                for _ in range(length)
            ]
            if rng.random() < 0.3:
                i = rng.randrange(len(tokens))
                tokens[i] = f"({tokens[i]})"
            if rng.random() < 0.4:
                tokens[rng.randrange(len(tokens))] += ","
            sentence = " ".join(tokens)
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
            total += length
        yield " ".join(sentences)


def rss_mib() -> Optional[float]:
    """Current resident set size in MiB (psutil, else /proc), None if unknown."""
    try:
        import psutil  # optional

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        pass
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def measure(nlp, checkpoints: List[int], batch_size: int = 64, words: int = 250, seed: int = 0) -> Dict:
    """Run nlp.pipe over max(checkpoints) abstracts; a row per checkpoint."""
    checkpoints = sorted(set(checkpoints))
    # warm-up: first-call allocations are not what we are measuring
    for _ in nlp.pipe(synthetic_abstracts(8, seed=seed + 1, words=words), batch_size=batch_size):
        pass
    result = {
        "pipeline": nlp.pipe_names,
        "batch_size": batch_size,
        "words_per_doc": words,
        "rss_before_mib": rss_mib(),
        "peak_rss_before_mib": peak_rss_mib(),
        "rows": [],
    }
    start = time.perf_counter()
    texts = synthetic_abstracts(checkpoints[-1], seed=seed, words=words)
    n_docs = n_tokens = n_ents = 0
    pending = list(checkpoints)
    for doc in nlp.pipe(texts, batch_size=batch_size):
        n_docs += 1
        n_tokens += len(doc)
        n_ents += len(doc.ents)
        del doc
        if n_docs == pending[0]:
            pending.pop(0)
            elapsed = time.perf_counter() - start
            result["rows"].append(
                {
                    "docs": n_docs,
                    "tokens": n_tokens,
                    "entities": n_ents,
                    "seconds": round(elapsed, 2),
                    "docs_per_s": round(n_docs / elapsed, 1),
                    "rss_mib": rss_mib(),
                    "peak_rss_mib": peak_rss_mib(),
                    "strings": len(nlp.vocab.strings),
                }
            )
    return result


def main(
    model: str = typer.Argument(..., help="Pipeline folder or installed package name"),
    checkpoints: str = typer.Option("1000,20000", help="Comma-separated doc counts to report at"),
    batch_size: int = typer.Option(64, help="nlp.pipe batch size"),
    words: int = typer.Option(250, help="Words per synthetic abstract"),
    gpu_id: int = typer.Option(-1, help="GPU id, or -1 for the CPU"),
    output: Optional[Path] = typer.Option(None, help="Also write the result as JSON here"),
) -> None:
    """Report current and peak RSS of nlp.pipe over synthetic abstracts."""
    from bioner.runtime import load_pipeline, use_device

    use_device(gpu_id)
    counts = [int(c) for c in checkpoints.split(",") if c.strip()]
    if not counts or min(counts) <= 0:
        raise typer.BadParameter("give positive doc counts, e.g. 1000,20000", param_hint="--checkpoints")
    baseline = rss_mib()
    nlp = load_pipeline(model)
    result = {"model": model, "rss_after_import_mib": baseline, "rss_after_load_mib": rss_mib()}
    result.update(measure(nlp, counts, batch_size=batch_size, words=words))
    fmt = lambda v: "n/a" if v is None else f"{v:,.1f}"  # noqa: E731
    print(f"{model}: pipeline {result['pipeline']}, batch size {batch_size}, ~{words} words/doc")
    print(f"RSS after import spacy {fmt(baseline)} MiB, after load {fmt(result['rss_after_load_mib'])} MiB, "
          f"after warm-up {fmt(result['rss_before_mib'])} MiB")
    print(f"{'docs':>8} {'tokens':>11} {'docs/s':>8} {'RSS MiB':>9} {'peak MiB':>9} {'strings':>9}")
    for row in result["rows"]:
        print(f"{row['docs']:>8,} {row['tokens']:>11,} {row['docs_per_s']:>8,.1f} "
              f"{fmt(row['rss_mib']):>9} {fmt(row['peak_rss_mib']):>9} {row['strings']:>9,}")
    if output:
        write_text_atomic(output, json.dumps(result, indent=2) + "\n")
        print(f"Wrote {output}")

