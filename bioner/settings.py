"""Check the Makefile's settings before anything runs with them.

weasel pastes `--vars.*` values into command strings before any of our code
runs, and make pastes its variables into shell lines: a value with a quote,
`$` or `;` could run a command. So every setting must be one of the safe
shapes below; a bad one stops with one line naming it. The values are read
from the environment (make exports them), never from a shell line.
"""
import re
from typing import Dict, List, Mapping

from .layout import Layout
from .registry import load_registry, project_vars, transformers
from .errors import BionerError

NAME = re.compile(r"^[A-Za-z0-9_-]+$")
GPU = re.compile(r"^(auto|-1|[0-9]+)$")
STEPS = re.compile(r"^[0-9]+$")
TRANSFORMER = re.compile(r"^[A-Za-z0-9_./-]+$")  # a vars.transformers key, HF name or folder
# a value may be a path (paths.vectors=corpus/text/vectors): "/" is harmless in a shell word
OVERRIDE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+=[A-Za-z0-9_.+/-]+$")


def _fail(setting: str, value: str, what: str) -> BionerError:
    return BionerError(f"{setting}={value!r}: {what}")


def check_settings(env: Mapping[str, str], layout: Layout = Layout()) -> Dict[str, str]:
    """Validate the settings present in `env`; return them."""
    registry = load_registry(layout.project_file)
    checked = {}
    for setting in ("CORPUS", "BENCH_CORPORA"):
        for corpus in env.get(setting, "").split():
            if corpus not in registry:
                raise _fail(setting, corpus, f"not a corpus; known: {', '.join(sorted(registry))}")
    for setting in ("MODELS", "BENCH_MODELS"):
        for model in env.get(setting, "").split():
            if not NAME.match(model) or not layout.config(model).is_file():
                known = ", ".join(sorted(p.stem for p in layout.configs.glob("*.cfg")))
                raise _fail(setting, model, f"no such config in configs/; known: {known}")
    if env.get("GPU") and not GPU.match(env["GPU"]):
        raise _fail("GPU", env["GPU"], "must be auto, -1 (CPU) or a GPU id")
    if env.get("STEPS") and not STEPS.match(env["STEPS"]):
        raise _fail("STEPS", env["STEPS"], "must be a whole number of steps")
    if env.get("SEED") and not STEPS.match(env["SEED"]):
        raise _fail("SEED", env["SEED"], "must be a whole number")
    if env.get("TRANSFORMER"):
        table = transformers(layout.project_file)
        value = env["TRANSFORMER"]
        if value not in table and not TRANSFORMER.match(value):
            raise _fail("TRANSFORMER", value, f"must be one of {', '.join(sorted(table))}, or a Hugging Face "
                                              f"name or folder (letters, digits, _ . / -)")
    for token in env.get("TRAIN_OVERRIDES", "").split():
        if not OVERRIDE.match(token):
            raise _fail("TRAIN_OVERRIDES", token, "settings are section.key=value with a plain value "
                                                 "(letters, digits, _ . + / -), e.g. training.dropout=0.2")
    for setting in ("CORPUS", "MODELS", "GPU", "STEPS", "SEED", "TRANSFORMER", "TRAIN_OVERRIDES", "BENCH_CORPORA", "BENCH_MODELS"):
        if env.get(setting):
            checked[setting] = env[setting]
    return checked


def workflow_args(corpus: str, layout: Layout = Layout()) -> List[str]:
    """The weasel workflow (and vars) that `make all` runs for `corpus`:
    `all`, or `all-linked` for a corpus whose gold ids name concepts."""
    entry = load_registry(layout.project_file)[corpus or project_vars(layout.project_file)["corpus"]]
    return ["all-linked", "--vars.final", "model-linked"] if entry.concepts else ["all"]
