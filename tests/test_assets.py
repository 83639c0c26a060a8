"""Fetch failures: a missing mirror file, a failed download and a checksum
mismatch each stop with one line saying what to do, exit status 1, and leave
nothing in assets/ (fetching is all or nothing). Runs against a temporary
project.yml with a toy corpus; downloads go to a local HTTP server or to an
unreachable address, never to the network.
"""
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, corpus_entry, files_under, run_main, write_project

from bioner import assets
from bioner.registry import load_registry
from scripts import fetch

FILES = {"train": "train.tsv", "dev": "devel.tsv", "test": "test.tsv"}
UNREACHABLE = "http://127.0.0.1:9/x"  # discard port: connection refused at once


class Toy:
    def __init__(self, root: Path, capsys, monkeypatch):
        self.root = root
        self.capsys = capsys
        monkeypatch.delenv("BIONER_MIRROR", raising=False)
        self.mirror = root / "mirror"
        self.assets = root / "assets"
        self.content = {}
        for split, name in FILES.items():
            self.content[split] = f"IL-2\tB-protein\n{split}\tO\n\n".encode()
            path = self.mirror / "TOY" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self.content[split])
        self.project_file = root / "project.yml"
        self.set_url(UNREACHABLE)

    def set_url(self, url: str) -> None:
        files = {
            split: {"file": name, "git_blob": [assets.git_blob_id(self.mirror / "TOY" / name)]}
            for split, name in FILES.items()
        }
        write_project(self.root, {"toy": corpus_entry(url=url, mirror_dir="TOY", files=files)})

    def run(self, *extra: str):
        argv = ["toy", "--root", str(self.root)]
        return run_main(self.capsys, fetch.main, argv + list(extra))

    def assets_files(self):
        return files_under(self.assets)


@pytest.fixture
def toy(tmp_path, capsys, monkeypatch):
    return Toy(tmp_path, capsys, monkeypatch)


def one_error_line(err: str, out: str) -> str:
    assert "Traceback" not in out + err
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("\u2718 ")
    return lines[0]


@pytest.fixture
def http_root(tmp_path):
    """A local HTTP server serving tmp_path/www; yields (folder, base url)."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_from_mirror(toy):
    rc, out, err = toy.run("--mirror", str(toy.mirror))
    assert rc == 0, err
    for split in FILES:
        assert (toy.assets / "toy" / f"{split}.tsv").read_bytes() == toy.content[split]
    assert toy.assets_files() == ["toy", "toy/dev.tsv", "toy/test.tsv", "toy/train.tsv"]
    rc, out, err = toy.run("--mirror", str(toy.mirror))
    assert rc == 0 and out.count("up to date") == 3


def test_mirror_from_environment(toy, monkeypatch):
    monkeypatch.setenv("BIONER_MIRROR", str(toy.mirror))
    rc, out, err = toy.run()
    assert rc == 0, err
    assert len(toy.assets_files()) == 4


def test_missing_mirror_file(toy):
    missing = toy.mirror / "TOY" / "devel.tsv"
    missing.unlink()
    rc, out, err = toy.run("--mirror", str(toy.mirror))
    assert rc == 1
    line = one_error_line(err, out)
    assert line.startswith(f"\u2718 {missing}: missing in the mirror. Check BIONER_MIRROR (or --mirror)")
    assert toy.assets_files() == []  # train.tsv was fine, but nothing is copied


def test_missing_mirror_folder(toy):
    rc, out, err = toy.run("--mirror", str(toy.root / "nowhere"))
    assert rc == 1
    line = one_error_line(err, out)
    assert "nowhere: mirror folder not found" in line and "BIONER_MIRROR" in line
    assert toy.assets_files() == []


def test_failed_download(toy):
    rc, out, err = toy.run()
    assert rc == 1
    line = one_error_line(err, out)
    assert line.startswith(f"\u2718 {UNREACHABLE}/train.tsv: download failed (")
    assert "Check the network" in line and "BIONER_MIRROR" in line
    assert toy.assets_files() == []


def test_download_from_server_and_http_error(toy, http_root):
    www, base = http_root
    shutil.copytree(toy.mirror / "TOY", www / "TOY")
    toy.set_url(f"{base}/TOY")
    rc, out, err = toy.run()
    assert rc == 0, err
    for split in FILES:
        assert (toy.assets / "toy" / f"{split}.tsv").read_bytes() == toy.content[split]
    # 404 on the third file: nothing of this run is kept, the earlier files stay
    shutil.rmtree(toy.assets)
    (www / "TOY" / "test.tsv").unlink()
    rc, out, err = toy.run()
    assert rc == 1
    line = one_error_line(err, out)
    assert line.startswith(f"\u2718 {base}/TOY/test.tsv: download failed (HTTP 404 ")
    assert toy.assets_files() == []


def test_checksum_mismatch(toy):
    source = toy.mirror / "TOY" / "test.tsv"
    source.write_bytes(toy.content["test"][:-5])  # truncated
    rc, out, err = toy.run("--mirror", str(toy.mirror))
    assert rc == 1
    line = one_error_line(err, out)
    expected = assets.git_blob_id(toy.mirror / "TOY" / "train.tsv")  # any valid id would do
    assert line.startswith(f"\u2718 {source}: checksum mismatch (git blob {assets.git_blob_id(source)}, expected ")
    assert "fetch it again, or update vars.corpora in project.yml" in line
    assert expected not in line
    assert toy.assets_files() == []  # train and dev passed the check but are not kept


def test_checksum_mismatch_keeps_earlier_good_files(toy):
    assert toy.run("--mirror", str(toy.mirror))[0] == 0
    before = {p: (toy.assets / p).read_bytes() for p in toy.assets_files() if p.endswith(".tsv")}
    (toy.assets / "toy" / "dev.tsv").write_bytes(b"stale\tO\n")
    (toy.mirror / "TOY" / "devel.tsv").write_bytes(b"other\tO\n")
    rc, out, err = toy.run("--mirror", str(toy.mirror))
    assert rc == 1
    assert "checksum mismatch" in one_error_line(err, out)
    # the stale file is not replaced by an unverified one; nothing else changes
    assert (toy.assets / "toy" / "dev.tsv").read_bytes() == b"stale\tO\n"
    assert (toy.assets / "toy" / "train.tsv").read_bytes() == before["toy/train.tsv"]
    assert toy.assets_files() == ["toy", "toy/dev.tsv", "toy/test.tsv", "toy/train.tsv"]


def test_interrupted_fetch_leaves_nothing(toy, monkeypatch):
    real_copy = shutil.copyfile
    calls = []

    def copyfile(src, dst, *args, **kwargs):
        calls.append(src)
        if len(calls) == 3:
            Path(dst).write_bytes(b"IL-2\tB-pro")  # half a file, then Ctrl-C
            raise KeyboardInterrupt
        return real_copy(src, dst, *args, **kwargs)

    monkeypatch.setattr(assets.shutil, "copyfile", copyfile)
    rc, out, err = toy.run("--mirror", str(toy.mirror))
    assert rc == 130
    assert toy.assets_files() == []


def test_bad_corpus_entry(toy):
    write_project(toy.root, {"toy": corpus_entry(url=UNREACHABLE, files={})})
    rc, out, err = toy.run()
    assert rc == 1
    line = one_error_line(err, out)
    assert "vars.corpora.toy.files.train: Field required" in line


def test_real_cli_one_line_no_traceback(toy):
    env = {k: v for k, v in os.environ.items() if k != "BIONER_MIRROR"}
    result = subprocess.run(
        [sys.executable, "-m", "scripts.fetch", "toy", "--root", str(toy.root)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"\u2718 {UNREACHABLE}/train.tsv: download failed")
    assert toy.assets_files() == []


def test_project_corpora_entries_are_complete():
    """Every corpus in the real project.yml has what fetch needs."""
    for corpus in load_registry(PROJECT_DIR / "project.yml").values():
        assert corpus.url.startswith("https://") and corpus.mirror_dir


# --- text sources (vars.text_sources): a tarball checked by its git tree, a file by its blob

TAR_PREFIX = "toy-articles-abc/"
TAR_FILES = {"README.md": (b"# toy\n", 0o644), "elife00001.xml": (b"<article/>\n", 0o644),
             "sub/run.sh": (b"#!/bin/sh\necho\n", 0o755)}


def tarball(path: Path, files=TAR_FILES, level: int = 9, mtime: int = 0) -> Path:
    """A tarball of `files` below TAR_PREFIX, as `git archive | gzip` makes them."""
    import gzip
    import io
    import tarfile

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(TAR_PREFIX + name)
            info.size, info.mode, info.mtime = len(data), mode, mtime
            tar.addfile(info, io.BytesIO(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw.getvalue(), compresslevel=level, mtime=mtime))
    return path


def git_tree_of(files, where: Path) -> str:
    """The tree id git itself gives these files (git add + write-tree)."""
    where.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=where, check=True)
    for name, (data, mode) in files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_bytes(data)
        (where / name).chmod(mode)
    subprocess.run(["git", "add", "-A"], cwd=where, check=True)
    return subprocess.run(["git", "write-tree"], cwd=where, check=True, capture_output=True,
                          text=True).stdout.strip()


class TextToy:
    """A project with two text sources and a mirror root holding corpora/ and text/."""

    def __init__(self, root: Path, capsys, monkeypatch):
        monkeypatch.delenv("BIONER_MIRROR", raising=False)
        self.root, self.capsys = root, capsys
        self.shared = root / "shared"
        (self.shared / "corpora").mkdir(parents=True)
        self.tar = tarball(self.shared / "text" / "toy.tar.gz")
        self.json = self.shared / "text" / "pqa.json"
        self.json.write_text('{"1": {"CONTEXTS": ["Text."], "LONG_ANSWER": "Yes."}}', encoding="utf8")
        self.tree = git_tree_of(TAR_FILES, root / "git")
        self.write(UNREACHABLE)

    def write(self, base_url: str) -> None:
        common = {"title": "toy", "license": "CC0 (test)", "source_url": "http://127.0.0.1:9/x"}
        write_project(self.root, {"toy": corpus_entry()}, text_sources={
            "arts": {**common, "url": f"{base_url}/abc.tar.gz", "file": "toy.tar.gz", "git_tree": self.tree,
                     "tar_prefix": TAR_PREFIX, "reader": "jats_tar"},
            "pqa": {**common, "url": f"{base_url}/pqa.json", "file": "pqa.json",
                    "git_blob": assets.git_blob_id(self.json), "reader": "pubmedqa"}})

    def run(self, *extra: str):
        return run_main(self.capsys, fetch.main, ["arts", "pqa", "--root", str(self.root)] + list(extra))

    def fetched(self):
        return files_under(self.root / "assets")


@pytest.fixture
def text_toy(tmp_path, capsys, monkeypatch):
    return TextToy(tmp_path, capsys, monkeypatch)


def test_tarball_tree_id_is_gits_and_ignores_how_it_was_packed(text_toy, tmp_path):
    repacked = tarball(tmp_path / "github.tar.gz", level=6, mtime=1_700_000_000)
    assert repacked.read_bytes() != text_toy.tar.read_bytes()
    assert assets.tar_tree_id(text_toy.tar, TAR_PREFIX) == text_toy.tree == assets.tar_tree_id(repacked, TAR_PREFIX)
    other = {**TAR_FILES, "sub/run.sh": (b"#!/bin/sh\necho\n", 0o644)}  # same bytes, not executable
    assert assets.tar_tree_id(tarball(tmp_path / "other.tar.gz", other), TAR_PREFIX) == \
        git_tree_of(other, tmp_path / "git2") != text_toy.tree


@pytest.mark.parametrize("mirror", ["shared", "shared/corpora"])
def test_text_sources_from_either_mirror_form(text_toy, mirror, monkeypatch):
    monkeypatch.setenv("BIONER_MIRROR", str(text_toy.root / mirror))
    rc, out, err = text_toy.run()
    assert rc == 0, err
    assert text_toy.fetched() == ["text", "text/pqa.json", "text/toy.tar.gz"]
    assert (text_toy.root / "assets" / "text" / "toy.tar.gz").read_bytes() == text_toy.tar.read_bytes()
    rc, out, err = text_toy.run()
    assert rc == 0 and out.count("up to date") == 2


def test_text_source_mismatch_or_truncated_tarball_is_one_line_and_leaves_nothing(text_toy, tmp_path):
    changed = {**TAR_FILES, "elife00001.xml": (b"<article>other</article>\n", 0o644)}
    tarball(text_toy.tar, changed)
    rc, out, err = text_toy.run("--mirror", str(text_toy.shared))
    line = one_error_line(err, out)
    assert rc == 1 and line.startswith(f"\u2718 {text_toy.tar}: checksum mismatch (git tree ")
    assert f"expected {text_toy.tree}" in line and "vars.text_sources" in line
    assert text_toy.fetched() == []
    good = tarball(tmp_path / "good.tar.gz").read_bytes()
    text_toy.tar.write_bytes(good[: len(good) // 2])
    rc, out, err = text_toy.run("--mirror", str(text_toy.shared))
    assert rc == 1 and "not a complete tarball" in one_error_line(err, out)
    assert text_toy.fetched() == []


def test_text_source_download_and_failed_download(text_toy, http_root):
    rc, out, err = text_toy.run()
    assert rc == 1
    assert one_error_line(err, out).startswith(f"\u2718 {UNREACHABLE}/abc.tar.gz: download failed (")
    assert text_toy.fetched() == []
    www, base = http_root
    tarball(www / "abc.tar.gz", level=1, mtime=123)  # GitHub's archive: other bytes, same files
    shutil.copy(text_toy.json, www / "pqa.json")
    text_toy.write(base)
    rc, out, err = text_toy.run()
    assert rc == 0, err
    assert text_toy.fetched() == ["text", "text/pqa.json", "text/toy.tar.gz"]


def test_project_text_sources_are_complete():
    """Every text source of the real project.yml has a public URL and a content check."""
    from bioner.registry import text_sources as load_text_sources
    from bioner.rawtext import READERS

    sources = load_text_sources(PROJECT_DIR / "project.yml")
    assert {"elife", "pubmedqa"} <= set(sources)
    for source in sources.values():
        assert source.url.startswith("https://") and (source.git_blob or source.git_tree)
        assert source.reader in READERS


def test_bad_text_source_entry_is_one_line(text_toy):
    import srsly

    data = srsly.read_yaml(text_toy.root / "project.yml")
    data["vars"]["text_sources"]["arts"]["git_blob"] = "0" * 40  # and git_tree: two checks
    srsly.write_yaml(text_toy.root / "project.yml", data)
    rc, out, err = text_toy.run()
    line = one_error_line(err, out)
    assert rc == 1 and "vars.text_sources.arts: Value error, give exactly one content check" in line
    del data["vars"]["text_sources"]["arts"]["git_blob"], data["vars"]["text_sources"]["arts"]["reader"]
    srsly.write_yaml(text_toy.root / "project.yml", data)
    rc, out, err = text_toy.run()
    assert rc == 1 and "vars.text_sources.arts.reader: Field required" in one_error_line(err, out)
    assert text_toy.fetched() == []
