"""The linker's benchmark (lab), in one run, each measurement in its own
process so that its peak RSS is its own:

1. the pipeline without and with the linker (model-best, model-linked) over
   the test texts: words/s and peak RSS (issue 25's goals: >= 0.7x the
   speed, <= 1 GB more memory);
2. the linker alone on the test split's gold mentions: accuracy@1, in its
   Docs (short forms through their long forms) and mention by mention, with
   mentions/s, KB load time and peak RSS;
3. scispaCy's candidate generator over the same KB on the same mentions
   (benchmarks/linking_scispacy.py, in its own venv), if --scispacy-python
   names that venv's python.

    python -m scripts.linking training/bc5cdr_pubtator/cnn/model-best \\
        training/bc5cdr_pubtator/cnn/model-linked corpus/bc5cdr_pubtator/test.spacy \\
        corpus/bc5cdr_pubtator/kb.json.gz results/linking/bc5cdr_pubtator.json \\
        --scispacy-python /work/venvs/scispacy/bin/python --scispacy-labels Disease
"""
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Dict

HERE = Path(__file__).resolve().parent


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child_pipeline(model: str, test: str) -> Dict:
    import spacy
    from spacy.tokens import DocBin

    import bioner.components  # noqa: F401  (factories)
    start = time.perf_counter()
    nlp = spacy.load(model)
    loaded = time.perf_counter() - start
    texts = [d.text for d in DocBin().from_disk(test).get_docs(nlp.vocab)]
    start = time.perf_counter()
    words = sum(len(doc) for doc in nlp.pipe(texts))
    elapsed = time.perf_counter() - start
    return {"model": model, "pipes": nlp.pipe_names, "load_seconds": round(loaded, 2),
            "words_per_s": round(words / elapsed, 1), "words": words, "peak_rss_mb": peak_rss_mb()}


def child_gold(kb_path: str, test: str, mentions_out: str) -> Dict:
    import spacy
    from spacy.tokens import DocBin

    from bioner.components.linker import ConceptLinker, read_kb, split_ids
    from bioner.evaluation.linking import accuracy_at_1, link_gold_mentions

    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(test).get_docs(nlp.vocab))
    base = peak_rss_mb()
    start = time.perf_counter()
    linker = ConceptLinker(nlp, "linker", 0.0)
    linker.set_kb(read_kb(Path(kb_path)))
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    in_docs = accuracy_at_1(link_gold_mentions(linker, docs))
    doc_seconds = time.perf_counter() - start
    rows, mentions = [], []
    start = time.perf_counter()
    for i, doc in enumerate(docs):
        for ent in doc.ents:
            cid, _, _ = linker.link_text(ent.text, ent.label_)
            gold = tuple(sorted(split_ids(ent.kb_id_)))
            rows.append((gold, tuple(sorted(split_ids(cid))), ent.label_))
            mentions.append({"doc": i, "text": ent.text, "label": ent.label_, "gold": list(gold)})
    alone_seconds = time.perf_counter() - start
    with open(mentions_out, "w", encoding="utf8") as f:
        f.writelines(json.dumps(m) + "\n" for m in mentions)
    n = len(mentions)
    return {"in_docs": in_docs, "alone": accuracy_at_1(rows), "mentions": n,
            "mentions_per_s_in_docs": round(n / doc_seconds, 1), "mentions_per_s_alone": round(n / alone_seconds, 1),
            "words_per_s_alone": round(sum(len(m["text"].split()) for m in mentions) / alone_seconds, 1),
            "kb_load_seconds": round(loaded, 2), "peak_rss_mb": peak_rss_mb(), "rss_before_kb_mb": base}


def run_child(mode: str, *args: str) -> Dict:
    """child_pipeline or child_gold in a fresh (spawned) process: its peak RSS is its own."""
    target = child_pipeline if mode == "pipeline" else child_gold
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(target, *args).result()


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    import argparse
    parser = argparse.ArgumentParser(prog="python -m scripts.linking", description=__doc__.split("\n")[0])
    for name in ("model_best", "model_linked", "test", "kb", "output"):
        parser.add_argument(name)
    parser.add_argument("--scispacy-python", default=None)
    parser.add_argument("--scispacy-labels", default="Disease,Chemical",
                        help="labels to index for scispaCy (its HNSW build over BC5CDR's ~560k chemical names "
                             "takes hours on 2 cores)")
    args = parser.parse_args(argv)
    out: Dict = {"test": args.test, "kb": args.kb}
    out["without_linker"] = run_child("pipeline", args.model_best, args.test)
    out["with_linker"] = run_child("pipeline", args.model_linked, args.test)
    out["speed_ratio"] = round(out["with_linker"]["words_per_s"] / out["without_linker"]["words_per_s"], 3)
    out["rss_growth_mb"] = round(out["with_linker"]["peak_rss_mb"] - out["without_linker"]["peak_rss_mb"], 1)
    with tempfile.TemporaryDirectory() as tmp:
        mentions = str(Path(tmp) / "mentions.jsonl")
        out["ours_gold_mentions"] = run_child("gold", args.kb, args.test, mentions)
        if args.scispacy_python:
            result_file = str(Path(tmp) / "scispacy.json")
            done = subprocess.run([args.scispacy_python, str(HERE / "linking_scispacy.py"), args.kb, mentions,
                                   result_file, "--labels", args.scispacy_labels], capture_output=True, text=True)
            out["scispacy_gold_mentions"] = (json.loads(Path(result_file).read_text()) if done.returncode == 0
                                             else {"error": done.stderr.strip().splitlines()[-1:]})
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(out, indent=2) + "\n", encoding="utf8")
    print(json.dumps({k: v for k, v in out.items() if k in ("speed_ratio", "rss_growth_mb")}))
    return 0

