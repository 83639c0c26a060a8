"""Throughput and peak memory of `annotate`, three ways on the same input:
one process, `--n-process 2`, and Ray local with 2 actors; then an estimate
for PubMed's baseline on N machines from the measured per-core rate.

    python -m scripts.annotate_throughput --model training/bc5cdr/cnn/model-best --label cnn
    python -m scripts.annotate_throughput --model M --label transformer --docs 1000 --modes 1proc,nproc2,ray2

Input: real abstracts (title + abstract) from the BC5CDR PubTator files in
the corpus mirror (1,500 of them), repeated with new PMIDs up to `--docs`
and written as gzipped MEDLINE XML, `--files` files (one shard each, so Ray
has work for both actors). Every mode runs what `python -m scripts.annotate
... --format jsonl` runs (bioner.annotate.run) in a fresh child process; its
wall time includes starting Python, loading the pipeline and (Ray) starting
Ray. Peak RSS is the largest sum of resident memory over its process tree
(workers and Ray's own processes included), sampled every 0.2 s, so shared
pages count once per process: an upper bound.

Writes results/annotate/<label>.json and refreshes the markdown
table results/annotate/README.md from every JSON there.
"""
import gzip
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional
from xml.sax.saxutils import escape

import psutil
import typer

from bioner.annotate.run import REPORT_NAME, annotate_collection
from bioner.child import start_logged

from bioner.layout import Layout

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS = Layout(PROJECT_DIR).annotate_results
MIRROR = Path(os.environ.get("BIONER_MIRROR") or PROJECT_DIR.parent / "shared" / "corpora")
PUBTATOR_FILES = ["CDR_TrainingSet.PubTator.txt", "CDR_DevelopmentSet.PubTator.txt", "CDR_TestSet.PubTator.txt"]
# mode: (title, the options of annotate that make it)
MODES = {
    "1proc": ("1 process", {}),
    "nproc2": ("--n-process 2", {"n_process": 2}),
    "ray2": ("Ray local, 2 actors", {"ray": True, "actors": 2}),
    "ray3": ("Ray local, 3 actors", {"ray": True, "actors": 3}),
}
PUBMED_CITATIONS = 36_000_000


def real_abstracts(mirror: Path) -> List[Dict[str, str]]:
    """(title, abstract) of the BC5CDR abstracts, from the PubTator files."""
    docs: Dict[str, Dict[str, str]] = {}
    for name in PUBTATOR_FILES:
        for line in (mirror / "BC5CDR-PubTator" / name).read_text(encoding="utf8").splitlines():
            head = line.split("\t", 1)[0]
            if "|t|" in head or "|a|" in head:
                pmid, kind, text = line.split("|", 2)
                docs.setdefault(pmid, {})[kind] = text
    return [d for d in docs.values() if d.get("t") and d.get("a")]


def write_medline(folder: Path, n_docs: int, n_files: int, mirror: Path) -> None:
    abstracts = real_abstracts(mirror)
    per_file = -(-n_docs // n_files)
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(n_files):
        with gzip.open(folder / f"bench{f + 1:04d}.xml.gz", "wt", encoding="utf8") as out:
            out.write('<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n')
            for i in range(f * per_file, min(n_docs, (f + 1) * per_file)):
                doc = abstracts[i % len(abstracts)]
                out.write(
                    f"<PubmedArticle><MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\">"
                    f"<PMID Version=\"1\">{40000000 + i}</PMID><Article PubModel=\"Print\">"
                    f"<ArticleTitle>{escape(doc['t'])}</ArticleTitle><Abstract><AbstractText>"
                    f"{escape(doc['a'])}</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n"
                )
            out.write("</PubmedArticleSet>\n")


def run_measured(inputs: Path, model: Path, out: Path, options: Dict, log: Path) -> Dict[str, float]:
    """Annotate `inputs` (bioner.annotate.run) in a fresh child process, as a
    user's run starts; wall seconds and the peak RSS (MiB) of its process tree."""
    start = time.perf_counter()
    proc = start_logged(annotate_collection, ([inputs], str(model), out), log, f"annotate {inputs}",
                        kwargs={"formats": ["jsonl"], **options})
    root = psutil.Process(proc.pid)
    peak = 0.0
    while proc.is_alive():
        total = 0
        try:
            for p in [root] + root.children(recursive=True):
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total / 2**20)
        time.sleep(0.2)
    proc.join()
    wall = time.perf_counter() - start
    output = log.read_text(encoding="utf8", errors="replace")
    if proc.exitcode != 0:
        raise SystemExit(f"annotate {inputs} failed ({proc.exitcode}):\n{output[-3000:]}")
    return {"wall_s": round(wall, 2), "peak_rss_mib": round(peak, 1), "log_tail": output.strip().splitlines()[-1]}


def command_of(options: Dict, batch_size: int) -> str:
    """The annotate command line that makes the same run."""
    flags = " ".join(f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}") for k, v in options.items())
    return f"python -m scripts.annotate $BENCH/input --model MODEL --output-dir OUT --format jsonl " \
           f"--batch-size {batch_size} {flags}".strip()


def estimate(per_core_words_s: float, words_per_doc: float, efficiency: float, cores: int) -> List[Dict]:
    words = PUBMED_CITATIONS * words_per_doc
    rows = []
    for machines in (1, 10, 50, 100):
        rate = per_core_words_s * cores * machines * efficiency
        rows.append({"machines": machines, "cores_each": cores, "hours": round(words / rate / 3600, 1)})
    return rows


def git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def benchmark(
    model: Path = typer.Option(..., help="Pipeline folder or package"),
    label: str = typer.Option(..., help="Name of the result, e.g. cnn"),
    docs: int = typer.Option(20_000, help="Abstracts to annotate"),
    files: int = typer.Option(8, help="Input files (shards)"),
    modes: str = typer.Option("1proc,nproc2,ray2", help="Comma-separated: " + ", ".join(MODES)),
    batch_size: int = typer.Option(64),
    cores: int = typer.Option(16, help="Cores per machine assumed for the PubMed estimate"),
    note: str = typer.Option("", help="What the model is (written beside the results)"),
    work_dir: Optional[Path] = typer.Option(None, help="Scratch folder (default: a temporary one)"),
) -> None:
    scratch = Path(work_dir or tempfile.mkdtemp(prefix="bioner-annotate-bench-"))
    inputs = scratch / "input"
    if not inputs.exists():
        write_medline(inputs, docs, files, MIRROR)
    results = {"model": str(model), "label": label, "note": note, "docs": docs, "files": files,
               "batch_size": batch_size, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "modes": {}}
    previous = RESULTS / f"{label}.json"
    if previous.exists():  # re-measure some modes of the same benchmark: keep the others
        old = json.loads(previous.read_text())
        if all(old.get(k) == results[k] for k in ("model", "docs", "files", "batch_size", "machine")):
            results["modes"] = {m: r for m, r in old["modes"].items() if m not in modes.split(",")}
            results["note"] = note or old.get("note", "")
    for mode in modes.split(","):
        title, extra = MODES[mode]
        out = scratch / f"out-{mode}"
        shutil.rmtree(out, ignore_errors=True)
        load_before = os.getloadavg()[0]
        measured = run_measured(inputs, model, out, {**extra, "batch_size": batch_size}, scratch / f"{mode}.log")
        report = json.loads((out / REPORT_NAME).read_text())
        words = sum(f["words"] for f in report["files"])
        measured.update(
            mode=title, command=command_of(extra, batch_size),
            docs=report["docs"], words=words, entities=report["entities"],
            docs_per_s=round(report["docs"] / measured["wall_s"], 1), words_per_s=round(words / measured["wall_s"]),
            load_before=round(load_before, 2), load_after=round(os.getloadavg()[0], 2),
            measured_at=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit=git_commit())
        results["modes"][mode] = measured
        print(json.dumps({k: v for k, v in measured.items() if k != "log_tail"}), flush=True)
    modes_done = results["modes"]
    if "1proc" in modes_done:
        single = modes_done["1proc"]
        for mode in [m for m in modes_done if m != "1proc"]:
            if mode in modes_done:
                modes_done[mode]["speedup_vs_1proc"] = round(modes_done[mode]["words_per_s"] / single["words_per_s"], 2)
        if "ray2" in modes_done and "nproc2" in modes_done:
            results["ray_overhead_vs_nproc2"] = round(
                1 - modes_done["ray2"]["words_per_s"] / modes_done["nproc2"]["words_per_s"], 3)
        words_per_doc = single["words"] / single["docs"]
        efficiency = modes_done.get("ray2", {}).get("speedup_vs_1proc", 2.0) / 2
        results["pubmed_estimate"] = {
            "ESTIMATE": True,
            "assumptions": (f"{PUBMED_CITATIONS:,} citations, each as long as the benchmark's mean "
                            f"({words_per_doc:.0f} words: title + abstract; an upper bound, since many citations "
                            f"have no abstract); {cores} cores per machine, one Ray actor per core at the measured "
                            f"1-process rate ({single['words_per_s']:,} words/s) times the measured Ray 2-actor "
                            f"efficiency ({efficiency:.2f})"),
            "rows": estimate(single["words_per_s"], words_per_doc, efficiency, cores),
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{label}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "README.md").write_text(markdown())
    print(f"wrote {RESULTS / (label + '.json')} and README.md")


def steady_rates(results: List[Dict]) -> List[str]:
    """Fixed cost and steady rate of each mode, from two runs of the same
    model, batch size and file count at two input sizes: the wall times
    t = fixed + words / rate of both runs give both unknowns. The fixed
    part is start-up (Python, pipeline load, Ray and its actors); the rate
    is what a long run (PubMed) sees."""
    groups: Dict[tuple, List[Dict]] = {}
    for res in results:
        groups.setdefault((res["model"], res["batch_size"], res["files"], res["machine"]), []).append(res)
    lines = []
    for (model, batch, files, _), runs in groups.items():
        if len({r["docs"] for r in runs}) < 2:
            continue
        small, large = min(runs, key=lambda r: r["docs"]), max(runs, key=lambda r: r["docs"])
        rows = []
        for mode in large["modes"]:
            if mode not in small["modes"]:
                continue
            a, b = small["modes"][mode], large["modes"][mode]
            rate = (b["words"] - a["words"]) / (b["wall_s"] - a["wall_s"])
            rows.append((b["mode"], a["wall_s"] - a["words"] / rate, rate))
        single = next((rate for mode, _, rate in rows if mode == "1 process"), None)
        lines += ["", f"## Steady rate: `{model}`, batch {batch}, {files} files ({small['label']} and {large['label']})",
                  "", f"From the wall times of {small['docs']:,} and {large['docs']:,} abstracts "
                  f"(wall = fixed + words / rate, solved for both).", "",
                  "| mode | fixed cost (s) | steady words/s | vs 1 process |", "|---|---:|---:|---:|"]
        lines += [f"| {mode} | {fixed:.1f} | {rate:,.0f} | {rate / single:.2f} |" if single else
                  f"| {mode} | {fixed:.1f} | {rate:,.0f} | |" for mode, fixed, rate in rows]
    return lines


def markdown() -> str:
    lines = ["# annotate throughput", "",
             "Made by `benchmarks/annotate_throughput.py` (commands below; `$BENCH` is its scratch folder). "
             "Wall time of the whole command: Python start, pipeline load, Ray start included. "
             "Words: spaCy tokens. Peak RSS: sum over the process tree (upper bound).", "",
             "| model | mode | docs | docs/s | words/s | speed-up vs 1 process | peak RSS (MiB) | load avg before/after |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    for res in results:
        for m in res["modes"].values():
            lines.append(f"| {res['label']} | {m['mode']} | {m['docs']:,} | {m['docs_per_s']:,.1f} | "
                         f"{m['words_per_s']:,} | {m.get('speedup_vs_1proc', 1.0 if m['mode'] == '1 process' else '')} | "
                         f"{m['peak_rss_mib']:,.0f} | {m['load_before']} / {m['load_after']} |")
    for res in results:
        lines += ["", f"## {res['label']}", "", f"Model: `{res['model']}`. {res['note']}", "",
                  f"Input: {res['docs']:,} real BC5CDR abstracts (repeated), {res['files']} gzipped MEDLINE XML "
                  f"files; machine {res['machine']}; batch size {res['batch_size']}.", ""]
        if "ray_overhead_vs_nproc2" in res:
            lines.append(f"Ray's overhead vs `--n-process 2`: {res['ray_overhead_vs_nproc2'] * 100:.1f} % "
                         f"(negative: Ray was faster).")
            lines.append("")
        lines += ["Commands:", "", "```"] + [m["command"] for m in res["modes"].values()] + ["```"]
        est = res.get("pubmed_estimate")
        if est:
            lines += ["", "**ESTIMATE** (computed, not measured) for PubMed's baseline: " + est["assumptions"] + ".",
                      "", "| machines | cores each | hours |", "|---:|---:|---:|"]
            lines += [f"| {r['machines']} | {r['cores_each']} | {r['hours']:,} |" for r in est["rows"]]
    lines += steady_rates(results)
    return "\n".join(lines) + "\n"

