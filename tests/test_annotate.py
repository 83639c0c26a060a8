"""`annotate`: readers (MEDLINE XML plain and gzipped, BioC, JSONL, .txt
folders), bad records counted per file, offsets that slice the text, the
output formats parsing back, resume after SIGINT / SIGKILL without loss or
duplicates, `--n-process 2` with a PyTorch pipeline (spawn), and Ray local
mode on the tiny fixture.

The pipelines are built here: an entity_ruler with a few chemical and
disease patterns (+ bioner's abbreviations component, as the trained
pipelines have), and a tiny BiLSTM (PyTorch) pipeline for the spawn test.
"""
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.tokens import DocBin

from conftest import PROJECT_DIR, run_main

import bioner  # noqa: F401  (the abbreviations factory)
from bioner.annotate.readers import Input, find_inputs, read_input
from bioner.annotate.records import FileReport
from bioner.annotate.writers import read_pubtator
from bioner.errors import BionerError
from bioner.provenance import folder_sha256
from bioner.layout import TrainingDir
from bioner.runtime import safe_pipe, start_method
from scripts import annotate

FIXTURES = Path(__file__).parent / "fixtures" / "annotate"
MEDLINE = FIXTURES / "medline_sample.xml"
MALFORMED = FIXTURES / "medline_malformed.xml"
CHEMICALS = ["cisplatin", "Cisplatin", "dexamethasone", "Dexamethasone", "β-carotène", "cisplatine"]
DISEASES = ["acute renal failure", "Acute renal failure", "nephrotoxicity", "Nephrotoxicity",
            "néphrotoxicité", "hyperglycemia", "Hyperglycemia"]
ALL_FORMATS = ["--format", "jsonl", "--format", "pubtator", "--format", "bioc", "--format", "docbin"]


@pytest.fixture(scope="session")
def toy_model(tmp_path_factory) -> Path:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "Chemical", "pattern": p} for p in CHEMICALS]
                       + [{"label": "Disease", "pattern": p} for p in DISEASES])
    nlp.add_pipe("bioner_abbreviations", name="abbreviations")
    nlp.meta.update(name="bioner_toy", version="0.0.1")
    path = tmp_path_factory.mktemp("model") / "toy"
    nlp.to_disk(path)
    return path


def jsonl_input(path: Path, docs, extra_lines=()) -> Path:
    lines = [json.dumps({"id": i, "text": t}, ensure_ascii=False).encode("utf8") for i, t in docs]
    path.write_bytes(b"\n".join(lines + list(extra_lines)) + b"\n")
    return path


def read_jsonl(path: Path):
    return [json.loads(line) for line in path.read_text(encoding="utf8").splitlines()]


def records_of(path: Path, kind: str = "xml"):
    report = FileReport(str(path), "x")
    return list(read_input(Input(kind, str(path), "x"), report)), report


def run(capsys, *argv):
    return run_main(capsys, annotate.main, [str(a) for a in argv])


# -- readers ------------------------------------------------------------------

def test_medline_titles_abstracts_pmids_and_bad_records():
    records, report = records_of(MEDLINE)
    assert [r["id"] for r in records] == ["10000001", "10000002", "10000003", "10000004", "10000005"]
    assert report.bad == {} and report.title_only == 1  # 10000002: a letter, its title only
    assert records[1]["text"] == "Letter: dexamethasone and nephrotoxicity."
    assert report.deleted_citations == 2 and report.error is None
    del records[1]
    structured = records[1]
    assert [s["name"] for s in structured["sections"]] == [
        "title", "abstract:BACKGROUND", "abstract:METHODS", "abstract:RESULTS", "abstract:CONCLUSIONS"]
    assert structured["sections"][0]["text"] == "A trial of dexamethasone in acute renal failure."  # <i> kept as text
    assert "Copyright" not in structured["text"]
    french = records[2]["text"]
    assert "β-carotène (5 µg/kg)" in french and "Ménière exclue — 患者" in french
    assert "ARF & nephrotoxicity" in records[0]["text"]  # &amp; decoded
    for record in records:
        for section in record["sections"]:
            assert record["text"][section["offset"]:section["offset"] + len(section["text"])] == section["text"]
        # PubTator convention: sections joined by one space, the abstract at len(title) + 1
        assert record["sections"][1]["offset"] == len(record["sections"][0]["text"]) + 1


def test_gzipped_medline_reads_the_same(tmp_path):
    gz = tmp_path / "medline_sample.xml.gz"
    with gzip.open(gz, "wb") as out:
        out.write(MEDLINE.read_bytes())
    assert records_of(gz)[0] == records_of(MEDLINE)[0]
    assert find_inputs([tmp_path]) == [Input("xml", str(gz), "medline_sample")]


def test_malformed_xml_keeps_what_came_before_and_names_the_line():
    records, report = records_of(MALFORMED)
    assert [r["id"] for r in records] == ["20000001"]
    assert report.error.startswith("malformed XML at line 17 (")
    assert "the rest of the file was not read" in report.error


def test_invalid_utf8_in_xml_is_a_file_error_with_its_line(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(MEDLINE.read_bytes().replace("naïfs".encode(), b"na\xefve"))
    records, report = records_of(bad)
    assert [r["id"] for r in records] == ["10000001", "10000002", "10000003"]
    assert report.last_good_id == "10000003" and report.error.endswith("last complete record: 10000003")
    line = next(i for i, text in enumerate(MEDLINE.read_bytes().splitlines(), 1) if "naïfs".encode() in text)
    assert report.error.startswith(f"malformed XML at line {line} (") and "Invalid bytes in character encoding" in report.error


def test_jsonl_bad_lines_are_counted_with_their_line(tmp_path):
    path = jsonl_input(tmp_path / "in.jsonl", [("a", "Cisplatin."), (7, "dexamethasone")],
                       [b'{"id": "x", "text": "na\xefve"}', b"{not json", b'{"id": "y"}', b'{"text": "no id"}',
                        b'{"id": "z", "text": "\\ud800"}', b'{"id": "p|q", "text": "pipe"}'])
    records, report = records_of(path, "jsonl")
    assert [r["id"] for r in records] == ["a", "7"]
    assert {k: v["examples"][0].split(" ")[0:2] for k, v in report.bad.items()} == {
        "invalid UTF-8": ["line", "3"], "invalid JSON": ["line", "4"], "no 'text' string": ["line", "5"],
        "no id": ["line", "6"], "text is not valid Unicode": ["line", "7"],
        "id contains '|', a tab or a line break": ["line", "8"]}


def test_txt_folder_is_one_input(tmp_path):
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text("Cisplatin and\nnephrotoxicity.\n", encoding="utf8")
    (folder / "sub" / "two.txt").write_text("\ufeffβ-carotène", encoding="utf8")
    (folder / "bad.txt").write_bytes(b"\xff\xfe broken")
    (folder / "empty.txt").write_bytes(b"")
    assert find_inputs([folder]) == [Input("txt", str(folder), "notes")]
    records, report = records_of(folder, "txt")
    assert [(r["id"], r["text"]) for r in records] == [("one", "Cisplatin and\nnephrotoxicity.\n"),
                                                       ("sub/two", "β-carotène")]
    assert {k: v["count"] for k, v in report.bad.items()} == {"invalid UTF-8": 1, "no text": 1}


def test_input_errors_are_one_line(tmp_path, capsys, toy_model):
    (tmp_path / "notes.csv").write_text("x")
    for argv, expected in [
        ([tmp_path / "missing.xml"], "missing.xml: no such file or folder"),
        ([tmp_path / "notes.csv"], "notes.csv: unknown input type"),
        ([MEDLINE, "--format", "brat"], "--format brat: choose from jsonl, pubtator, bioc, docbin"),
        ([MEDLINE, "--n-process", "0"], "--n-process must be 1 or more"),
    ]:
        rc, out, err = run(capsys, *argv, "--model", toy_model, "--output-dir", tmp_path / "out")
        assert rc == 1 and err.count("\n") == 1 and err.startswith("✘ ") and expected in err, err
    rc, _, err = run(capsys, MEDLINE, "--model", tmp_path / "nope", "--output-dir", tmp_path / "out")
    assert rc == 1 and "nope: cannot load the pipeline" in err and err.count("\n") == 1
    assert not list((tmp_path / "out").glob("*.jsonl"))
    other = tmp_path / "b"
    other.mkdir()
    shutil.copy(MEDLINE, other / MEDLINE.name)
    with pytest.raises(BionerError, match="would both write shard 'medline_sample'"):
        find_inputs([MEDLINE, other / MEDLINE.name])


def test_skip_title_only_flag_skips_and_counts_them(tmp_path, capsys, toy_model):
    out = tmp_path / "out"
    rc, stdout, _ = run(capsys, MEDLINE, "--model", toy_model, "--output-dir", out, "--skip-title-only")
    assert rc == 0 and "1 title-only skipped" in stdout
    assert "10000002" not in [r["id"] for r in read_jsonl(out / "medline_sample.jsonl")]
    report = srsly.read_json(out / "annotate_report.json")
    assert (report["docs"], report["title_only"], report["title_only_skipped"], report["bad_records"]) == (4, 0, 1, 0)
    # the shard was made with the other choice: a run without the flag redoes it
    rc, stdout, _ = run(capsys, MEDLINE, "--model", toy_model, "--output-dir", out)
    assert rc == 0 and "already annotated" not in stdout
    assert "10000002" in [r["id"] for r in read_jsonl(out / "medline_sample.jsonl")]
    rc, stdout, _ = run(capsys, MEDLINE, "--model", toy_model, "--output-dir", out)
    assert "1 of 1 inputs already annotated" in stdout


def test_records_and_reports_name_the_training_that_made_the_model(tmp_path, capsys, toy_model):
    """A training folder's meta says en_pipeline 0.0.0 like every other: the
    records and reports carry its digest and its training stamp instead."""
    run_dir = tmp_path / "training" / "bc5cdr" / "cnn"
    shutil.copytree(toy_model, run_dir / "model-best")
    meta = srsly.read_json(run_dir / "model-best" / "meta.json")
    srsly.write_json(run_dir / "model-best" / "meta.json", {**meta, "name": "pipeline", "version": "0.0.0"})
    srsly.write_json(TrainingDir(run_dir).stamp, {"fingerprint": "f" * 64, "config": "configs/cnn.cfg", "gpu": -1,
                                             "overrides": {"paths.train": "corpus/bc5cdr/train.spacy",
                                                           "system.seed": 2}})
    out = tmp_path / "out"
    rc, _, err = run(capsys, MEDLINE, "--model", run_dir / "model-best", "--output-dir", out, *ALL_FORMATS)
    assert rc == 0, err
    sha = folder_sha256(run_dir / "model-best")
    expected = {"name": "en_pipeline", "version": f"0.0.0+{sha[:12]}", "path": str((run_dir / "model-best").resolve()),
                "sha256": sha, "training": {"fingerprint": "f" * 64, "config": "configs/cnn.cfg", "corpus": "bc5cdr",
                                            "seed": 2}}
    assert {json.dumps(r["model"], sort_keys=True) for r in read_jsonl(out / "medline_sample.jsonl")} == {
        json.dumps(expected, sort_keys=True)}
    assert srsly.read_json(out / "medline_sample.report.json")["model"] == expected
    assert srsly.read_json(out / "annotate_report.json")["provenance"] == expected
    assert "bc5cdr with configs/cnn.cfg" in (out / "medline_sample.bioc.xml").read_text(encoding="utf8")


# -- annotating and the output formats ---------------------------------------

@pytest.fixture(scope="module")
def annotated_run(tmp_path_factory, toy_model):
    """One run over every kind of input, every format."""
    root = tmp_path_factory.mktemp("run")
    inputs = root / "in"
    inputs.mkdir()
    shutil.copy(MEDLINE, inputs)
    shutil.copy(MALFORMED, inputs)
    jsonl_input(inputs / "mine.jsonl", [("j1", "Hyperglycemia\tafter cisplatin\r\nand dexamethasone."),
                                       ("j2", "No entity here.")], [b"{broken"])
    out = root / "out"
    rc = annotate.main([str(inputs), "--model", str(toy_model), "--output-dir", str(out)] + ALL_FORMATS)
    assert rc == 0
    return inputs, out


def test_outputs_offsets_slice_the_input_text(annotated_run, toy_model):
    inputs, out = annotated_run
    nlp = spacy.load(toy_model)
    by_source = {"medline_sample": [r["id"] for r in records_of(MEDLINE)[0]], "medline_malformed": ["20000001"],
                 "mine": ["j1", "j2"]}
    for shard, ids in by_source.items():
        records = read_jsonl(out / f"{shard}.jsonl")
        assert [r["id"] for r in records] == ids
        for record in records:
            text = record["text"]
            expected = [(e.start_char, e.end_char, e.label_) for e in nlp(text).ents]
            assert [(e["start"], e["end"], e["label"]) for e in record["entities"]] == expected
            for ent in record["entities"]:
                assert text[ent["start"]:ent["end"]] == ent["text"]
            sha = folder_sha256(toy_model)
            assert record["model"] == {"name": "en_bioner_toy", "version": f"0.0.1+{sha[:12]}",
                                       "path": str(toy_model.resolve()), "sha256": sha}
    medline = read_jsonl(out / "medline_sample.jsonl")
    assert ("néphrotoxicité", "Disease") in [(e["text"], e["label"]) for e in medline[3]["entities"]]
    # the abbreviations component ran: ARF takes the label of "acute renal failure"
    assert [e["label"] for e in medline[0]["entities"] if e["text"] == "ARF"] == ["Disease", "Disease"]
    conclusions = [e for e in medline[2]["entities"] if e["section"] == "abstract:CONCLUSIONS"]
    assert [e["text"] for e in conclusions] == ["Dexamethasone", "cisplatin", "nephrotoxicity"]


def test_report_counts_bad_records_per_file(annotated_run):
    _, out = annotated_run
    report = srsly.read_json(out / "annotate_report.json")
    files = {Path(f["input"]).name: f for f in report["files"]}
    assert files["medline_sample.xml"]["bad"] == {} and files["medline_sample.xml"]["title_only"] == 1
    assert files["medline_malformed.xml"]["error"].startswith("malformed XML at line 17")
    assert files["mine.jsonl"]["bad"]["invalid JSON"]["examples"][0].startswith("line 3 ")
    assert (report["docs"], report["bad_records"], report["files_with_errors"]) == (8, 1, 1)
    assert (report["title_only"], report["title_only_skipped"]) == (1, 0)
    assert report["entities"] == sum(len(r["entities"]) for s in ("medline_sample", "medline_malformed", "mine")
                                     for r in read_jsonl(out / f"{s}.jsonl"))


def test_pubtator_parses_back(annotated_run):
    _, out = annotated_run
    for shard in ("medline_sample", "mine"):
        records = read_jsonl(out / f"{shard}.jsonl")
        with open(out / f"{shard}.pubtator", encoding="utf8") as lines:
            parsed = list(read_pubtator(lines))
        assert [p["id"] for p in parsed] == [r["id"] for r in records]
        for doc, record in zip(parsed, records):
            # line breaks and tabs are written as spaces: same length, same offsets
            flat = record["text"].replace("\t", " ").replace("\r", " ").replace("\n", " ")
            assert doc["text"] == flat
            assert [(e["start"], e["end"], e["label"]) for e in doc["entities"]] == [
                (e["start"], e["end"], e["label"]) for e in record["entities"]]
            for ent in doc["entities"]:
                assert doc["text"][ent["start"]:ent["end"]] == ent["text"]
    first = (out / "medline_sample.pubtator").read_text(encoding="utf8").splitlines()[:3]
    assert first == ["10000001|t|Cisplatin nephrotoxicity in rats.",
                     "10000001|a|Cisplatin caused acute renal failure (ARF) in rats. Dexamethasone did not "
                     "prevent ARF & nephrotoxicity.",
                     "10000001\t0\t9\tCisplatin\tChemical"]


def test_bioc_output_reads_with_bioc_and_annotates_again_the_same(annotated_run, toy_model, tmp_path, capsys):
    import bioc

    _, out = annotated_run
    records = read_jsonl(out / "medline_sample.jsonl")
    with open(out / "medline_sample.bioc.xml", encoding="utf8") as fh:
        collection = bioc.biocxml.load(fh)
    assert [d.id for d in collection.documents] == [r["id"] for r in records]
    for document, record in zip(collection.documents, records):
        assert [(p.infons["type"], p.offset, p.text) for p in document.passages] == [
            (s["name"], s["offset"], s["text"]) for s in record["sections"]]
        found = sorted((loc.offset, loc.end, a.infons["type"], a.text)
                       for p in document.passages for a in p.annotations for loc in a.locations)
        assert found == [(e["start"], e["end"], e["label"], e["text"]) for e in record["entities"]]
    # BioC as input: the passages keep their offsets, so do the entities
    shutil.copy(out / "medline_sample.bioc.xml", tmp_path / "again.xml")
    rc, _, _ = run(capsys, tmp_path / "again.xml", "--model", toy_model, "--output-dir", tmp_path / "out")
    assert rc == 0
    again = read_jsonl(tmp_path / "out" / "again.jsonl")
    assert [(r["id"], r["text"], r["entities"]) for r in again] == [
        (r["id"], r["text"], r["entities"]) for r in records]


def test_docbin_output(annotated_run):
    _, out = annotated_run
    docs = list(DocBin().from_disk(out / "medline_sample.spacy").get_docs(spacy.blank("en").vocab))
    records = read_jsonl(out / "medline_sample.jsonl")
    assert [d.user_data["id"] for d in docs] == [r["id"] for r in records]
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in docs] == [
        [(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in records]


def test_finished_shards_are_skipped_and_new_formats_redone(annotated_run, toy_model, capsys):
    inputs, out = annotated_run
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    rc, stdout, _ = run(capsys, inputs, "--model", toy_model, "--output-dir", out, "--format", "jsonl")
    assert rc == 0 and "3 of 3 inputs already annotated" in stdout
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != "annotate_report.json"} == {
        k: v for k, v in before.items() if k != "annotate_report.json"}


# -- n_process and the start method -------------------------------------------

def tiny_pipeline(path: Path, config_name: str, overrides: dict) -> Path:
    """configs/<config_name>.cfg shrunk by `overrides`, initialised on one sentence."""
    from spacy.training import Example
    from spacy.util import load_config

    config = load_config(PROJECT_DIR / "configs" / f"{config_name}.cfg", overrides=overrides, interpolate=False)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    examples = [Example.from_dict(nlp.make_doc("Cisplatin causes nephrotoxicity."),
                                  {"entities": [(0, 9, "Chemical"), (17, 31, "Disease")]})]
    nlp.initialize(lambda: examples)
    nlp.to_disk(path)
    return path


def tiny_torch_pipeline(path: Path) -> Path:
    """A PyTorch pipeline: configs/bilstm.cfg, 16 wide."""
    return tiny_pipeline(path, "bilstm", {
        "components.tok2vec.model.encode.width": 16, "components.tok2vec.model.encode.depth": 1,
        "components.tok2vec.model.embed.width": 16, "components.tok2vec.model.encode.dropout": 0.0})


def test_torch_pipelines_spawn_and_n_process_2_matches_one(tmp_path, toy_model, capsys):
    assert start_method(spacy.load(toy_model)) is None  # fork: cheapest, safe without torch
    torch_model = tiny_torch_pipeline(tmp_path / "bilstm")
    nlp = spacy.load(torch_model)
    assert start_method(nlp) == "spawn"
    import multiprocessing as mp

    before = mp.get_start_method(allow_none=True)
    with safe_pipe(nlp, 2) as kwargs:
        assert kwargs == {"n_process": 2} and mp.get_start_method() == "spawn"
    assert mp.get_start_method(allow_none=True) == before
    docs = [("d%d" % i, "Cisplatin causes nephrotoxicity in rats.") for i in range(40)]
    jsonl_input(tmp_path / "in.jsonl", docs)
    outputs = {}
    for n in ("1", "2"):
        rc, _, err = run(capsys, tmp_path / "in.jsonl", "--model", torch_model, "--output-dir", tmp_path / n,
                         "--n-process", n, "--batch-size", "8")
        assert rc == 0, err
        outputs[n] = read_jsonl(tmp_path / n / "in.jsonl")
    assert [r["id"] for r in outputs["2"]] == [d[0] for d in docs]
    assert outputs["1"] == outputs["2"]


def test_workers_send_back_slim_docs_with_the_same_entities(tmp_path):
    """n_process=2: the Docs come back without the tok2vec tensor (most of
    their bytes), with the entities of one process; the pipeline is left as it was."""
    nlp = spacy.load(tiny_pipeline(tmp_path / "cnn", "cnn", {"components.tok2vec.model.encode.width": 32}))
    texts = [f"Cisplatin dose {i} causes nephrotoxicity in rats." for i in range(24)]
    one = list(nlp.pipe(texts))
    assert one[0].tensor.size > 0
    names = list(nlp.pipe_names)
    with safe_pipe(nlp, 2) as kwargs:
        two = list(nlp.pipe(texts, batch_size=4, **kwargs))
    assert nlp.pipe_names == names
    assert all(d.tensor.size == 0 for d in two)
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in two] == \
        [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in one]
    assert len(one[0].to_bytes()) - len(two[0].to_bytes()) >= one[0].tensor.nbytes  # the tensor is not sent


# -- resume after an interrupt -------------------------------------------------

# A child inherits an ignored SIGINT: a non-interactive shell starts
# background jobs (`make test &`, CI runners) with SIGINT set to SIG_IGN,
# and Python then installs no KeyboardInterrupt handler, so the run ignored
# the test's SIGINT and stayed blocked on the FIFO: the hang seen once in
# CI. The child gets the default disposition back before it starts.
def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_run_resumes_without_loss_or_duplicates(tmp_path, toy_model, capsys, sig):
    """The second input is a FIFO: the run finishes the first shard, then
    blocks reading the second, is interrupted there, and a re-run with the
    real file finishes the job."""
    docs = {name: [(f"{name}-{i}", f"Cisplatin dose {i} and nephrotoxicity.") for i in range(30)]
            for name in ("a", "b", "c")}
    inputs = tmp_path / "in"
    inputs.mkdir()
    jsonl_input(inputs / "a.jsonl", docs["a"])
    os.mkfifo(inputs / "b.jsonl")
    jsonl_input(inputs / "c.jsonl", docs["c"])
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "scripts.annotate", str(inputs), "--model", str(toy_model),
           "--output-dir", str(out), "--batch-size", "4"]
    proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)
    writer = None
    try:
        deadline = time.monotonic() + 60
        while writer is None:  # a non-blocking open for writing succeeds once the run opened it for reading
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            try:
                writer = os.open(inputs / "b.jsonl", os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.05)
        assert (out / "a.report.json").exists()
        time.sleep(0.3)  # from open() to the blocking read()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        if writer is not None:
            os.close(writer)
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert "✘ interrupted: 1 of 3 shards complete" in err and "Traceback" not in err
        assert not [p for p in out.iterdir() if p.name.startswith(".")]  # Ctrl-C cleans up its temporary files
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a.jsonl", "a.pubtator",
                                                                                  "a.report.json"]
    (inputs / "b.jsonl").unlink()
    jsonl_input(inputs / "b.jsonl", docs["b"])
    first = (out / "a.jsonl").stat().st_mtime_ns
    rc, stdout, _ = run(capsys, inputs, "--model", toy_model, "--output-dir", out, "--batch-size", "4")
    assert rc == 0 and "1 of 3 inputs already annotated" in stdout
    assert (out / "a.jsonl").stat().st_mtime_ns == first
    ids = Counter(r["id"] for s in "abc" for r in read_jsonl(out / f"{s}.jsonl"))
    assert ids == Counter(i for name in "abc" for i, _ in docs[name])  # each id once: no loss, no duplicate
    pubtator_ids = Counter(d["id"] for s in "abc" for d in read_pubtator(open(out / f"{s}.pubtator", encoding="utf8")))
    assert pubtator_ids == ids
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # a killed run's leftovers removed


# -- Ray ---------------------------------------------------------------------------

def test_ray_local_mode_matches_local_and_skips_finished(tmp_path, toy_model, capsys):
    pytest.importorskip("ray")
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(MEDLINE, inputs)
    with gzip.open(inputs / "second.xml.gz", "wb") as fh:
        fh.write(MEDLINE.read_bytes().replace(b"<PMID Version=\"1\">1000", b"<PMID Version=\"1\">3000"))
    jsonl_input(inputs / "mine.jsonl", [("j1", "Cisplatin and nephrotoxicity.")])
    local, ray_out = tmp_path / "local", tmp_path / "ray"
    assert run(capsys, inputs, "--model", toy_model, "--output-dir", local)[0] == 0
    ray_out.mkdir()
    for name in ("mine.jsonl", "mine.pubtator", "mine.report.json"):  # one shard already finished
        shutil.copy(local / name, ray_out / name)
    rc, stdout, err = run(capsys, inputs, "--model", toy_model, "--output-dir", ray_out, "--ray", "--actors", "2")
    assert rc == 0, err
    assert "1 of 3 inputs already annotated" in stdout and "2 actors for 2 inputs" in stdout
    for shard in ("medline_sample", "second", "mine"):
        assert read_jsonl(ray_out / f"{shard}.jsonl") == read_jsonl(local / f"{shard}.jsonl")
        assert (ray_out / f"{shard}.pubtator").read_text() == (local / f"{shard}.pubtator").read_text()
    assert [r["id"] for r in read_jsonl(ray_out / "second.jsonl")] == ["30000001", "30000002", "30000003",
                                                                      "30000004", "30000005"]
    report = srsly.read_json(ray_out / "annotate_report.json")
    assert (report["docs"], report["bad_records"], report["title_only"]) == (11, 0, 2)


# -- hostile text in JSONL: every record annotated or counted, never a crash -------

HOSTILE_TEXTS = ["Cisplatin\x00 and nephrotoxicity", "\x0b\x0c\x1c\x85\u2028 dexamethasone \u2029",
                 "\ufffe\uffff\ufdd0 hyperglycemia \U0010ffff", "A\u0301\u0301 cisplatin\ufeff", "\x1f\x7f ARF"]


def test_hostile_jsonl_texts_and_ids_are_annotated_or_counted_in_every_format(tmp_path, capsys, toy_model):
    docs = [(f"t{i}", text) for i, text in enumerate(HOSTILE_TEXTS)]
    extra = [json.dumps({"id": "sur\ud800", "text": "cisplatin"}).encode(),  # \ud800 escape: a lone surrogate
             json.dumps({"id": "s2", "text": "cisplatin \udfff"}).encode(),
             json.dumps({"id": "nul\x00id", "text": "cisplatin"}).encode(),
             json.dumps({"id": "ctl\x1bid", "text": "cisplatin"}).encode(),
             json.dumps({"id": "nonchar\ufffe", "text": "cisplatin"}).encode()]
    path = jsonl_input(tmp_path / "hostile.jsonl", docs, extra)
    out = tmp_path / "out"
    rc, _, err = run(capsys, path, "--model", toy_model, "--output-dir", out, *ALL_FORMATS)
    assert rc == 0, err
    records = read_jsonl(out / "hostile.jsonl")
    assert [(r["id"], r["text"]) for r in records] == docs
    for record in records:
        for ent in record["entities"]:
            assert record["text"][ent["start"]:ent["end"]] == ent["text"]
    report = srsly.read_json(out / "hostile.report.json")
    assert {k: v["count"] for k, v in report["bad"].items()} == {
        "id is not valid Unicode": 1, "text is not valid Unicode": 1,
        "id contains a control character or a non-character": 3}
    from bioc import biocxml
    with open(out / "hostile.bioc.xml", encoding="utf8") as fh:
        assert [d.id for d in biocxml.load(fh).documents] == [i for i, _ in docs]
    assert [d["id"] for d in read_pubtator(open(out / "hostile.pubtator", encoding="utf8"))] == [i for i, _ in docs]
