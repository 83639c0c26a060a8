"""Levers: named training variants (project.yml's vars.levers, read by
bioner.registry: a config plus settings, `extends` another lever), each
trained on one corpus over several seeds and compared on dev; the final
ones are also evaluated on test, once per seed.

    python -m scripts.levers bc5cdr cnn cnn_floret --seeds "0 1" --max-steps 3000
    python -m scripts.levers bc5cdr cnn_floret --seeds "0 1 2" --test
    python -m scripts.levers bc5cdr cnn_floret --seeds "0 1 2" --train-dev --test

Every run is a training (bioner.training) in a child process with its log
(bioner.child), into Layout.lever_run (training/<corpus>/levers/
<lever>-seed<N>/), and is recorded in results/levers/<corpus>.json as soon as
it ends (under a lock: two series, e.g. one per core, can run side by side),
so an interrupted series loses one run at most; a re-run retrains only what
changed (the training's fingerprint: config, settings, data, vectors) and
evaluates a model on test only once. `--train-dev` trains on train+dev for a
fixed number of steps: the median best step of the lever's train-only runs
(dev is then part of training: its score is not a measure, model-last is
the model). The markdown tables (Layout.lever_tables: results/levers/README.md) are made anew
from every JSON there. Each run records the git blob id of its config file,
so a row whose config has changed since is marked as such (its command no
longer reproduces it as it stands).
"""
import contextlib
import fcntl
import shlex
import shutil
import statistics
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import srsly
from spacy.tokens import DocBin

from bioner.assets import git_blob_id
from bioner.child import run_logged
from bioner.errors import BionerError
from bioner.evaluation.scoring import evaluate_model
from bioner.io import atomic_path, write_json_atomic, write_text_atomic
from bioner.layout import CorpusDir, Layout
from bioner.registry import LeverEntry, levers
from bioner.training import TrainRequest, dev_curve, train

BASELINE = "cnn"


def run_key(lever: str, seed: int, train_dev: bool) -> str:
    return f"{lever}{'+train_dev' if train_dev else ''}/seed{seed}"


def kept_earlier(key: str) -> bool:
    """Whether a run key is `<key>@<blob>`: a run kept from an earlier config version."""
    return "@" in key


def record_run(results: Dict[str, Any], key: str, record: Dict[str, Any]) -> None:
    """Record a run. One it replaces that was trained with another version of
    the config is kept, as `<key>@<blob>`: its figures belong to that version
    (and are what the levers of that time were compared with)."""
    old = results["runs"].get(key)
    if old and old.get("config_blob") and old["config_blob"] != record.get("config_blob"):
        results["runs"][f"{key}@{old['config_blob'][:10]}"] = old
    results["runs"][key] = record


def train_dev_corpus(layout: Layout, corpus: str) -> Path:
    """corpus/<corpus>/train_dev/: its train split = train + dev, its dev split = dev."""
    out = layout.train_dev_corpus(corpus)
    src = [layout.docbin(corpus, s) for s in ("train", "dev")]
    made = out.docbin("train")
    if made.exists() and made.stat().st_mtime >= max(p.stat().st_mtime for p in src):
        return out.path
    merged = DocBin(store_user_data=False)
    for path in src:
        merged.merge(DocBin().from_disk(path))
    with atomic_path(out.path) as tmp:
        tmp.mkdir()
        merged.to_disk(CorpusDir(tmp).docbin("train"))
        CorpusDir(tmp).docbin("dev").write_bytes(src[1].read_bytes())
    return out.path


@contextlib.contextmanager
def locked_results(layout: Layout, results_path: Path):
    """The results file, read and written under a lock: two series (e.g. one
    per core, one per seed) can record into it side by side."""
    results_path.parent.mkdir(parents=True, exist_ok=True)
    with open(results_path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = srsly.read_json(results_path) if results_path.exists() else {"corpus": results_path.stem, "runs": {}}
        yield results
        write_json_atomic(results_path, results)
        write_text_atomic(layout.lever_tables, markdown(layout.lever_results, layout.configs))


def run_name(lever: str, seed: int, train_dev: bool) -> str:
    return f"{lever}{'+train_dev' if train_dev else ''}-seed{seed}"


def lever_command(corpus: str, name: str, seed: int, steps: int, train_dev: bool, test: bool) -> str:
    """The command that reproduces one run (recorded with it, never run from here)."""
    flags = (" --train-dev" if train_dev else "") + (" --test" if test else "")
    return f"python -m scripts.levers {shlex.quote(corpus)} {shlex.quote(name)} --seeds {seed} --max-steps {steps}{flags}"


def run_lever(layout: Layout, corpus: str, name: str, lever: LeverEntry, seed: int, max_steps: int,
              train_dev: bool, test: bool, results: Dict[str, Any]) -> Dict[str, Any]:
    for need in lever.needs:
        if not (layout.root / need).exists():
            raise BionerError(f"lever {name} needs {need}, which does not exist; build it first (README, 'Levers')")
    overrides = {k: str(layout.root / v) if k.startswith("paths.") else v for k, v in lever.overrides.items()}
    steps = max_steps
    corpus_dir = layout.corpus(corpus)
    if train_dev:
        base = [r["best_step"] for k, r in results["runs"].items() if k.startswith(f"{name}/") and not kept_earlier(k)]
        if not base:
            raise BionerError(f"{corpus}: no train-only run of {name} recorded; run it first to fix the steps")
        steps = int(statistics.median(base))
        overrides["training.patience"] = 0
        corpus_dir = train_dev_corpus(layout, corpus)
    run = run_name(name, seed, train_dev)
    out = layout.lever_run(corpus, run)
    request = TrainRequest(layout.config(lever.model), out.path, corpus_dir, "-1", max_steps=steps,
                           overrides=overrides, seed=seed)
    tag = f"{corpus}_{run.replace('-seed', '_seed')}"
    log = layout.lab_log("levers", f"{tag}.log")
    if run_logged(train, (request,), log, f"train {run} on {corpus}") != 0:
        raise BionerError(f"{corpus} {run}: the training failed; see {log}")
    settings = {"model": lever.model, "overrides": dict(lever.overrides), "max_steps": steps, "seed": seed}
    record: Dict[str, Any] = {"settings": settings,
                              "command": lever_command(corpus, name, seed, max_steps, train_dev, test),
                              "config_blob": git_blob_id(layout.config(lever.model)),
                              # the training's own time, also when this run only skipped it
                              "seconds": srsly.read_json(out.stamp)["train_seconds"]}
    record.update(dev_curve(out.log))
    shutil.copy(out.log, log.with_suffix(".jsonl"))  # every evaluation, kept with the results
    if test:
        model = out.model_last if train_dev else out.model_best
        metrics = layout.lever_metrics(corpus, run)
        if not metrics.exists() or metrics.stat().st_mtime < out.stamp.stat().st_mtime:
            eval_log = layout.lab_log("levers", f"{tag}_evaluate.log")
            if run_logged(evaluate_model, (model, layout.docbin(corpus, "test"), metrics, "-1"), eval_log,
                          f"evaluate {run} on {corpus} test") != 0:
                raise BionerError(f"{corpus} {run}: the evaluation failed; see {eval_log}")
        m = srsly.read_json(metrics)
        record.update(test_f=round(100 * m["ents_f"], 2), test_p=round(100 * m["ents_p"], 2),
                      test_r=round(100 * m["ents_r"], 2))
    return record


def mean_sd(values: List[float]) -> str:
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:.2f} (1 seed)"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def summary(results: Dict[str, Any], configs: Optional[Path] = None) -> List[Dict[str, Any]]:
    """One row per lever (and per train+dev variant) and config version: means
    over seeds. `configs`: the folder of the configs as they are now; a row's
    "earlier" is the blob id its runs' config had when it differs from that.
    Δ dev is against the `cnn` runs of the same configs/cnn.cfg version (the
    latest ones for levers on other configs)."""
    groups: Dict[Any, List[Dict[str, Any]]] = {}
    latest = set()  # groups with a run under its plain key (not kept as <key>@<blob>)
    for key, rec in results["runs"].items():
        group = (key.split("/")[0], rec.get("config_blob", ""))
        groups.setdefault(group, []).append(rec)
        if not kept_earlier(key):
            latest.add(group)
    rows = []
    for (name, blob), recs in groups.items():
        dev = [r["dev_f"] for r in recs]
        test = [r["test_f"] for r in recs if "test_f" in r]
        model = recs[0]["settings"].get("model", "")
        base = groups.get((BASELINE, blob), []) if model == BASELINE else \
            next((groups[g] for g in groups if g[0] == BASELINE and g in latest), [])
        train_dev = name.endswith("+train_dev")
        rows.append({
            "lever": name, "seeds": len(recs), "dev": "(in training)" if train_dev else mean_sd(dev),
            "delta": "" if train_dev or not base or recs is base
            else f"{statistics.mean(dev) - statistics.mean(r['dev_f'] for r in base):+.2f}",
            "best_step": ", ".join(str(r["best_step"]) for r in recs), "test": mean_sd(test),
            "minutes": f"{statistics.mean(r['seconds'] for r in recs) / 60:.0f}",
            "command": seed_placeholder(recs[0]["command"], recs[0]["settings"]["seed"]),
            "model": model, "earlier": earlier_config(model, blob, configs),
        })
    return rows


def seed_placeholder(command: str, seed: int) -> str:
    """A run's command for any seed: scripts.levers's --seeds, or (runs
    recorded before it trained through the library) scripts.train's folder and --seed."""
    return (command.replace(f"--seeds {seed}", "--seeds <N>").replace(f"-seed{seed} ", "-seed<N> ")
            .replace(f"--seed {seed}", "--seed <N>"))


def earlier_config(model: str, blob: str, configs: Optional[Path]) -> str:
    """The (short) blob id of the config the runs were trained with, when the
    config file now differs from it ("" when it is the same, or cannot be told)."""
    if configs is None or not model or not blob or not (configs / f"{model}.cfg").exists():
        return ""
    return "" if blob == git_blob_id(configs / f"{model}.cfg") else blob[:10]


def lever_cell(row: Dict[str, Any]) -> str:
    return f"{row['lever']} †" if row["earlier"] else row["lever"]


def earlier_note(rows: List[Dict[str, Any]]) -> List[str]:
    changed = dict.fromkeys(f"`configs/{r['model']}.cfg` as git blob {r['earlier']} (`git cat-file -p {r['earlier']}`"
                            " prints it)" for r in rows if r["earlier"])
    if not changed:
        return []
    return ["", "† trained with an earlier version of the config file, which has changed since: "
            + "; ".join(changed) + "."]


def markdown(results_dir: Path, configs: Path) -> str:
    lines = ["# Levers", "", "Made by `python -m scripts.levers` (commands in each row; `<N>` for each seed). "
             "Dev F1: best evaluation of the run (exact-match micro F1 on the dev split), mean ± sd over seeds; "
             "Δ dev: against the `cnn` row of the same table trained with the same `configs/cnn.cfg` (for levers "
             "on other configs, the latest `cnn` row). Test F1 only for the final configs, once per seed. "
             "Machine: 2 CPU cores, shared with other work (minutes are wall time of one run).", ""]
    for path in sorted(results_dir.glob("*.json")):
        results = srsly.read_json(path)
        lines += [f"### {path.stem}", "", "| lever | seeds | dev F1 | Δ dev | best step(s) | test F1 | min/run |",
                  "|---|---:|---:|---:|---|---:|---:|"]
        rows = summary(results, configs)
        for row in rows:
            lines.append(f"| {lever_cell(row)} | {row['seeds']} | {row['dev']} | {row['delta']} | {row['best_step']} "
                         f"| {row['test']} | {row['minutes']} |")
        lines += earlier_note(rows)
        lines += ["", "Commands:", ""]
        lines += [f"- {lever_cell(row)}: `{row['command']}`" for row in rows]
        lines.append("")
    return "\n".join(lines)


def seeds_markdown(results_dir: Path, configs: Path) -> str:
    """The final configs' test F1 over seeds, per corpus: the benchmark's
    mean ± sd rows (results.md)."""
    rows, finals = [], []
    for path in sorted(results_dir.glob("*.json")):
        for row in summary(srsly.read_json(path), configs):
            if row["test"]:
                finals.append(row)
                rows.append(f"| {path.stem} | {lever_cell(row)} | {row['seeds']} | **{row['test']}** | {row['dev']} "
                            f"| `{row['command']}` |")
    if not rows:
        return ""
    return "\n".join(["", "Over seeds (final configs; `python -m scripts.levers ... --test`, one test evaluation per seed):", "",
                      "| corpus | model | seeds | test F1 mean ± sd | dev F1 mean ± sd | command (each seed) |",
                      "|---|---|---:|---:|---:|---|"] + rows + earlier_note(finals)) + "\n"


def run_levers(layout: Layout, corpus: str, names: Sequence[str], seeds: Sequence[int], max_steps: int,
               train_dev: bool = False, test: bool = False) -> Dict[str, Any]:
    table = levers(layout.project_file)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise BionerError(f"unknown lever(s) {', '.join(unknown)}; known: {', '.join(table)} (vars.levers in project.yml)")
    results_path = layout.lever_results / f"{corpus}.json"
    for name in names:
        for seed in seeds:
            with locked_results(layout, results_path) as results:
                snapshot = dict(results)  # what the run may read (train+dev steps, a recorded run)
            record = run_lever(layout, corpus, name, table[name], seed, max_steps, train_dev, test, snapshot)
            with locked_results(layout, results_path) as results:  # a stop loses one run at most
                record_run(results, run_key(name, seed, train_dev), record)
            print(f"{corpus} {run_key(name, seed, train_dev)}: dev {record['dev_f']} @ {record['best_step']}"
                  + (f", test {record['test_f']}" if "test_f" in record else ""), flush=True)
    with locked_results(layout, results_path) as results:
        return results
