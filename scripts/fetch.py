"""Fetch a corpus's train/dev/test files into assets/<corpus>/ and verify them.

Files come from the public URL in project.yml (vars.corpora.<corpus>.url), or,
when a mirror folder is given (--mirror or the BIONER_MIRROR environment
variable), from <mirror>/<mirror_dir>/<file>. Every file is checked against
the git blob ids in project.yml (the ids GitHub shows for the upstream files,
so a download and a mirror copy are checked the same way); a mismatch stops
the run. Nothing is left in assets/ unless it passed the check.
"""
import hashlib
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from .common import SPLITS, BionerError, atomic_path, corpus_facts, run_cli


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


def copy_or_download(source: str, dest: Path) -> None:
    if "://" not in source:
        if not Path(source).is_file():
            raise BionerError(
                f"{source}: missing in the mirror. Check BIONER_MIRROR (or --mirror): it "
                f"must be a folder laid out like <mirror>/<mirror_dir>/<file>."
            )
        shutil.copyfile(source, dest)
        return
    try:
        with urllib.request.urlopen(source, timeout=60) as response, dest.open("wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError) as err:
        raise BionerError(
            f"{source}: download failed ({err}). Check the network, or set BIONER_MIRROR "
            f"to a local copy of the files (see README, 'Offline use')."
        ) from None


def fetch(
    corpus: str = typer.Argument(..., help="Corpus name, a key of vars.corpora in project.yml"),
    assets_dir: Path = typer.Option(Path("assets"), help="Where <corpus>/<split>.tsv go"),
    mirror: Optional[str] = typer.Option(
        None, envvar="BIONER_MIRROR", help="Local folder to copy the files from instead of the URLs"
    ),
) -> None:
    """Fetch and verify the train/dev/test files of CORPUS."""
    facts = corpus_facts(corpus)
    for split in SPLITS:
        entry = facts["files"][split]
        expected = entry["git_blob"]
        expected = [expected] if isinstance(expected, str) else list(expected)
        dest = assets_dir / corpus / f"{split}.tsv"
        if mirror:
            source = str(Path(mirror) / facts["mirror_dir"] / entry["file"])
        else:
            source = f"{facts['url']}/{entry['file']}"
        if dest.exists() and git_blob_id(dest) in expected:
            msg.good(f"{dest}: up to date")
            continue
        with atomic_path(dest) as tmp:
            copy_or_download(source, tmp)
            verify(tmp, expected, source)
        msg.good(f"{dest}: fetched from {source}")


if __name__ == "__main__":
    run_cli(lambda: typer.run(fetch))
