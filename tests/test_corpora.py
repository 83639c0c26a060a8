"""bioner/corpora.py through bioner/registry.py: the corpus registry is
validated when it is loaded (one line naming the corpus key and the field)."""
import pytest
from conftest import PROJECT_DIR, corpus_entry, write_project

from bioner.errors import BionerError
from bioner.formats import FORMATS
from bioner.registry import get_corpus, load_registry


def test_real_registry_is_valid():
    registry = load_registry(PROJECT_DIR / "project.yml")
    assert {"jnlpba", "bc5cdr", "bc5cdr_pubtator", "bc5cdr_chemical"} <= set(registry)
    assert registry["bc5cdr_pubtator"].format == "pubtator"
    chemical = registry["bc5cdr_chemical"]
    assert chemical.labels == ["Chemical"] and chemical.files == registry["bc5cdr"].files
    assert all(c.format in FORMATS for c in registry.values())


BAD_ENTRIES = [
    ({"url": None, "mirror_dir": None, "title": 3}, "toy.title", "valid string"),
    ({"url": "ftp://x"}, "toy.url", "should match pattern"),
    ({"sentences_per_doc": "ten"}, "toy.sentences_per_doc", "valid integer"),
    ({"format": "conll"}, "toy.format", "unknown format 'conll'"),
    ({"labels": "Chemical"}, "toy.labels", "valid list"),
    ({"labels": ["A", "A"]}, "toy.labels", "listed twice"),
    ({"licence": "typo"}, "toy.licence", "Extra inputs are not permitted"),
    ({"package_suffix": "-Bad"}, "toy.package_suffix", "should match pattern"),
    ({"files": {"train": {"file": "t.tsv", "git_blob": "abc"}}}, "toy.files.train.git_blob", "not a git blob id"),
    ({"files": {"train": {"file": "t.tsv", "git_blob": "0" * 40}}}, "toy.files.dev", "Field required"),
    ({"extends": "nowhere"}, "toy.extends", "is not another key"),
    ({"label_map": {"SpecificDisease": "Disease"}}, "toy.label_map", "format pubtator only"),
    ({"format": "pubtator", "label_map": {"Specific Disease": "Disease"}}, "toy.label_map", "contains whitespace"),
    ({"format": "pubtator", "label_map": ["Disease"]}, "toy.label_map", "valid dictionary"),
]


@pytest.mark.parametrize("fields,where,what", BAD_ENTRIES)
def test_bad_entry_is_one_line_naming_key_and_field(tmp_path, fields, where, what):
    project = write_project(tmp_path, {"toy": corpus_entry(**fields)})
    with pytest.raises(BionerError) as err:
        load_registry(project)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"project.yml: vars.corpora.{where}"), message
    assert what in message


def test_missing_registry_and_unknown_key(tmp_path):
    with pytest.raises(BionerError, match="project file not found"):
        load_registry(tmp_path / "project.yml")
    write_project(tmp_path, {})
    with pytest.raises(BionerError, match="vars.corpora is missing or empty"):
        load_registry(tmp_path / "project.yml")
    write_project(tmp_path, {"toy": corpus_entry()})
    with pytest.raises(BionerError, match="Unknown corpus 'nope'. Known corpora: toy."):
        get_corpus("nope", tmp_path / "project.yml")
