"""Bad converter input: every problem is one line naming file, line and what
to do, exit status 1, no traceback, and no output file left behind (or the
previous complete output left untouched). Warnings (no entities, repaired
tags, label sets that differ) do not stop the conversion.

The CLI runs in-process through scripts.convert.main (the function
`python -m scripts.convert` calls) so the suite stays fast; one test runs the
real subprocess.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from conftest import PROJECT_DIR, corpus_entry, files_under, run_main, write_project

from scripts import convert

OUTPUTS = ("train.spacy", "dev.spacy", "test.spacy", "stats.json")
TRAIN = (
    "-DOCSTART-\tO\n\n"
    "IL-2\tB-protein\ngene\tI-protein\nexpression\tO\n\n"
    "T\tB-cell_type\ncells\tI-cell_type\n\n"
)


class Toy:
    """A corpus "toy" in a temporary project: assets/toy/<split>.tsv."""

    def __init__(self, root: Path, capsys):
        self.root = root
        self.capsys = capsys
        self.project_file = root / "project.yml"
        write_project(root, {"toy": corpus_entry()})
        self.assets = root / "assets"
        self.out_root = root / "corpus"
        self.out = self.out_root / "toy"
        for split in ("train", "dev", "test"):
            self.write(split, TRAIN)

    def path(self, split: str) -> Path:
        return self.assets / "toy" / f"{split}.tsv"

    def write(self, split: str, content) -> Path:
        path = self.path(split)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    def args(self, *extra: str):
        return [
            "toy",
            "--root", str(self.root),
            *extra,
        ]

    def run(self, *extra: str):
        return run_main(self.capsys, convert.main, self.args(*extra))

    def output_files(self):
        """Every file under the output root, temporary ones included."""
        return files_under(self.out_root)

    def snapshot(self):
        return {name: (self.out / name).read_bytes() for name in OUTPUTS}

    def docs(self, split: str):
        return list(DocBin().from_disk(self.out / f"{split}.spacy").get_docs(Vocab()))


@pytest.fixture
def toy(tmp_path, capsys):
    return Toy(tmp_path, capsys)


def assert_fails(toy: Toy, file: Path, line: int, *phrases: str, extra=()):
    """Exit 1, one error line `✘ file:line: ...` holding `phrases`, no traceback,
    no output at all."""
    rc, out, err = toy.run(*extra)
    assert rc == 1
    assert "Traceback" not in out + err
    errors = [l for l in err.splitlines() if l.strip()]
    assert len(errors) == 1, err
    assert errors[0].startswith(f"\u2718 {file}:{line}: "), errors[0]
    for phrase in phrases:
        assert phrase in errors[0], (phrase, errors[0])
    assert toy.output_files() == []
    return errors[0]


def test_good_corpus_converts(toy):
    rc, out, err = toy.run()
    assert rc == 0, err
    assert err == ""
    assert sorted(os.listdir(toy.out)) == sorted(OUTPUTS)
    [doc] = toy.docs("dev")
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(0, 2, "protein"), (3, 5, "cell_type")]


def test_wrong_number_of_columns(toy):
    path = toy.write("dev", "IL-2\tB-protein\ngene\tI-protein\tNN\nexpression\tO\n")
    assert_fails(toy, path, 2, "expected 2 tab-separated columns", "found 3", "Fix the line")


def test_space_separated_columns(toy):
    path = toy.write("test", "IL-2\tB-protein\n\ngene I-protein\n")
    assert_fails(toy, path, 3, "found 1", "separated by spaces", "token<TAB>tag")


@pytest.mark.parametrize(
    "tag,hint",
    [
        ("X-protein", "Tags must be O or B-/I-/E-/S-"),
        ("protein", "Tags must be O or B-/I-/E-/S-"),
        ("B_protein", "Tags must be O or B-/I-/E-/S-"),
        ("B-", "type is missing"),
        ("b-protein", "upper case"),
        ("U-protein", "BILOU"),
        ("0", "Tags must be O"),
        ("B- protein", "contains whitespace"),
    ],
)
def test_unknown_tag(toy, tag, hint):
    path = toy.write("dev", f"IL-2\tO\n\ngene\t{tag}\n")
    assert_fails(toy, path, 3, f"unknown tag {tag!r}", hint)


def test_empty_token_and_token_with_space(toy):
    path = toy.write("dev", "IL-2\tO\n\tO\n")
    assert_fails(toy, path, 2, "empty token")
    path = toy.write("dev", "IL-2\tO\nT cells\tB-cell_type\n")
    assert_fails(toy, path, 2, "contains whitespace", "one token per line")


@pytest.mark.parametrize("before", ["O", "B-DNA", "I-DNA"])
def test_inside_tag_starting_an_entity_is_rejected_with_strict(toy, before):
    first = "B-DNA" if before == "I-DNA" else "O"
    path = toy.write("dev", f"the\t{first}\nc-fos\t{before}\ngene\tI-protein\n")
    assert_fails(
        toy, path, 3, f"'I-protein' follows {before!r}", "not valid IOB2", "without --strict",
        extra=["--strict"],
    )


def test_inside_tag_starting_an_entity_is_repaired_by_default(toy):
    path = toy.write("dev", "the\tO\nc-fos\tI-DNA\ngene\tI-DNA\n\nIL-2\tB-protein\nRNA\tI-RNA\n")
    rc, out, err = toy.run()
    assert rc == 0
    warnings = err.splitlines()
    assert len(warnings) == 2, err  # the repair, and dev's labels differ from train's
    assert warnings[0].startswith(f"\u26a0 {path}: 2 I- tag(s) that start an entity read as B- (lines 2, 6)")
    assert "--strict" in warnings[0]
    stats = srsly.read_json(toy.out / "stats.json")["splits"]
    assert stats["dev"]["repaired_tags"] == 2
    assert stats["train"]["repaired_tags"] == 0
    [doc] = toy.docs("dev")
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(1, 3, "DNA"), (3, 4, "protein"), (4, 5, "RNA")]


def test_strict_and_repair_are_documented_in_help(capsys):
    assert convert.main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.replace("\u2502", " ").split())
    assert "--strict" in text
    assert "Reject an I-X tag that starts an entity" in text
    assert "read as B-X" in text and "repaired_tags in stats.json" in text


@pytest.mark.parametrize(
    "content,line,phrases",
    [
        # IOB2 entity B-protein not closed, and the file has an S- tag later
        ("a\tB-protein\nb\tO\n\nc\tS-DNA\n", 2,
         ("follows an unfinished protein entity", "mixes IOB and IOBES", "line 4")),
        # E-/S- file with an IOB2-style I- after O
        ("a\tS-DNA\n\nb\tO\nc\tI-DNA\nd\tE-DNA\n", 4,
         ("does not continue a B-DNA entity", "not valid IOBES", "line 1")),
        # sentence ends inside an entity in an IOBES file
        ("a\tB-DNA\nb\tE-DNA\n\nc\tB-RNA\n\n", 4,
         ("sentence ends inside a RNA entity", "mixes IOB and IOBES", "line 2")),
    ],
)
def test_mixed_iob_and_iobes(toy, content, line, phrases):
    path = toy.write("dev", content)
    assert_fails(toy, path, line, *phrases, "Use one scheme in the whole file")


def test_valid_iobes_file_is_accepted(toy):
    toy.write("dev", "a\tS-DNA\nb\tB-protein\nc\tI-protein\nd\tE-protein\ne\tO\n")
    rc, out, err = toy.run()
    assert rc == 0
    assert srsly.read_json(toy.out / "stats.json")["splits"]["dev"]["scheme"] == "IOBES"
    [doc] = toy.docs("dev")
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(0, 1, "DNA"), (1, 4, "protein")]


@pytest.mark.parametrize("content", [b"", b"\n\n", b"  \n\t\n\r\n", b"\xef\xbb\xbf"])
def test_empty_file(toy, content):
    path = toy.write("train", content)
    assert_fails(toy, path, 1, "the file is empty", "Fetch it again")


def test_file_with_only_document_markers(toy):
    path = toy.write("dev", "-DOCSTART-\tO\n\n-DOCSTART-\tO\n\n")
    assert_fails(toy, path, 1, "no tokens")


def test_file_without_entities_is_a_warning(toy):
    path = toy.write("test", "the\tO\ngene\tO\n\nis\tO\n")
    rc, out, err = toy.run()
    assert rc == 0
    assert f"\u26a0 {path}: no entities at all. Is the tag column right?" in err.splitlines()
    assert sorted(os.listdir(toy.out)) == sorted(OUTPUTS)
    assert srsly.read_json(toy.out / "stats.json")["splits"]["test"]["entities"] == 0


def test_invalid_utf8(toy):
    content = "IL-2\tB-protein\n\nT\tO\n".encode() + "caf\u00e9\tO\n".encode("latin-1")
    path = toy.write("dev", content)
    assert_fails(toy, path, 4, "invalid UTF-8 (byte 0xe9)", "Re-save the file as UTF-8", "iconv")


def test_utf16_file(toy):
    path = toy.write("dev", "IL-2\tB-protein\n".encode("utf-16"))
    assert_fails(toy, path, 1, "UTF-16", "iconv -f utf-16")


@pytest.mark.parametrize("variant", ["bom", "crlf", "bom+crlf"])
def test_bom_and_crlf_are_accepted_silently(toy, variant):
    plain = "IL-2\tB-protein\ngene\tI-protein\n\nT\tB-cell_type\ncells\tI-cell_type\nare\tO\n\n"
    rc, _, err = toy.run()
    assert rc == 0 and err == ""
    toy.write("dev", plain)
    rc, _, err = toy.run()
    assert rc == 0 and err == ""
    expected_docs = [(d.text, [(e.start, e.end, e.label_) for e in d.ents], [s.start for s in d.sents])
                     for d in toy.docs("dev")]
    expected_stats = srsly.read_json(toy.out / "stats.json")
    content = plain.encode()
    if "crlf" in variant:
        content = content.replace(b"\n", b"\r\n")
    if "bom" in variant:
        content = b"\xef\xbb\xbf" + content
    toy.write("dev", content)
    rc, out, err = toy.run()
    assert rc == 0
    assert err == ""  # silently
    docs = [(d.text, [(e.start, e.end, e.label_) for e in d.ents], [s.start for s in d.sents])
            for d in toy.docs("dev")]
    assert docs == expected_docs
    assert srsly.read_json(toy.out / "stats.json") == expected_stats


def test_document_marker_inside_a_sentence(toy):
    path = toy.write("dev", "-DOCSTART-\tO\n\nIL-2\tB-protein\n-DOCSTART-\tO\ngene\tO\n")
    assert_fails(toy, path, 4, "-DOCSTART- inside a sentence", "Put a blank line before it")


def test_split_with_other_labels_is_a_warning_listing_them(toy):
    path = toy.write("test", "IL-2\tB-protein\n\nc-fos\tB-DNA\n")
    rc, out, err = toy.run()
    assert rc == 0
    [line] = err.splitlines()
    assert line.startswith(f"\u26a0 {path}: entity types differ from train's")
    assert "train: cell_type, protein;" in line
    assert "test: DNA, protein;" in line
    assert "not in test: cell_type;" in line and "only in test: DNA)" in line
    assert sorted(os.listdir(toy.out)) == sorted(OUTPUTS)


def test_missing_file(toy):
    path = toy.path("dev")
    path.unlink()
    rc, out, err = toy.run()
    assert rc == 1
    assert err.strip() == f"\u2718 {path}: file not found. Run the fetch step first."
    assert toy.output_files() == []


def test_unknown_corpus_and_missing_project_file(toy, capsys):
    rc = convert.main(["nope", "--root", str(toy.root)])
    err = capsys.readouterr().err
    assert rc == 1 and "Unknown corpus 'nope'. Known corpora: toy." in err
    rc = convert.main(["toy", "--root", str(toy.root / "missing")])
    err = capsys.readouterr().err
    assert rc == 1 and "project.yml: project file not found" in err


def test_failed_conversion_keeps_the_previous_output(toy):
    rc, _, _ = toy.run()
    assert rc == 0
    before = toy.snapshot()
    files_before = toy.output_files()
    # train and dev are fine this time; test is broken
    toy.write("train", TRAIN.replace("expression", "activation"))
    path = toy.write("test", "IL-2\tB-protein\ngene\tZ-protein\n")
    rc, out, err = toy.run()
    assert rc == 1
    assert f"{path}:2: unknown tag 'Z-protein'" in err
    assert toy.snapshot() == before
    assert toy.output_files() == files_before


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
@pytest.mark.parametrize("with_previous", [False, True])
def test_interrupted_write_leaves_no_partial_file(toy, monkeypatch, error, with_previous):
    if with_previous:
        assert toy.run()[0] == 0
        before = toy.snapshot()
        files_before = toy.output_files()
        for split in ("train", "dev", "test"):  # new content: new train.spacy differs
            toy.write(split, TRAIN.replace("IL-2", "IL-4"))
    real_to_disk = DocBin.to_disk
    calls = []

    def to_disk(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:  # dev.spacy: half a file, then the failure
            Path(path).write_bytes(b"\x00" * 100)
            raise error
        return real_to_disk(self, path, *args, **kwargs)

    monkeypatch.setattr(DocBin, "to_disk", to_disk)
    rc, out, err = toy.run()
    assert rc == (1 if isinstance(error, OSError) else 130)  # click: Ctrl-C -> "Aborted!", 130
    assert len(calls) == 2
    assert "Traceback" not in out + err
    if isinstance(error, OSError):
        [line] = err.splitlines()
        assert line.startswith(f"\u2718 {toy.out}: cannot write (No space left on device)")
        assert "nothing was changed" in line
    if with_previous:
        # the old train.spacy too, although the new one was complete: no mix of old and new
        assert toy.snapshot() == before
        assert toy.output_files() == files_before
    else:
        assert toy.output_files() == []


def test_real_cli_prints_one_line_without_traceback(toy):
    path = toy.write("dev", "IL-2\tB-protein\tNN\n")
    result = subprocess.run(
        [sys.executable, "-m", "scripts.convert", *toy.args()],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"\u2718 {path}:1: expected 2 tab-separated columns (token, tag), found 3: "
        "'IL-2\\tB-protein\\tNN'. Fix the line or convert the file to token<TAB>tag."
    ]
    assert toy.output_files() == []
