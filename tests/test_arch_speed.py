"""benchmarks/arch_speed.py: untrained pipelines built from a lever or a
config name, measured in turns; a misspelt name or setting is one error."""
import shutil

import pytest
import srsly
from conftest import PROJECT_DIR, run_main
from spacy.tokens import DocBin
from test_levers import tiny_docs

from benchmarks.arch_speed import markdown, measure
from scripts.arch_speed import main
from bioner.errors import BionerError


@pytest.fixture
def project(tmp_path):
    """The project's configs and settings, a tiny converted corpus, two levers."""
    shutil.copytree(PROJECT_DIR / "configs", tmp_path / "configs")
    config = srsly.read_yaml(PROJECT_DIR / "project.yml")
    config["vars"]["levers"] = {
        "narrow": {"model": "cnn", "overrides": {"components.tok2vec.model.encode.width": 32}},
        "misspelt": {"model": "cnn", "overrides": {"components.tok2vec.model.encode.wdith": 32}},
    }
    srsly.write_yaml(tmp_path / "project.yml", config)
    corpus = tmp_path / "corpus" / "toy"
    corpus.mkdir(parents=True)
    for split in ("train", "test"):
        DocBin(docs=tiny_docs(30)).to_disk(corpus / f"{split}.spacy")
    return tmp_path


def test_variants_are_measured_in_turns_against_the_first(project):
    result = measure("toy", ["spacy_default", "narrow"], rounds=2, n_texts=10, root=project)
    base, narrow = result["rows"]
    assert base["ratio"] == 1.0 and len(base["rounds"]) == len(narrow["rounds"]) == 2
    assert narrow["config"] == "configs/cnn.cfg" and "width=32" in narrow["overrides"]
    assert all(r > 0 for row in result["rows"] for r in row["rounds"])
    assert "| narrow | `configs/cnn.cfg` |" in markdown(result)


def test_cli_writes_the_tables_and_refuses_unknown_names_and_settings(project, capsys):
    rc, out, _ = run_main(capsys, main, ["toy", "spacy_default", "cnn", "--rounds", "1", "--texts", "5",
                                         "--root", str(project)])
    assert rc == 0 and "cnn:" in out
    saved = srsly.read_json(project / "results" / "arch_speed" / "toy.json")
    assert [r["variant"] for r in saved["rows"]] == ["spacy_default", "cnn"]
    assert (project / "results" / "arch_speed" / "toy.md").exists()
    with pytest.raises(BionerError, match="nonesuch: neither a lever"):
        measure("toy", ["spacy_default", "nonesuch"], root=project)
    with pytest.raises(BionerError, match="did you mean 'components.tok2vec.model.encode.width'"):
        measure("toy", ["misspelt"], root=project)
    with pytest.raises(BionerError, match="convert"):
        measure("other", ["cnn"], root=project)


def test_lab_readme_gets_a_copy_of_the_arch_speed_tables(project, capsys):
    from scripts.readme_tables import main as readme_main

    measure_dir = project / "results" / "arch_speed"
    measure_dir.mkdir(parents=True)
    (measure_dir / "toy.md").write_text(markdown(measure("toy", ["cnn"], rounds=1, n_texts=5, root=project)))
    readme = project / "README.md"
    readme.write_text("intro\n<!-- corpus-table:start -->\n<!-- corpus-table:end -->\n")
    lab = project / "benchmarks" / "README.md"
    lab.parent.mkdir()
    lab.write_text("lab\n<!-- arch-speed:start -->\nold\n<!-- arch-speed:end -->\nend\n")
    rc, _, _ = run_main(capsys, readme_main, ["--readme", str(readme), "--lab-readme", str(lab),
                                              "--root", str(project)])
    text = lab.read_text()
    assert rc == 0 and "old" not in text and text.endswith("end\n")
    assert "toy: Made by `python -m scripts.arch_speed toy cnn`" in text and "| cnn | `configs/cnn.cfg` |" in text
    assert "arch_speed" not in readme.read_text()
