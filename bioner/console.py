"""Console output and the CLI wrapper every script uses.

wasabi's `msg` wraps every message at 80 columns, which splits a long path or
error over lines; messages here print as one line each, errors on stderr.
"""
import signal
import sys
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import typer
from wasabi import table as wasabi_table

from .errors import BionerError

ICONS = {"good": "\u2714", "info": "\u2139", "warn": "\u26a0", "fail": "\u2718"}


def say(kind: str, message: str) -> None:
    """Print `<icon> message` as one line: good/info on stdout, warn/fail on stderr."""
    stream = sys.stderr if kind in ("warn", "fail") else sys.stdout
    print(f"{ICONS[kind]} {' '.join(str(message).splitlines())}", file=stream, flush=True)


def good(message: str) -> None:
    say("good", message)


def info(message: str) -> None:
    say("info", message)


def warn(message: str) -> None:
    say("warn", message)


def print_table(rows: Sequence[Sequence[object]], header: Sequence[str], aligns: Sequence[str]) -> None:
    """A plain-text table on stdout (wasabi's layout)."""
    print(wasabi_table([list(map(str, r)) for r in rows], header=list(header), aligns=list(aligns)), flush=True)


def _terminate(signum, frame) -> None:
    # SIGTERM (a kill, a scheduler's time limit) unwinds like Ctrl-C: every
    # `finally` runs, so temporary outputs are removed and nothing half-written stays
    raise SystemExit(128 + signum)


def run_cli(command: Callable, argv: Optional[List[str]] = None) -> int:
    """Run a typer command; return its exit status. A BionerError or a bad
    command line becomes one line on stderr (no traceback, no usage panel)
    and status 1 or 2; Ctrl-C gives 130 and SIGTERM 143, after cleaning up."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    app.command()(command)
    prog = f"python -m scripts.{Path(command.__code__.co_filename).stem}"
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        result = app(args=argv, prog_name=prog, standalone_mode=False)
    except typer.Abort:
        print("Aborted!", file=sys.stderr, flush=True)
        return 130
    except typer.Exit as exit_:
        return exit_.exit_code
    except typer.TyperException as err:  # a bad command line (typer's click exceptions)
        say("fail", f"{err.format_message()} (see `{prog} --help`)")
        return getattr(err, "exit_code", 2)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BionerError as err:
        say("fail", str(err))
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    return result if isinstance(result, int) else 0
