"""Prove that a packaged pipeline is self-contained: install its wheel into a
fresh virtual environment (pinned by constraints.txt), then load it by name
from an empty folder with the network off, and tag a sentence.
"""
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from .common import PROJECT_DIR, BionerError, run_cli, write_json_atomic

SAMPLE = (
    "IL-2 gene expression and NF-kappa B activation through CD28 requires reactive "
    "oxygen production by 5-lipoxygenase in human T cells treated with cisplatin."
)
# Runs inside the fresh venv: load by name, print labels and entities as JSON.
PROBE = """
import json, sys, spacy
nlp = spacy.load(sys.argv[1])
doc = nlp(sys.argv[2])
print(json.dumps({"name": sys.argv[1], "pipeline": nlp.pipe_names,
                  "labels": list(nlp.get_pipe("ner").labels),
                  "ents": [[e.start_char, e.end_char, e.label_, e.text] for e in doc.ents]}))
"""
# Make any attempt to reach the network fail at once.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
}


def find_wheel(path: Path) -> Path:
    wheels = [path] if path.suffix == ".whl" else sorted(path.glob("**/*.whl"))
    if len(wheels) != 1:
        raise BionerError(f"{path}: expected one wheel, found {len(wheels)}. Run the package step.")
    return wheels[0]


def check_wheel(wheel: Path, text: str = SAMPLE) -> dict:
    """Install `wheel` in a new venv and load it offline; return what it saw."""
    name = wheel.name.split("-")[0]
    with tempfile.TemporaryDirectory(prefix="bioner-check-") as tmp:
        env_dir = Path(tmp) / "venv"
        venv.create(env_dir, with_pip=True)
        python = str(env_dir / "bin" / "python")
        msg.info(f"Installing {wheel.name} into a fresh venv")
        install = subprocess.run(
            [python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "-c", str(PROJECT_DIR / "constraints.txt"), str(wheel.resolve())],
            capture_output=True, text=True,
        )
        if install.returncode != 0:
            raise BionerError(
                f"{wheel}: pip install into a fresh venv failed (is the package index reachable?): "
                f"{install.stderr.strip()[-1500:]}"
            )
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env.update(OFFLINE_ENV)
        result = subprocess.run(
            [python, "-c", PROBE, name, text], cwd=tmp, env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise BionerError(f"{wheel.name}: spacy.load('{name}') failed offline:\n{result.stderr[-2000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])


def check_package(
    path: Path = typer.Argument(..., exists=True, help="A wheel, or a folder holding one"),
    output: Optional[Path] = typer.Option(None, help="Write what the check saw as JSON"),
) -> None:
    """Install the wheel in a fresh venv and load it by name offline."""
    info = check_wheel(find_wheel(path))
    if output:
        write_json_atomic(output, info)
    msg.good(f"spacy.load('{info['name']}') works offline: pipeline {info['pipeline']}, labels {info['labels']}")
    msg.info(f"Entities in the sample sentence: {[tuple(e[2:]) for e in info['ents']]}")


if __name__ == "__main__":
    sys.exit(run_cli(check_package))
