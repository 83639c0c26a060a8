"""Speed of configs before training them: how fast would this architecture
tag? Answers the speed side of a lever in a minute, where the accuracy side
takes a training per seed (benchmarks/levers.py).

    python -m scripts.arch_speed bc5cdr spacy_default cnn cnn_w96 cnn_floret

Each variant is a lever (project.yml's vars.levers: a config plus settings)
or a config name (configs/<name>.cfg as it is). Each pipeline is built from
its config and initialised on the first train Docs (weights are random:
speed does not depend on them, only on the layers' sizes), then all of them
tag the test texts in turns (after an untimed warm-up), `--rounds` times,
so a load on the machine that comes and goes falls on every variant alike. Reported: the median
words/s (spaCy tokens) of each and its ratio to the first variant, in
results/arch_speed/<corpus>.md and .json.
"""
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List

import spacy
from spacy.tokens import DocBin
from spacy.training import Example
from spacy.util import load_config, load_model_from_config

import bioner  # noqa: F401  (registers the abbreviations component)
from bioner.errors import BionerError
from bioner.io import write_json_atomic, write_text_atomic
from bioner.layout import Layout
from bioner.registry import levers
from bioner.training import check_setting_keys, settings_text


def variant_settings(name: str, layout: Layout) -> Dict[str, Any]:
    """configs/<model>.cfg and its settings for a lever or a config name."""
    table = levers(layout.project_file)
    model, settings = (table[name].model, dict(table[name].overrides)) if name in table else (name, {})
    config_path = layout.config(model)
    if not config_path.exists():
        raise BionerError(f"{name}: neither a lever of vars.levers nor a config in {layout.configs}")
    check_setting_keys(settings, load_config(config_path, interpolate=False), config_path)
    return {"config": config_path, "overrides": settings_text(settings), "settings": settings}


def build(config_path: Path, settings: Dict[str, Any], train_docs: List, root: Path) -> spacy.Language:
    # paths in settings (vectors) are relative to the project folder
    settings = {k: str(root / v) if k.startswith("paths.") else v for k, v in settings.items()}
    config = load_config(config_path, overrides={"paths.train": "", "paths.dev": "", **settings})
    nlp = load_model_from_config(config, auto_fill=True)
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in train_docs]
    nlp.initialize(lambda: examples)
    return nlp


def measure(corpus: str, names: List[str], rounds: int = 5, n_texts: int = 400, root: Path = Path(".")) -> Dict[str, Any]:
    layout = Layout(root)
    vocab = spacy.blank("en").vocab
    paths = {split: layout.docbin(corpus, split) for split in ("train", "test")}
    for path in paths.values():
        if not path.exists():
            raise BionerError(f"{path} not found. Run `weasel run convert . --vars.corpus {corpus}` first.")
    train_docs = list(DocBin().from_disk(paths["train"]).get_docs(vocab))[:50]
    texts = [doc.text for doc in DocBin().from_disk(paths["test"]).get_docs(vocab)][:n_texts]
    variants = {name: variant_settings(name, layout) for name in names}
    pipelines = {name: build(v["config"], v["settings"], train_docs, root) for name, v in variants.items()}
    for nlp in pipelines.values():  # warm-up, untimed
        list(nlp.pipe(texts[:20]))
    rates: Dict[str, List[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name, nlp in pipelines.items():
            start = time.perf_counter()
            words = sum(len(doc) for doc in nlp.pipe(texts, batch_size=64))
            rates[name].append(words / (time.perf_counter() - start))
    base = statistics.median(rates[names[0]])
    rows = [
        {"variant": name, "config": str(variants[name]["config"].relative_to(root)),
         "overrides": variants[name]["overrides"], "words_per_s": round(statistics.median(rates[name])),
         "ratio": round(statistics.median(rates[name]) / base, 3), "rounds": [round(r) for r in rates[name]]}
        for name in names
    ]
    return {"corpus": corpus, "texts": len(texts), "rounds": rounds, "baseline": names[0],
            "machine": f"{platform.machine()}, {os.cpu_count()} cores", "rows": rows}


def markdown(result: Dict[str, Any]) -> str:
    lines = [
        f"# Architecture speed on {result['corpus']}",
        "",
        f"Made by `python -m scripts.arch_speed {result['corpus']} {' '.join(r['variant'] for r in result['rows'])}`: "
        f"each pipeline built from its config and initialised (untrained weights), then {result['texts']} test texts "
        f"tagged by each in turns, {result['rounds']} rounds, 1 process, batch 64; median words/s. Ratio: to "
        f"`{result['baseline']}`. Machine: {result['machine']}.",
        "",
        "| variant | config | settings | words/s | ratio | every round |",
        "|---|---|---|---:|---:|---|",
    ]
    for row in result["rows"]:
        lines.append(f"| {row['variant']} | `{row['config']}` | `{row['overrides'] or '-'}` | {row['words_per_s']:,} | "
                     f"{row['ratio']:.2f} | {', '.join(f'{r:,}' for r in row['rounds'])} |")
    return "\n".join(lines) + "\n"


def write_results(layout: Layout, result: Dict[str, Any]) -> None:
    write_json_atomic(layout.arch_speed(result["corpus"], ".json"), result)
    write_text_atomic(layout.arch_speed(result["corpus"], ".md"), markdown(result))
