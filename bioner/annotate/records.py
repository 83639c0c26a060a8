"""The record every reader yields and every writer takes, and the report of
one input file.

A record is a plain dict (cheap to pickle to worker processes and Ray
actors): `{"id": str, "text": str, "sections": [{"name", "text", "offset"}]}`.
`text` is what the pipeline sees; every section slices it exactly:
`text[offset:offset + len(section_text)] == section_text`. Sections without
their own offset are joined with one space, the PubTator convention (the
abstract starts at len(title) + 1).
"""
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..unicode_text import not_unicode
from ..components.linker import concept_fields

# A source's passage offsets may leave gaps (BioC); they are filled with
# spaces so that its offsets stay valid, up to this many characters.
MAX_GAP = 100_000
# Characters an id cannot hold: PubTator lines are `id|t|...` and `id\t...`
BAD_ID_CHARS = ("|", "\t", "\n", "\r")
# ... nor can an id hold what XML (BioC) refuses, nor other controls
CONTROL_OR_NONCHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")
EXAMPLES_PER_REASON = 20


class BadRecord(Exception):
    """A record that cannot be annotated; the reason goes in the report."""


def make_record(doc_id: Any, sections: Sequence[Tuple[str, str, Optional[int]]]) -> Dict[str, Any]:
    """Build a record from (name, text, offset or None) sections, in order.
    Empty sections are dropped. Raises BadRecord for an unusable id (one no
    output format can hold) or offsets, or text that is not Unicode."""
    doc_id = "" if doc_id is None else str(doc_id).strip()
    if not doc_id:
        raise BadRecord("no id")
    if any(c in doc_id for c in BAD_ID_CHARS):
        raise BadRecord("id contains '|', a tab or a line break")
    if not_unicode(doc_id):
        raise BadRecord("id is not valid Unicode")
    if CONTROL_OR_NONCHARACTER.search(doc_id):
        raise BadRecord("id contains a control character or a non-character")
    parts: List[str] = []
    out = []
    end = 0
    for name, text, offset in sections:
        if not text:
            continue
        if not_unicode(text):  # a lone surrogate: no pipeline or writer can take it
            raise BadRecord("text is not valid Unicode")
        start = end + (1 if out else 0) if offset is None else offset
        if start < end:
            raise BadRecord(f"section {name!r} starts at {start}, inside the previous one (ends at {end})")
        if start - end > MAX_GAP:
            raise BadRecord(f"section {name!r} starts {start - end:,} characters after the previous one")
        parts.append(" " * (start - end))
        parts.append(text)
        out.append({"name": name, "text": text, "offset": start})
        end = start + len(text)
    if not out:
        raise BadRecord("no text")
    return {"id": doc_id, "text": "".join(parts), "sections": out}


def section_of(record: Dict[str, Any], starts: List[int], char: int) -> str:
    """Name of the section holding character `char` of the record's text
    (`starts`: the sections' offsets)."""
    return record["sections"][max(0, bisect_right(starts, char) - 1)]["name"]


def annotated(record: Dict[str, Any], doc, model: Dict[str, Any]) -> Dict[str, Any]:
    """The output record: the input record plus its entities (character
    offsets into record["text"]) and the pipeline that found them (its
    provenance: bioner.provenance.model_provenance)."""
    if doc.text != record["text"]:  # spaCy keeps the text as given; never expected
        raise RuntimeError(f"{record['id']}: the Doc's text differs from the input text")
    text = record["text"]
    starts = [s["offset"] for s in record["sections"]]
    entities = [
        {"start": ent.start_char, "end": ent.end_char, "label": ent.label_,
         "text": text[ent.start_char:ent.end_char], "section": section_of(record, starts, ent.start_char),
         **concept_fields(ent)}  # id and score, when the pipeline has the linker
        for ent in doc.ents
    ]
    return {**record, "entities": entities, "model": model}


@dataclass
class FileReport:
    """What happened to one input: documents and entities written, bad
    records by reason (count and the first examples), title-only citations
    annotated or skipped, and a file-level error (malformed XML, a damaged
    gzip, an unreadable file) after which the rest was not read."""

    input: str
    shard: str
    docs: int = 0
    entities: int = 0
    words: int = 0
    bad: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    error: Optional[str] = None
    last_good_id: Optional[str] = None  # with an error: the last record read before it
    deleted_citations: int = 0
    title_only: int = 0  # MEDLINE citations without an abstract, annotated (their title)
    title_only_skipped: int = 0  # the same, skipped (skip_title_only)
    model: Optional[Dict[str, Any]] = None  # the pipeline's provenance (bioner.provenance)
    skipped: Dict[str, int] = field(default_factory=dict)  # JATS: elements left out, per name
    seconds: float = 0.0

    def add_bad(self, reason: str, where: str) -> None:
        entry = self.bad.setdefault(reason, {"count": 0, "examples": []})
        entry["count"] += 1
        if len(entry["examples"]) < EXAMPLES_PER_REASON:
            entry["examples"].append(where)

    @property
    def n_bad(self) -> int:
        return sum(e["count"] for e in self.bad.values())

    def to_dict(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "FileReport":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def summary(self) -> str:
        """One line: counts, bad records by reason, the error if any."""
        line = f"{self.input}: {self.docs:,} docs, {self.entities:,} entities"
        if self.title_only or self.title_only_skipped:
            line += (f" ({self.title_only:,} title-only annotated)" if self.title_only
                     else f" ({self.title_only_skipped:,} title-only skipped)")
        if self.bad:
            reasons = ", ".join(f"{e['count']:,} {reason}" for reason, e in sorted(self.bad.items()))
            line += f"; {self.n_bad:,} bad records skipped ({reasons})"
        if self.skipped:
            line += "; left out of the text: " + ", ".join(f"{n:,} {name}" for name, n in self.skipped.items())
        if self.error:
            line += f"; {self.error}"
        return line
