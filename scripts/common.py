"""Helpers shared by the bioner scripts: corpus facts, atomic writes, errors."""
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import srsly
import typer

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT_FILE = PROJECT_DIR / "project.yml"
SPLITS = ("train", "dev", "test")


from bioner.errors import BionerError  # noqa: E402


# Console output. wasabi's msg wraps every message at 80 columns, which splits
# a long path or error over lines; errors print as one line each instead.
ICONS = {"good": "\u2714", "info": "\u2139", "warn": "\u26a0", "fail": "\u2718"}


def say(kind: str, message: str) -> None:
    """Print `<icon> message` as one line: good/info on stdout, warn/fail on stderr."""
    stream = sys.stderr if kind in ("warn", "fail") else sys.stdout
    print(f"{ICONS[kind]} {' '.join(str(message).splitlines())}", file=stream, flush=True)


def run_cli(command: Callable, argv: Optional[List[str]] = None) -> int:
    """Run a typer command; return its exit status. A BionerError becomes one
    line on stderr (no traceback) and status 1."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(command)
    try:
        app(args=argv, prog_name=f"python -m scripts.{Path(command.__code__.co_filename).stem}")
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BionerError as err:
        say("fail", str(err))
        return 1
    return 0


def has_pytorch_encoder(model_dir: Path) -> bool:
    """Whether the pipeline's tok2vec is spaCy's PyTorch BiLSTM (torch needed
    at run time, and its workers must not be forked after torch has run)."""
    return "TorchBiLSTMEncoder" in (Path(model_dir) / "config.cfg").read_text(encoding="utf8")


def corpus_facts(corpus: str, project_file: Path = PROJECT_FILE) -> Dict[str, Any]:
    """Return the facts about one corpus (URLs, checksums, licence, package
    suffix ...) from the `corpora` var of project.yml, the one place they live.
    """
    corpora = srsly.read_yaml(project_file)["vars"]["corpora"]
    if corpus not in corpora:
        raise BionerError(
            f"Unknown corpus '{corpus}'. Known corpora: {', '.join(sorted(corpora))}. "
            f"Add an entry under vars.corpora in {project_file.name} to use another one."
        )
    return corpora[corpus]


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it into place only if the
    block finishes, so an interrupted step never leaves a half-written output.
    Works for files and directories.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    target = tmp / path.name
    try:
        yield target
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(target, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_json_atomic(path: Path, data: Any) -> None:
    with atomic_path(path) as tmp:
        srsly.write_json(tmp, data)
