"""bioner/io.py: a SIGTERM in the middle of swapping a folder output in
(the train step's last act) leaves the new output in place and nothing aside."""
import os
import signal

import pytest

import bioner.io as io
from bioner.console import _terminate


def test_sigterm_during_the_swap_leaves_nothing_aside(tmp_path, monkeypatch):
    path, new = tmp_path / "cnn", tmp_path / ".cnn.tmp"
    for folder, text in ((path, "old"), (new, "new")):
        folder.mkdir()
        (folder / "meta.json").write_text(text)
    real_replace = os.replace
    calls = []

    def replace_then_kill(src, dst):
        real_replace(src, dst)
        calls.append(dst)
        if len(calls) == 2:  # the new output has just moved in
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(io.os, "replace", replace_then_kill)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with pytest.raises(SystemExit) as exit_:
            io.replace_path(new, path)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert exit_.value.code == 128 + signal.SIGTERM  # the signal still stops the step, after the swap
    assert (path / "meta.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn"]
