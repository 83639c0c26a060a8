"""Helpers shared by the bioner scripts: corpus facts, atomic writes, errors."""
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator

import srsly
from wasabi import msg

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT_FILE = PROJECT_DIR / "project.yml"
SPLITS = ("train", "dev", "test")


class BionerError(Exception):
    """An error the user can fix: printed as one line, without a traceback."""


def fail(message: str) -> None:
    """Print a one-line error and exit non-zero (no traceback)."""
    msg.fail(message)
    sys.exit(1)


def run_cli(app_main) -> None:
    """Run a typer CLI, turning BionerError into a clean one-line failure."""
    try:
        app_main()
    except BionerError as err:
        fail(str(err))


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
