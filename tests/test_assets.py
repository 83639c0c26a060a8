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
