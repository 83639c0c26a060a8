"""Fetch a corpus's train/dev/test files into assets/<corpus>/ and verify them.

Files come from the public URL in project.yml (vars.corpora.<corpus>.url), or,
when a mirror folder is given (--mirror or the BIONER_MIRROR environment
variable), from <mirror>/<mirror_dir>/<file>. Every file is checked against
the git blob ids in project.yml (the ids GitHub shows for the upstream files,
so a download and a mirror copy are checked the same way); a mismatch stops
the run.

All or nothing: the files are fetched to temporary files and moved into
assets/<corpus>/ only when every one of them passed the check. A missing
mirror file, a failed download or a checksum mismatch stops the run with one
line saying what to do, and leaves assets/ as it was.
"""
import contextlib
import hashlib
import http.client
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer

from .common import PROJECT_FILE, SPLITS, BionerError, atomic_path, corpus_facts, run_cli, say

DOWNLOAD_TIMEOUT_S = 60


def git_blob_id(path: Path) -> str:
    """The id git gives a file's content (sha1 of 'blob <size>\\0' + bytes)."""
    data = Path(path).read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def verify(path: Path, expected: List[str], source: str) -> None:
    actual = git_blob_id(path)
    if actual not in expected:
        raise BionerError(
            f"{source}: checksum mismatch (git blob {actual}, expected "
            f"{' or '.join(expected)}). The file is truncated or not the one the project "
            f"expects: fetch it again, or update vars.corpora in project.yml if you mean "
            f"to use another version."
        )


def missing_in_mirror(source: str) -> BionerError:
    return BionerError(
        f"{source}: missing in the mirror. Check BIONER_MIRROR (or --mirror): it "
        f"must be a folder laid out like <mirror>/<mirror_dir>/<file>."
    )


def copy_or_download(source: str, dest: Path) -> None:
    if "://" not in source:
        if not Path(source).is_file():
            raise missing_in_mirror(source)
        shutil.copyfile(source, dest)
        return
    try:
        with urllib.request.urlopen(source, timeout=DOWNLOAD_TIMEOUT_S) as response, dest.open("wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as err:
        if isinstance(err, urllib.error.HTTPError):
            reason = f"HTTP {err.code} {err.reason}"
        else:
            reason = f"{type(err).__name__}: {getattr(err, 'reason', None) or err}"
        raise BionerError(
            f"{source}: download failed ({reason}). Check the network "
            f"and the url in project.yml, or set BIONER_MIRROR to a local copy of the files "
            f"(see README, 'Offline use')."
        ) from None


def file_entries(corpus: str, facts: Dict[str, Any], project_file: Path) -> Dict[str, Dict[str, Any]]:
    """The files.<split> entries of a corpus, checked for what fetch needs."""
    where = f"{Path(project_file).name}: vars.corpora.{corpus}"
    entries = {}
    for split in SPLITS:
        entry = (facts.get("files") or {}).get(split)
        if not isinstance(entry, dict) or not entry.get("file") or not entry.get("git_blob"):
            raise BionerError(
                f"{where}.files.{split} must have `file` and `git_blob`. Fix the corpus entry "
                f"(see README, 'Adding a corpus')."
            )
        expected = entry["git_blob"]
        entries[split] = {
            "file": entry["file"],
            "expected": [expected] if isinstance(expected, str) else [str(e) for e in expected],
        }
    return entries


def fetch(
    corpus: str = typer.Argument(..., help="Corpus name, a key of vars.corpora in project.yml"),
    assets_dir: Path = typer.Option(Path("assets"), help="Where <corpus>/<split>.tsv go"),
    mirror: Optional[str] = typer.Option(
        None, envvar="BIONER_MIRROR", help="Local folder to copy the files from instead of the URLs"
    ),
    project_file: Path = typer.Option(
        PROJECT_FILE, help="project.yml that describes CORPUS under vars.corpora"
    ),
) -> None:
    """Fetch and verify the train/dev/test files of CORPUS (all or nothing)."""
    if not Path(project_file).is_file():
        raise BionerError(f"{project_file}: project file not found. Run from the project folder.")
    facts = corpus_facts(corpus, project_file)
    entries = file_entries(corpus, facts, project_file)
    key = "mirror_dir" if mirror else "url"
    if not facts.get(key):
        raise BionerError(
            f"{Path(project_file).name}: vars.corpora.{corpus} has no `{key}`. Add it, or "
            + ("fetch without BIONER_MIRROR / --mirror." if mirror else "use BIONER_MIRROR / --mirror.")
        )
    if mirror and not Path(mirror).is_dir():
        raise BionerError(
            f"{mirror}: mirror folder not found (absolute: {Path(mirror).resolve()}), from "
            f"BIONER_MIRROR or --mirror. Point it at a folder holding {facts['mirror_dir']}/, or "
            f"unset it to download."
        )
    plan = []
    for split, entry in entries.items():
        dest = assets_dir / corpus / f"{split}.tsv"
        if mirror:
            source = str(Path(mirror) / facts["mirror_dir"] / entry["file"])
        else:
            source = f"{facts['url']}/{entry['file']}"
        if dest.exists() and git_blob_id(dest) in entry["expected"]:
            say("good", f"{dest}: up to date")
            continue
        if mirror and not Path(source).is_file():  # checked before anything is copied
            raise missing_in_mirror(source)
        plan.append((dest, source, entry["expected"]))
    corpus_dir = assets_dir / corpus
    created = not corpus_dir.exists()
    try:
        with contextlib.ExitStack() as stack:
            for dest, source, expected in plan:
                tmp = stack.enter_context(atomic_path(dest))
                copy_or_download(source, tmp)
                verify(tmp, expected, source)
            # leaving the block moves every verified file into place
    except BaseException as err:
        if created:
            with contextlib.suppress(OSError):
                corpus_dir.rmdir()  # only if empty
        if isinstance(err, OSError):
            raise BionerError(
                f"{corpus_dir}: cannot write ({err.strerror or err}); nothing was changed. "
                f"Check free disk space and permissions."
            ) from None
        raise
    for dest, source, _ in plan:
        say("good", f"{dest}: fetched from {source}")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(fetch, argv)


if __name__ == "__main__":
    sys.exit(main())
