"""Train a pipeline with spaCy's trainer, adding what `spacy train` lacks
for this project:

- transformer weights are chosen by a name from project.yml's
  `vars.transformers` table (`scibert`, the offline `standin` ...), which
  also holds each one's training budget (steps, settings), or by a Hugging
  Face name / folder; they apply only to configs that have a transformer
  (read from the config, bioner.models);
- one request object (TrainRequest) says what to train; its `overrides`
  are further config settings by dotted key (a command line's
  "section.key=value" pairs become one with parse_settings);
- training writes into a hidden `.partial` folder that replaces the output
  only when training has finished (the old model is removed only once the
  new one is in place), so an interrupted run never leaves a model that a
  later step would trust;
- a fingerprint of config, settings and data skips a re-run that would train
  the same model again (weasel's lock keeps one entry per command, so
  alternating `--vars.model` would otherwise retrain every time).
"""
import difflib
import hashlib
import importlib
import json
import shlex
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import srsly
from spacy.cli._util import parse_config_overrides
from spacy.cli.train import train as spacy_train
from spacy.util import load_config

from .console import good
from .errors import BionerError
from .io import replace_path
from .layout import PROJECT_FILE, CorpusDir, TrainingDir
from .models import traits_of_config
from .registry import TransformerEntry, transformers
from .runtime import check_gpu, load_pipeline, resolve_gpu


@dataclass(frozen=True)
class TransformerChoice:
    """Weights for a transformer config, and the budget that goes with them."""

    name: str  # Hugging Face name or local folder
    lowercase: bool
    key: Optional[str] = None  # the vars.transformers entry it came from
    label: Optional[str] = None  # how tables name it
    max_steps: int = 0  # 0: the config's
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainRequest:
    """One training: what `scripts.train`, chunks, tuning and levers all ask for.

    `overrides` are config settings by dotted key ({"training.dropout": 0.2});
    `chunk_steps` > 0 trains in saved chunks (bioner.chunks)."""

    config: Path
    output: Path
    corpus_dir: Path
    gpu: str = "auto"
    transformer: Optional[TransformerChoice] = None
    max_steps: int = 0
    eval_frequency: int = 0
    overrides: Mapping[str, Any] = field(default_factory=dict)
    seed: Optional[int] = None
    chunk_steps: int = 0


def choose_transformer(value: str, project_file: Path = Path(PROJECT_FILE), lowercase: bool = False) -> TransformerChoice:
    """A key of vars.transformers, or else a Hugging Face name / folder used
    with `lowercase` as given."""
    table = transformers(project_file)
    if value not in table:
        return TransformerChoice(value, lowercase)
    return transformer_choice(value, table[value])


def transformer_choice(key: str, entry: TransformerEntry) -> TransformerChoice:
    name = entry.name
    if entry.package:
        # weights shipped inside a Python package (the offline stand-in)
        try:
            module = importlib.import_module(entry.package)
        except ImportError:
            raise BionerError(f"vars.transformers.{key}: package {entry.package!r} is not "
                              f"installed (pip install -r requirements.txt -c constraints.txt)") from None
        name = str(Path(module.__file__).parent / entry.folder)
    return TransformerChoice(str(name), entry.lowercase, key, entry.label, entry.max_steps, dict(entry.overrides))


def parse_settings(text: str) -> Dict[str, Any]:
    """'training.dropout=0.2 training.batcher.size=800' -> config overrides,
    values parsed as spacy train parses its command line (JSON, else a
    string). Only single quotes group words: double quotes are JSON's and
    stay in the value, as written (embed.attrs=["NORM","SHAPE"]) or escaped
    (embed.attrs=[\\"NORM\\"]): weasel turns a var's \\" into " on the
    command line, and cannot take a bare " in a var."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split, lexer.quotes = True, "'"
    args = []
    for item in lexer:
        key, sep, value = item.partition("=")
        if not sep or not key.strip("-"):
            raise BionerError(
                f"--overrides: {item!r} is not a setting; expected section.key=value pairs "
                f"such as 'training.batcher.size=800 training.dropout=0.2'"
            )
        args.append(f"--{key.lstrip('-')}={value}")
    return parse_config_overrides(args)


def settings_text(settings: Mapping[str, Any]) -> str:
    """Settings as "section.key=value" words, for tables and logs (values as
    JSON, strings as they are)."""
    return " ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in settings.items())


def config_keys(config: Dict[str, Any], prefix: str = "") -> Dict[str, None]:
    """Every section and setting of a config as a dotted key."""
    keys: Dict[str, None] = {}
    for name, value in config.items():
        key = f"{prefix}.{name}" if prefix else name
        keys[key] = None
        if isinstance(value, dict):
            keys.update(config_keys(value, key))
    return keys


def check_setting_keys(settings: Dict[str, Any], config: Dict[str, Any], config_path: Path) -> None:
    """A misspelt setting would be accepted silently by the config system
    and train with the default; reject it and name the closest key."""
    known = config_keys(config)
    for key in settings:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise BionerError(f"--overrides: '{key}' is not a setting of {config_path}{hint}")


def eval_frequency_for(max_steps: int, frequency: int) -> int:
    """spaCy evaluates at step 0 and every eval_frequency steps and saves the
    best as model-best; steps after the last evaluation are never candidates
    (a budget shorter than eval_frequency would even leave the untrained
    step-0 model). With a step budget, evaluate up to twice as often as asked
    where that makes the last step an evaluation: 450 steps, every 200 -> 150."""
    if max_steps <= 0:
        return frequency
    if max_steps < frequency:
        return max_steps
    divisors = [d for d in range(frequency, (frequency - 1) // 2, -1) if max_steps % d == 0]
    return divisors[0] if divisors else frequency


def build_overrides(request: TrainRequest, log_path: Path) -> Dict[str, Any]:
    """Config overrides for one run. The transformer choice (weights, budget)
    applies only when the config has a transformer; `seed` only where it is
    not the config's (so a model trained before seeds existed stays up to date)."""
    config_path, corpus_dir, transformer = request.config, request.corpus_dir, request.transformer
    config = load_config(config_path, interpolate=False)
    overrides: Dict[str, Any] = {
        "paths.train": str(CorpusDir(corpus_dir).docbin("train")),
        "paths.dev": str(CorpusDir(corpus_dir).docbin("dev")),
        "paths.log": str(log_path),
    }
    if request.seed is not None and request.seed != config["system"].get("seed"):
        overrides["system.seed"] = request.seed
    max_steps, settings = request.max_steps, dict(request.overrides)
    prefix = transformer_model(request)
    if prefix is not None:
        overrides[f"{prefix}.name"] = transformer.name
        overrides[f"{prefix}.tokenizer_config.do_lower_case"] = transformer.lowercase
        max_steps = max_steps or transformer.max_steps
        settings = {**transformer.overrides, **settings}
    if max_steps > 0:
        overrides["training.max_steps"] = max_steps
        # a short budget still gets a full warm-up and decay: warm up for 10%
        # of the steps (at most the config's warm-up)
        learn_rate = config["training"]["optimizer"].get("learn_rate")
        if isinstance(learn_rate, dict) and "warmup_steps" in learn_rate:
            warmup = min(int(learn_rate["warmup_steps"]), max(1, max_steps // 10))
            overrides["training.optimizer.learn_rate.warmup_steps"] = warmup
    if request.eval_frequency > 0:
        overrides["training.eval_frequency"] = request.eval_frequency
    frequency = int(overrides.get("training.eval_frequency", config["training"]["eval_frequency"]))
    if eval_frequency_for(max_steps, frequency) != frequency:
        overrides["training.eval_frequency"] = eval_frequency_for(max_steps, frequency)
    check_setting_keys(settings, config, config_path)
    overrides.update(settings)
    return overrides


def transformer_model(request: TrainRequest) -> Optional[str]:
    """`components.<transformer>.model` where the request's weights apply:
    a transformer was chosen and the config has one (read from the config)."""
    if request.transformer is None:
        return None
    traits = traits_of_config(load_config(request.config, interpolate=True), where=str(request.config))
    return f"components.{traits.transformer_component}.model" if traits.has_transformer else None


def dev_curve(log_path: Path) -> Dict[str, Any]:
    """Best dev score, its step, and the last step, from spaCy's JSONL log."""
    rows = [r for r in srsly.read_jsonl(log_path) if "score" in r] if Path(log_path).exists() else []
    if not rows:
        raise BionerError(f"{log_path}: no evaluation in the training log")
    best = max(rows, key=lambda r: r["score"])
    return {"dev_f": round(best["scores"]["ents_f"], 2), "best_step": best["step"], "last_step": rows[-1]["step"]}


def fingerprint(config_path: Path, overrides: Dict[str, Any], corpus_dir: Path) -> str:
    """What a training depends on: config, settings, data, and the content of
    any other file a `paths.*` setting names (vectors, pretrained weights)."""
    h = hashlib.sha256(Path(config_path).read_bytes())
    h.update(json.dumps({k: v for k, v in overrides.items() if k != "paths.log"}, sort_keys=True).encode())
    for split in ("train", "dev"):
        h.update(CorpusDir(corpus_dir).docbin(split).read_bytes())
    for key in sorted(k for k in overrides if k.startswith("paths.") and k not in ("paths.train", "paths.dev", "paths.log")):
        path = Path(str(overrides[key]))
        for part in sorted(path.rglob("*")) if path.is_dir() else [path] if path.is_file() else []:
            if part.is_file():
                h.update(str(part.relative_to(path) if part != path else "").encode() + part.read_bytes())
    return h.hexdigest()


def is_up_to_date(output: TrainingDir, stamp: str) -> bool:
    return (
        output.model_best.exists()
        and output.stamp.exists()
        and srsly.read_json(output.stamp).get("fingerprint") == stamp
    )


def check_replaceable(output: TrainingDir) -> None:
    """An existing folder that no training of ours made is never replaced."""
    if output.path.exists() and not output.is_training:
        raise BionerError(
            f"{output.path}: exists and is not a training output of this project (no {output.stamp.name}); "
            f"refusing to replace it. Give a new folder, e.g. training/<corpus>/<model>."
        )


def export_tok2vec(model_dir: Path, path: Path) -> bool:
    """Write the weights of `model_dir`'s tok2vec component (if it has one)
    in the format `spacy pretrain` writes and [initialize] init_tok2vec reads."""
    config = model_dir / "config.cfg"
    if not config.exists() or "tok2vec" not in load_config(config)["nlp"]["pipeline"]:
        return False
    path.write_bytes(load_pipeline(model_dir).get_pipe("tok2vec").model.to_bytes())
    return True


def transformer_record(request: TrainRequest) -> Dict[str, Any]:
    """The stamp's note of the weights used, where they applied."""
    transformer = request.transformer
    if transformer_model(request) is None:
        return {}
    return {"transformer": {"key": transformer.key, "label": transformer.label, "name": transformer.name}}


def train(request: TrainRequest) -> None:
    """Train as `request` says: in one run, or in saved chunks."""
    if request.chunk_steps > 0:
        from .chunks import train_in_chunks  # chunks build on train_pipeline

        train_in_chunks(request)
    else:
        train_pipeline(request)


def train_pipeline(request: TrainRequest) -> None:
    """Train `request.config` into `request.output` (model-best/, model-last/,
    the JSONL log, the fingerprint and the tok2vec weights)."""
    corpus_dir, output = request.corpus_dir, TrainingDir(request.output)
    for split in ("train", "dev"):
        if not CorpusDir(corpus_dir).docbin(split).exists():
            raise BionerError(f"{CorpusDir(corpus_dir).docbin(split)} not found. Run the convert step first.")
    check_gpu(request.gpu)  # a GPU that does not exist is an error even when nothing is to train
    check_replaceable(output)
    settings = build_overrides(request, output.log)
    stamp = fingerprint(request.config, settings, corpus_dir)
    if is_up_to_date(output, stamp):
        good(f"{output.path}: already trained with this config and data, skipping")
        return
    gpu_id = resolve_gpu(request.gpu, "Training")
    prefix = transformer_model(request)
    if gpu_id < 0 and prefix is not None:
        # fp16 autocast and grad scaling need CUDA
        settings[f"{prefix}.mixed_precision"] = False
        settings[f"{prefix}.grad_scaler_config.enabled"] = False
    partial = output.partial
    shutil.rmtree(partial.path, ignore_errors=True)  # leftovers of an interrupted run
    partial.path.mkdir(parents=True)
    settings["paths.log"] = str(partial.log)
    start = time.time()
    try:
        spacy_train(request.config, partial.path, use_gpu=gpu_id, overrides=settings)
        seconds = round(time.time() - start, 1)
        if not partial.model_best.exists():
            # no evaluation ran (max_steps < eval_frequency): the last model is the best we have
            shutil.copytree(partial.model_last, partial.model_best)
        export_tok2vec(partial.model_best, partial.tok2vec)
    except BaseException:
        shutil.rmtree(partial.path, ignore_errors=True)  # Ctrl-C, SIGTERM, an error: no half model
        raise
    record = {"fingerprint": stamp, "config": str(request.config), "overrides": settings,
              "gpu": gpu_id, "train_seconds": seconds, **transformer_record(request)}
    srsly.write_json(partial.stamp, record)
    replace_path(partial.path, output.path)
    good(f"Saved {output.model_best}")
