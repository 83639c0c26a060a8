"""bioner/corpora.py: the corpus registry is validated when it is loaded (one
line naming the corpus key and the field), and the path layout is the one
project.yml's commands use; every command lists every module it runs."""
import ast
from pathlib import Path
from typing import List

import pytest
import srsly
from conftest import PROJECT_DIR, corpus_entry, write_project

from bioner.corpora import SPLITS, Layout, get_corpus, load_registry
from bioner.errors import BionerError
from bioner.formats import FORMATS

PROJECT = srsly.read_yaml(PROJECT_DIR / "project.yml")
COMMANDS = {c["name"]: c for c in PROJECT["commands"]}


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
    ({"extends": "nowhere"}, "toy.extends", "not another corpus key"),
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


def substitute(path: str, corpus: str = "C", model: str = "M") -> str:
    return path.replace("${vars.corpus}", corpus).replace("${vars.model}", model)


def test_project_commands_use_the_layout():
    layout = Layout(Path("."))
    c, m = "C", "M"
    expected = {
        ("fetch", "outputs"): [layout.assets(c)],
        ("convert", "outputs"): [layout.docbin(c, s) for s in SPLITS] + [layout.stats(c)],
        ("train", "outputs"): [layout.model_best(c, m)],
        ("evaluate", "outputs"): [layout.metrics(c, m), layout.predictions(c, m)],
        ("package", "outputs_no_cache"): [layout.packages(c, m)],
        ("check-package", "outputs"): [layout.package_check(c, m)],
        ("report", "outputs"): [layout.report(c)],
    }
    for (name, key), paths in expected.items():
        assert [Path(substitute(p)) for p in COMMANDS[name][key]] == paths, name
    assert Path(substitute(COMMANDS["train"]["deps"][0])) == layout.config(m)


def module_file(name: str):
    path = PROJECT_DIR.joinpath(*name.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def project_imports(module: str) -> set:
    """Project files that running `python -m <module>` imports (bioner/,
    scripts/, benchmarks/), found by reading the import statements, those
    inside functions included."""
    files, done, todo = set(), set(), [module]
    while todo:
        name = todo.pop()
        if name in done:
            continue
        done.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run first
        path = module_file(name)
        if path is None:
            continue
        files.add(path)
        package = parts if path.name == "__init__.py" else parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                stem = ".".join(base + ([node.module] if node.module else []))
                targets = [stem] + [f"{stem}.{a.name}" for a in node.names]
            else:
                continue
            todo += [t for t in targets if t.split(".")[0] in ("bioner", "scripts", "benchmarks") and module_file(t)]
    return {str(p.relative_to(PROJECT_DIR)) for p in files}


def modules_run(command) -> List[str]:
    """The project modules a command's script lines run with `python -m`."""
    return [line.split()[2] for line in command["script"]
            if line.startswith("python -m ") and line.split()[2].split(".")[0] in ("scripts", "benchmarks")]


@pytest.mark.parametrize("name", sorted(n for n, c in COMMANDS.items() if modules_run(c)))
def test_every_command_lists_every_module_it_runs(name):
    command = COMMANDS[name]
    needed = set()
    for module in modules_run(command):  # every line: `text` runs fetch, then text
        imports = project_imports(module)
        assert f"{module.replace('.', '/')}.py" in imports
        needed |= imports
    missing = sorted(needed - set(command.get("deps", [])))
    assert not missing, f"{name}: add to deps: {missing}"
