"""Run a library function in a child process, with everything it prints in
a log file: how the lab runs trainings (tuning trials, lever runs) so that
each has its own log, its own memory, and a failure that ends the run, not
the series.

The child is spawned (a fresh interpreter: no state shared with the
parent, CUDA-safe). A stop of the parent (Ctrl-C, SIGTERM) stops the child
with SIGTERM first, which bioner turns into SystemExit so that a training
removes its partial output, then waits for it.
"""
import contextlib
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence

from .console import say
from .errors import BionerError

# seconds a stopped child gets to clean up before it is killed
GRACE_SECONDS = 60


def _child(target: Callable, args: Sequence[Any], log: str, kwargs: Dict[str, Any]) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        target(*args, **kwargs)
    except BionerError as err:
        say("fail", str(err))
        sys.exit(1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def start_logged(target: Callable, args: Sequence[Any], log: Path, title: str = "",
                 kwargs: Optional[Dict[str, Any]] = None) -> multiprocessing.process.BaseProcess:
    """Start `target(*args, **kwargs)` in a child process, its output appended
    to `log` (under a header line with `title` and the time)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf8") as fh:  # a re-run appends: a run that only skips keeps the earlier log
        fh.write(f"\n$ {title or target.__name__}  # {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    process = multiprocessing.get_context("spawn").Process(
        target=_child, args=(target, tuple(args), str(log), dict(kwargs or {})))
    process.start()
    return process


def stop(process: multiprocessing.process.BaseProcess) -> None:
    """SIGTERM (the child cleans up), then kill after GRACE_SECONDS."""
    process.terminate()
    process.join(GRACE_SECONDS)
    with contextlib.suppress(Exception):
        process.kill()  # nothing once it has exited
    process.join()


def run_logged(target: Callable, args: Sequence[Any], log: Path, title: str = "") -> int:
    """Run `target(*args)` in a child process with its output in `log`;
    return its exit status (0: done, 1: a BionerError, whose line is the log's last)."""
    process = start_logged(target, args, log, title)
    try:
        process.join()
    except BaseException:
        stop(process)
        raise
    return process.exitcode if process.exitcode is not None else 1
