"""Writing outputs so that a failed or interrupted step leaves the previous
complete output, or none: never a half-written file or a mix of old and new.
"""
import contextlib
import os
import shutil
import signal
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Sequence

import srsly

from .errors import BionerError


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM that arrive in the block are delivered after it:
    a swap of outputs is then either not begun or complete, with nothing
    left aside (a kill in its middle used to leave `.<name>.<id>.old`)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be set from the main thread
        return
    caught = []
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            signal.raise_signal(caught[0])


def replace_path(new: Path, path: Path) -> None:
    """Move `new` (file or folder) to `path`. An existing folder at `path` is
    renamed aside first, and removed only once the new one is in place."""
    path = Path(path)
    if not (path.is_dir() and not path.is_symlink()):
        os.replace(new, path)
        return
    aside = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
    with signals_deferred():
        os.replace(path, aside)
        try:
            os.replace(new, path)
        except BaseException:
            os.replace(aside, path)  # put the previous output back
            raise
        shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it into place only if the
    block finishes. Works for files and folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    target = tmp / path.name
    try:
        yield target
        replace_path(target, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def atomic_paths(paths: Sequence[Path], folder: Path) -> Iterator[Dict[Path, Path]]:
    """All or nothing for several outputs in `folder`: yield {path: temporary
    path}; when the block finishes they replace the old ones, the last path
    last (put a file that marks the set complete, e.g. stats.json, last).
    On an error nothing is changed, and `folder` is removed again if this
    call created it and it is still empty. An OSError becomes a BionerError."""
    folder = Path(folder)
    created = not folder.exists()
    try:
        with contextlib.ExitStack() as stack:
            # exits run last-in first-out: enter the last path first
            tmps = {p: stack.enter_context(atomic_path(p)) for p in reversed(list(paths))}
            yield {p: tmps[p] for p in paths}
    except BaseException as err:
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: we made it and nothing got in
        if isinstance(err, OSError):
            raise BionerError(
                f"{folder}: cannot write ({err.strerror or err}); nothing was changed. "
                f"Check free disk space and permissions."
            ) from None
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    with atomic_path(path) as tmp:
        srsly.write_json(tmp, data)


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf8")
