"""Train a pipeline with `spacy train`, on GPU when there is one.

What this adds to `spacy train`:
- `--gpu auto` picks GPU 0 when spaCy can use it, else the CPU, and says which;
- transformer settings are applied only to configs that have a transformer;
- training writes into a temporary folder that replaces OUTPUT_DIR only when
  training has finished, so an interrupted run never leaves a model that a
  later step (evaluate, package) would trust; a re-run starts cleanly;
- `--overrides` takes further config settings as "section.key=value"
  pairs ("training.batcher.size=800 training.dropout=0.2"), so a project
  variable can tune a run without a copy of the config;
- a fingerprint of config, overrides and data skips a re-run that would
  train the same model again (weasel's lock keeps one entry per command, so
  alternating `--vars.model` values would otherwise retrain every time).
"""
import hashlib
import json
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Dict

import srsly
import typer
from spacy.cli._util import parse_config_overrides
from spacy.cli.train import train as spacy_train
from spacy.util import load_config
from thinc.util import gpu_is_available
from wasabi import msg

from .common import BionerError, run_cli

FINGERPRINT = "bioner_fingerprint.json"


def resolve_gpu(gpu: str) -> int:
    """'auto' -> 0 if a GPU is usable, else -1; otherwise the id given."""
    if gpu == "auto":
        gpu_id = 0 if gpu_is_available() else -1
    else:
        try:
            gpu_id = int(gpu)
        except ValueError:
            raise BionerError(f"--gpu must be 'auto' or a GPU id (-1 for CPU), not {gpu!r}") from None
        if gpu_id >= 0 and not gpu_is_available():
            raise BionerError(
                f"--gpu {gpu_id} asked for, but no GPU is usable (is cupy installed? "
                f"see requirements-gpu.txt). Use --gpu auto or -1 to train on the CPU."
            )
    if gpu_id >= 0:
        msg.info(f"Training on GPU {gpu_id}")
    else:
        msg.info("Training on CPU (no usable GPU found)" if gpu == "auto" else "Training on CPU")
    return gpu_id


def build_overrides(
    config_path: Path,
    corpus_dir: Path,
    log_path: Path,
    transformer_model: str,
    transformer_lowercase: bool,
    max_steps: int,
    eval_frequency: int,
    extra: str = "",
) -> Dict[str, Any]:
    config = load_config(config_path, interpolate=False)
    overrides: Dict[str, Any] = {
        "paths.train": str(corpus_dir / "train.spacy"),
        "paths.dev": str(corpus_dir / "dev.spacy"),
        "paths.log": str(log_path),
    }
    if "transformer" in config["components"]:
        overrides["components.transformer.model.name"] = transformer_model
        overrides["components.transformer.model.tokenizer_config.do_lower_case"] = transformer_lowercase
    if max_steps > 0:
        overrides["training.max_steps"] = max_steps
        # a short budget still gets a full warm-up and decay: warm up for 10%
        # of the steps (at most the config's warm-up)
        learn_rate = config["training"]["optimizer"].get("learn_rate")
        if isinstance(learn_rate, dict) and "warmup_steps" in learn_rate:
            warmup = min(int(learn_rate["warmup_steps"]), max(1, max_steps // 10))
            overrides["training.optimizer.learn_rate.warmup_steps"] = warmup
    if eval_frequency > 0:
        overrides["training.eval_frequency"] = eval_frequency
    # spaCy evaluates at step 0 and every eval_frequency steps and saves the best
    # as model-best; steps after the last evaluation are never candidates (a
    # budget shorter than eval_frequency would even leave the untrained step-0
    # model). With a step budget, evaluate up to twice as often as asked where
    # that makes the last step an evaluation: 450 steps, every 200 -> every 150.
    frequency = int(overrides.get("training.eval_frequency", config["training"]["eval_frequency"]))
    if 0 < max_steps < frequency:
        overrides["training.eval_frequency"] = max_steps
    elif max_steps > 0 and max_steps % frequency:
        divisors = [d for d in range(frequency, (frequency - 1) // 2, -1) if max_steps % d == 0]
        if divisors:
            overrides["training.eval_frequency"] = divisors[0]
    overrides.update(parse_settings(extra))
    return overrides


def parse_settings(text: str) -> Dict[str, Any]:
    """'training.dropout=0.2 training.batcher.size=800' -> config overrides,
    values parsed as spacy train parses its command line."""
    args = []
    for item in shlex.split(text):
        key, sep, value = item.partition("=")
        if not sep or not key.strip("-"):
            raise BionerError(
                f"--overrides: {item!r} is not a setting; expected section.key=value pairs "
                f"such as 'training.batcher.size=800 training.dropout=0.2'"
            )
        args.append(f"--{key.lstrip('-')}={value}")
    return parse_config_overrides(args)


def fingerprint(config_path: Path, overrides: Dict[str, Any], corpus_dir: Path) -> str:
    h = hashlib.sha256(Path(config_path).read_bytes())
    h.update(json.dumps({k: v for k, v in overrides.items() if k != "paths.log"}, sort_keys=True).encode())
    for split in ("train", "dev"):
        h.update((corpus_dir / f"{split}.spacy").read_bytes())
    return h.hexdigest()


def train(
    config_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Training config"),
    output_dir: Path = typer.Argument(..., help="Folder for model-best/, model-last/ and the log"),
    corpus_dir: Path = typer.Option(..., help="Folder with train.spacy and dev.spacy"),
    gpu: str = typer.Option("auto", help="'auto', a GPU id, or -1 for the CPU"),
    transformer_model: str = typer.Option(
        "allenai/scibert_scivocab_cased", help="HF name or local folder (transformer configs only)"
    ),
    transformer_lowercase: str = typer.Option(
        "false", help="true/false: lower-case input for the wordpiece tokenizer (uncased models only)"
    ),
    max_steps: int = typer.Option(0, help="Override training.max_steps (0: keep the config's)"),
    eval_frequency: int = typer.Option(0, help="Override training.eval_frequency (0: keep)"),
    overrides: str = typer.Option(
        "", "--overrides", help="More config settings: 'training.dropout=0.2 training.batcher.size=800'"
    ),
) -> None:
    """Train CONFIG_PATH into OUTPUT_DIR with spaCy's trainer."""
    for split in ("train", "dev"):
        if not (corpus_dir / f"{split}.spacy").exists():
            raise BionerError(f"{corpus_dir / split}.spacy not found. Run the convert step first.")
    settings = build_overrides(
        config_path,
        corpus_dir,
        output_dir / "training_log.jsonl",
        transformer_model,
        transformer_lowercase.lower() in ("true", "1", "yes"),
        max_steps,
        eval_frequency,
        overrides,
    )
    stamp = fingerprint(config_path, settings, corpus_dir)
    stamp_path = output_dir / FINGERPRINT
    if (output_dir / "model-best").exists() and stamp_path.exists():
        if srsly.read_json(stamp_path).get("fingerprint") == stamp:
            msg.good(f"{output_dir}: already trained with this config and data, skipping")
            return
    gpu_id = resolve_gpu(gpu)
    if gpu_id < 0 and "components.transformer.model.name" in settings:
        # fp16 autocast and grad scaling need CUDA
        settings["components.transformer.model.mixed_precision"] = False
        settings["components.transformer.model.grad_scaler_config.enabled"] = False
    partial = output_dir.with_name(f".{output_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)  # leftovers of an interrupted run
    partial.mkdir(parents=True)
    settings["paths.log"] = str(partial / "training_log.jsonl")
    start = time.time()
    spacy_train(config_path, partial, use_gpu=gpu_id, overrides=settings)
    seconds = round(time.time() - start, 1)
    if not (partial / "model-best").exists():
        # no evaluation ran (max_steps < eval_frequency): the last model is the best we have
        shutil.copytree(partial / "model-last", partial / "model-best")
    srsly.write_json(
        partial / FINGERPRINT,
        {
            "fingerprint": stamp,
            "config": str(config_path),
            "overrides": settings,
            "gpu": gpu_id,
            "train_seconds": seconds,
        },
    )
    if output_dir.exists():
        shutil.rmtree(output_dir)
    partial.rename(output_dir)
    msg.good(f"Saved {output_dir}/model-best")


if __name__ == "__main__":
    sys.exit(run_cli(train))
