"""bioner/report/readme.py and scripts/readme_tables.py: the README gets the
corpus table and the headline results, the lab's document the rest, each
between its markers wherever they are."""
import shutil

import pytest
import srsly
from conftest import PROJECT_DIR, files_under, run_main

from bioner.errors import BionerError
from bioner.report.readme import fill, headline_table
from scripts.readme_tables import main

USER = ("# user\n<!-- corpus-table:start -->\nold\n<!-- corpus-table:end -->\n"
        "<!-- headline-table:start -->\nold\n<!-- headline-table:end -->\nuser end\n")
LAB = ("# lab\n<!-- benchmark-table:start -->\nold\n<!-- benchmark-table:end -->\n"
       "<!-- levers-table:start -->\nold\n<!-- levers-table:end -->\nlab end\n")


def row(corpus, model, f, wps, **extra):
    return {"corpus": corpus, "model": model, "ents_p": f, "ents_r": f, "ents_f": f, "ents_per_type": {},
            "trained_with": "config as is", "train_seconds": 60.0, "train_device": "cpu",
            "cpu_wps_1proc": wps, **extra}


RESULTS = {"machine": "x86_64 CPU, 2 cores", "seed_rows": [], "rows": [
    row("bc5cdr", "spacy_default", 0.80, 10000.0, f1_ratio=1.0, speed_ratio=1.0),
    row("bc5cdr", "cnn", 0.84, 12000.0, f1_ratio=1.05, speed_ratio=1.2),
    row("bc5cdr", "hf_baseline", 0.76, 1800.0),
]}


@pytest.fixture
def project(tmp_path):
    """Both documents with their markers, a results folder as the benchmark and levers leave it."""
    (tmp_path / "README.md").write_text(USER)
    (tmp_path / "results" / "levers").mkdir(parents=True)
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "README.md").write_text(LAB)
    shutil.copytree(PROJECT_DIR / "configs", tmp_path / "configs")
    results = tmp_path / "results"
    srsly.write_json(results / "results.json", RESULTS)
    (results / "results.md").write_text("FULL RESULTS TABLE\n")
    (results / "levers" / "README.md").write_text("# levers\n\nLEVERS TABLE\n")
    split = {"documents": 2, "doc_markers": True, "sentences": 3, "tokens": 40, "entities": 5,
             "entities_per_type": {"Chemical": 5}}
    (tmp_path / "corpus" / "toy").mkdir(parents=True)
    srsly.write_json(tmp_path / "corpus" / "toy" / "stats.json",
                     {"corpus": "toy", "splits": {s: split for s in ("train", "dev", "test")}})
    return tmp_path


def args(project):
    return ["--readme", str(project / "README.md"), "--lab-readme", str(project / "benchmarks" / "README.md"),
            "--root", str(project)]


def test_headline_has_the_workflows_pipelines_only():
    table = headline_table(RESULTS, PROJECT_DIR / "configs")
    assert "| bc5cdr | cnn | config as is | 84.00 | 84.00 | **84.00** | 1.050 | 12,000 | 1.20 |" in table
    assert "| bc5cdr | spacy_default |" in table
    assert "hf_baseline" not in table  # a comparison run without a config of the workflow
    assert "x86_64 CPU, 2 cores" in table


def test_each_document_gets_its_own_tables(project, capsys):
    rc, out, _ = run_main(capsys, main, args(project))
    user, lab = (project / "README.md").read_text(), (project / "benchmarks" / "README.md").read_text()
    assert rc == 0 and "old" not in user and "old" not in lab
    assert "| toy | 2 / 2 / 2 | 3 / 3 / 3 | 40 / 40 / 40 | 5 / 5 / 5 | Chemical 5 |" in user and "**84.00**" in user
    assert "FULL RESULTS TABLE" not in user and "LEVERS TABLE" not in user
    assert "FULL RESULTS TABLE" in lab and "LEVERS TABLE" in lab and "# levers" not in lab
    assert user.endswith("user end\n") and lab.endswith("lab end\n")


def test_a_table_moves_with_its_markers(project, capsys):
    """The headline table's markers in the lab's document: it is filled there."""
    (project / "README.md").write_text(USER.replace("<!-- headline-table:start -->\nold\n<!-- headline-table:end -->\n", ""))
    (project / "benchmarks" / "README.md").write_text(LAB + "<!-- headline-table:start -->\n<!-- headline-table:end -->\n")
    rc, _, _ = run_main(capsys, main, args(project))
    assert rc == 0 and "**84.00**" in (project / "benchmarks" / "README.md").read_text()


def test_a_table_without_markers_is_one_error_and_nothing_is_written(project, capsys):
    (project / "benchmarks" / "README.md").write_text("# lab without markers\n")
    before = files_under(project)
    rc, _, err = run_main(capsys, main, args(project))
    assert rc == 1 and "'<!-- benchmark-table:start -->'" in err and len(err.strip().splitlines()) == 1
    assert (project / "README.md").read_text() == USER and files_under(project) == before


def test_a_missing_document_is_one_error(project, capsys):
    (project / "benchmarks" / "README.md").unlink()
    rc, _, err = run_main(capsys, main, args(project))
    assert rc == 1 and "benchmarks/README.md: file not found" in err
    assert (project / "README.md").read_text() == USER


def test_fill_leaves_documents_without_the_markers_alone():
    with pytest.raises(BionerError, match="no '<!-- x:start -->'"):
        fill({PROJECT_DIR / "a.md": "text\n"}, {"x": "X"})
    filled = fill({PROJECT_DIR / "a.md": "a\n", PROJECT_DIR / "b.md": "<!-- x:start -->\n<!-- x:end -->\n"}, {"x": "X"})
    assert filled[PROJECT_DIR / "a.md"] == "a\n" and filled[PROJECT_DIR / "b.md"] == "<!-- x:start -->\nX\n<!-- x:end -->\n"


def test_a_table_without_its_source_keeps_its_text(project, capsys):
    """No corpus converted (a fresh checkout): the corpus table is left as it is, not emptied."""
    shutil.rmtree(project / "corpus" / "toy")
    kept = USER.replace("<!-- corpus-table:start -->\nold\n", "<!-- corpus-table:start -->\n| jnlpba | train | 1 |\n")
    (project / "README.md").write_text(kept)
    rc, _, _ = run_main(capsys, main, args(project))
    assert rc == 0 and "| jnlpba | train | 1 |" in (project / "README.md").read_text()
