"""Read PubTator files (the format of the original BC5CDR and NCBI-disease
releases) into spaCy Docs, one Doc per PMID.

Layout, per document: `PMID|t|title` and `PMID|a|abstract` lines, then one
line per mention `PMID<TAB>start<TAB>end<TAB>text<TAB>type[<TAB>ids...]`
with character offsets into title + " " + abstract, then optional relation
lines `PMID<TAB>CID<TAB>id<TAB>id` (not mentions), and a blank line.

The text is tokenised with the pipeline language's tokenizer and split into
sentences by spaCy's rule-based sentencizer. A mention whose edge falls
inside a token cannot be an entity of those tokens: the token is split at
the edge (so no annotation is lost), and every such mention is reported
with its file:line. Of overlapping mentions the first (longest) is kept and
the others are reported the same way.

Concept ids (the sixth column) become the entity's `kb_id_`: `-1` or an
empty column means none (""), and a composite mention's ids, joined by `|`
(BC5CDR) or `+` (NCBI-disease), are kept joined by `|` (ID_SEP). The
entry's `label_map` (ReadOptions) renames source types, e.g. NCBI-disease's
SpecificDisease and DiseaseClass to Disease. A mention text that differs
from the document's characters only by whitespace at its edges (a quirk of
the NCBI-disease release) is accepted and reported; any other difference is
an error.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from .base import CorpusFormat, ReadOptions, SplitData, line_error, read_text

MAX_LISTED = 5  # line numbers named in a warning; stats.json keeps them all
ID_SEP = "|"  # joins a composite mention's concept ids in ent.kb_id_
NO_ID = ("", "-1")  # the releases' "no concept"


def parse_ids(column: str) -> str:
    """A mention's id column as ent.kb_id_: "" for none, composite ids
    (`|` or `+`) joined by ID_SEP, empty and -1 parts dropped."""
    parts = [p.strip() for p in re.split(r"[|+]", column)]
    return ID_SEP.join(p for p in parts if p not in NO_ID)


@dataclass
class Mention:
    start: int
    end: int
    label: str
    line: int
    kb_id: str = ""  # parse_ids of the sixth column


@dataclass
class Document:
    pmid: str
    line: int  # of the title
    title: Optional[str] = None
    abstract: Optional[str] = None
    mentions: List[Mention] = field(default_factory=list)

    @property
    def text(self) -> str:
        return f"{self.title} {self.abstract}" if self.abstract else (self.title or "")


def _finish(path: Path, doc: Optional[Document], docs: List[Document], seen: Dict[str, int]) -> None:
    if doc is None:
        return
    if doc.title is None or doc.abstract is None:
        part = "title (PMID|t|...)" if doc.title is None else "abstract (PMID|a|...)"
        raise line_error(path, doc.line, f"document {doc.pmid} has no {part} line. Every document "
                                         f"starts with PMID|t|title and PMID|a|abstract.")
    if doc.pmid in seen:
        raise line_error(path, doc.line, f"document {doc.pmid} appears twice (first on line "
                                         f"{seen[doc.pmid]}). Keep one copy.")
    seen[doc.pmid] = doc.line
    text = doc.text
    for m in doc.mentions:
        if not 0 <= m.start < m.end <= len(text):
            raise line_error(path, m.line, f"mention offsets {m.start}-{m.end} are outside the "
                                           f"document's {len(text)} characters (title + ' ' + abstract).")
    docs.append(doc)


def parse(path: Path, text: str, label_map: Optional[Dict[str, str]] = None,
          notes: Optional[Dict[str, List[int]]] = None) -> List[Document]:
    """Documents with their mentions, every line checked. Types are renamed
    by `label_map`; lines of mentions accepted with a whitespace-only
    difference at their edges are added to notes["whitespace_edges"]."""
    label_map = label_map or {}
    notes = notes if notes is not None else {}
    docs: List[Document] = []
    seen: Dict[str, int] = {}
    doc: Optional[Document] = None
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            _finish(path, doc, docs, seen)
            doc = None
            continue
        head = line.split("|", 2)
        if len(head) == 3 and head[1] in ("t", "a") and "\t" not in head[0]:
            pmid, kind, content = head
            if doc is None or (kind == "t" and doc.title is not None):
                _finish(path, doc, docs, seen)
                doc = Document(pmid, lineno)
            if pmid != doc.pmid:
                raise line_error(path, lineno, f"PMID {pmid} inside document {doc.pmid} (line {doc.line}). "
                                               f"Put a blank line between documents.")
            if kind == "t":
                doc.title = content
            elif doc.title is None or doc.abstract is not None:
                raise line_error(path, lineno, "abstract line (PMID|a|...) without a title line before it.")
            else:
                doc.abstract = content
            continue
        columns = line.split("\t")
        if doc is None or doc.title is None:
            raise line_error(path, lineno, f"{line[:60]!r} is neither a PMID|t|title nor a PMID|a|abstract "
                                           f"line, and no document has started. Is this a PubTator file?")
        if columns[0] != doc.pmid:
            raise line_error(path, lineno, f"line of PMID {columns[0]!r} inside document {doc.pmid} "
                                           f"(line {doc.line}). Put a blank line between documents.")
        if len(columns) == 4 and not columns[1].isdigit():
            continue  # a relation: PMID, relation type, two concept ids
        if len(columns) < 5:
            raise line_error(path, lineno, f"expected a mention PMID<TAB>start<TAB>end<TAB>text<TAB>type "
                                           f"(5 or more tab-separated columns), found {len(columns)}: {line[:60]!r}.")
        start, end, mention, label = columns[1:5]
        if not (start.isdigit() and end.isdigit()):
            raise line_error(path, lineno, f"mention offsets must be whole numbers, not {start!r} and {end!r}.")
        if not label.strip() or any(c.isspace() for c in label):
            raise line_error(path, lineno, f"mention type {label!r} is empty or contains whitespace.")
        ids = parse_ids(columns[5]) if len(columns) > 5 else ""
        m = Mention(int(start), int(end), label_map.get(label, label), lineno, ids)
        text_ = doc.text if doc.abstract is not None else doc.title
        found = text_[m.start:m.end]
        if m.end <= len(text_) and found != mention and found.strip() == mention.strip() != "":
            # whitespace only, at the edges: the offsets say which characters are meant
            notes.setdefault("whitespace_edges", []).append(lineno)
        elif m.end <= len(text_) and found != mention:
            raise line_error(path, lineno, f"mention text {mention!r} differs from the document's characters "
                                           f"{m.start}-{m.end} ({text_[m.start:m.end]!r}). Fix the offsets.")
        doc.mentions.append(m)
    _finish(path, doc, docs, seen)
    return docs


def split_tokens(tokens: Doc, cuts: List[int]) -> Tuple[List[str], List[bool]]:
    """Words and trailing spaces of `tokens`, with every token that a
    character offset in `cuts` (sorted) falls inside split at it. Linear in
    the number of tokens and cuts."""
    words, spaces = [], []
    k = 0
    for token in tokens:
        start, end = token.idx, token.idx + len(token)
        while k < len(cuts) and cuts[k] <= start:
            k += 1
        edges = [start]
        while k < len(cuts) and cuts[k] < end:
            edges.append(cuts[k])
            k += 1
        edges.append(end)
        for a, b in zip(edges, edges[1:]):
            words.append(token.text[a - start:b - start])
            spaces.append(False)
        spaces[-1] = bool(token.whitespace_)
    return words, spaces


class PubTatorFormat(CorpusFormat):
    """PubTator title/abstract + mention lines; one Doc per PMID."""

    name = "pubtator"
    suffix = ".txt"
    document_unit = "PMID"

    def __init__(self) -> None:
        self._nlp: Dict[str, Language] = {}

    def _pipeline(self, lang: str) -> Language:
        if lang not in self._nlp:
            nlp = spacy.blank(lang)
            nlp.add_pipe("sentencizer")
            self._nlp[lang] = nlp
        return self._nlp[lang]

    def to_doc(self, nlp: Language, document: Document, notes: Dict[str, List[int]]) -> Doc:
        tokens = nlp.make_doc(document.text)
        cuts = sorted({edge for m in document.mentions for edge in (m.start, m.end)})
        words, spaces = split_tokens(tokens, cuts)
        doc = nlp.get_pipe("sentencizer")(Doc(nlp.vocab, words=words, spaces=spaces))
        spans = []
        for m in sorted(document.mentions, key=lambda m: (m.start, -m.end)):
            span = doc.char_span(m.start, m.end, label=m.label, kb_id=m.kb_id)
            if span is None:  # an edge in whitespace: no token starts or ends there
                notes["unaligned"].append(m.line)
                continue
            if spans and span.start < spans[-1].end:
                notes["overlapping"].append(m.line)
                continue
            if tokens.char_span(m.start, m.end) is None:
                notes["split"].append(m.line)
            spans.append(span)
        doc.ents = spans
        return doc

    def read(self, path: Path, options: ReadOptions) -> SplitData:
        path = Path(path)
        notes: Dict[str, List[int]] = {"whitespace_edges": [], "split": [], "overlapping": [], "unaligned": []}
        documents = parse(path, read_text(path), options.label_map, notes)
        if not documents:
            raise line_error(path, 1, "no PubTator documents (PMID|t|title lines) in the file.")
        nlp = self._pipeline(options.lang)
        docs = [self.to_doc(nlp, d, notes) for d in documents]
        warnings = []
        what = {
            "whitespace_edges": "mention text(s) differing from the document's characters only by whitespace "
                                "at the edges; the offsets were kept",
            "split": "mention(s) whose edges fall inside a token; the tokens were split at the edges",
            "overlapping": "mention(s) overlapping an earlier, longer mention; left out",
            "unaligned": "mention(s) starting or ending in whitespace; left out",
        }
        for key, lines in notes.items():
            if lines:
                listed = ", ".join(map(str, lines[:MAX_LISTED])) + (" ..." if len(lines) > MAX_LISTED else "")
                warnings.append(f"{path}: {len(lines)} {what[key]} (lines {listed}; all in stats.json).")
        stats = {
            "doc_markers": True,
            "scheme": "PubTator",
            "mentions": sum(len(d.mentions) for d in documents),
            "mentions_split_tokens": notes["split"],
            "mentions_overlapping": notes["overlapping"],
            "mentions_unaligned": notes["unaligned"],
            "mentions_whitespace_edges": notes["whitespace_edges"],
            "mentions_with_ids": sum(1 for d in documents for m in d.mentions if m.kb_id),
        }
        return SplitData(docs, stats, warnings)
