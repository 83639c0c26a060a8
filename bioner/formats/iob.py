"""Read token-per-line IOB2/IOBES files (the MTL-Bioinformatics-2016 layout)
into spaCy Docs, checking every line.

Layout: `token<TAB>tag` per line, a blank line after each sentence, and
optionally `-DOCSTART-<TAB>O` plus a blank line before each document.

spaCy's own `conll_ner` converter reads this layout too, but it knows neither
IOBES nor line numbers, and it accepts broken tag sequences silently. Here
every problem is reported as `file:line: what is wrong. What to do.`
"""
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from spacy.tokens import Doc
from spacy.vocab import Vocab

from .base import CorpusFormat, ReadOptions, SplitData, line_error, read_text

DOCSTART = "-DOCSTART-"
TAG_RE = re.compile(r"^(O|[BIES]-\S+)$")


@dataclass
class Sentence:
    words: List[str]
    tags: List[str]  # as written in the file
    lines: List[int]  # 1-based line number of each token


@dataclass
class IOBFile:
    """The checked content of one file."""

    path: Path
    documents: List[List[Sentence]]
    scheme: str  # "IOB2" or "IOBES"
    has_doc_markers: bool
    repairs: List[int] = field(default_factory=list)  # lines of repaired I- tags


def _tag_hint(tag: str) -> str:
    """What to do about a tag that is not O or B-/I-/E-/S-<type>."""
    if any(c.isspace() for c in tag):
        return "The tag contains whitespace: write it as B-<type>, without spaces."
    if tag[:2] in ("U-", "L-"):
        return "BILOU tags are not read: write U- as S- and L- as E- (IOBES)."
    if tag[:2] in ("b-", "i-", "e-", "s-") and len(tag) > 2:
        return "Prefixes are upper case: B-, I-, E-, S-."
    if tag in ("B", "I", "E", "S") or tag.endswith("-"):
        return "The entity type is missing: write B-<type>, e.g. B-protein."
    return "Tags must be O or B-/I-/E-/S- followed by an entity type, e.g. B-protein."


def parse(path: Path, text: str) -> Tuple[List[List[Sentence]], bool]:
    """Split text into documents of sentences, checking columns and tags."""
    documents: List[List[Sentence]] = [[]]
    sentence = Sentence([], [], [])
    has_markers = False
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            if sentence.words:
                documents[-1].append(sentence)
                sentence = Sentence([], [], [])
            continue
        columns = line.split("\t")
        if len(columns) != 2:
            hint = (
                " (the columns seem to be separated by spaces)"
                if len(columns) == 1 and len(line.split()) == 2
                else ""
            )
            raise line_error(
                path,
                lineno,
                f"expected 2 tab-separated columns (token, tag), found {len(columns)}{hint}: "
                f"{line[:60]!r}. Fix the line or convert the file to token<TAB>tag.",
            )
        token, tag = columns[0].strip(), columns[1].strip()
        if token == DOCSTART:
            if sentence.words:
                raise line_error(
                    path,
                    lineno,
                    f"{DOCSTART} inside a sentence. Put a blank line before it.",
                )
            has_markers = True
            if documents[-1]:
                documents.append([])
            continue
        if not token:
            raise line_error(path, lineno, "empty token. Every line needs token<TAB>tag.")
        if len(token.split()) > 1:
            raise line_error(
                path,
                lineno,
                f"token {token[:40]!r} contains whitespace. Put one token per line "
                f"(token<TAB>tag), or join its parts.",
            )
        if not TAG_RE.match(tag):
            raise line_error(path, lineno, f"unknown tag {tag!r}. {_tag_hint(tag)}")
        sentence.words.append(token)
        sentence.tags.append(tag)
        sentence.lines.append(lineno)
    if sentence.words:
        documents[-1].append(sentence)
    documents = [doc for doc in documents if doc]
    return documents, has_markers


def _iobes_to_iob2(path: Path, sentence: Sentence, first_iobes: int) -> List[str]:
    """Check an IOBES sentence and turn it into IOB2 (S->B, E->I).
    `first_iobes` is the line of the file's first E-/S- tag, named in errors."""
    why = f"the file is read as IOBES because of the E-/S- tag on line {first_iobes}"
    out = []
    open_label: Optional[str] = None  # label of an entity begun but not ended
    for tag, lineno in zip(sentence.tags, sentence.lines):
        prefix, label = (tag.split("-", 1) + [""])[:2]
        if open_label is not None and not (prefix in "IE" and label == open_label):
            raise line_error(
                path,
                lineno,
                f"{tag!r} follows an unfinished {open_label} entity: the file mixes IOB and "
                f"IOBES tags ({why}; in IOBES an entity ends with E- or is a single S-). "
                f"Use one scheme in the whole file.",
            )
        if open_label is None and prefix in "IE":
            raise line_error(
                path,
                lineno,
                f"{tag!r} does not continue a B-{label} entity: not valid IOBES "
                f"({why}). Use one scheme in the whole file.",
            )
        open_label = label if prefix in "BI" else None
        out.append({"S": "B", "E": "I"}.get(prefix, prefix) + ("-" + label if label else ""))
    if open_label is not None:
        raise line_error(
            path,
            sentence.lines[-1],
            f"the sentence ends inside a {open_label} entity: the file mixes IOB and IOBES "
            f"tags ({why}; in IOBES an entity ends with E- or is a single S-). "
            f"Use one scheme in the whole file.",
        )
    return out


def _check_iob2(path: Path, sentence: Sentence, repair: bool, repairs: List[int]) -> List[str]:
    """Check an IOB2 sentence; an I-X that starts an entity becomes B-X if
    `repair`, else it is an error."""
    out = []
    prev = "O"
    for tag, lineno in zip(sentence.tags, sentence.lines):
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            if not repair:
                raise line_error(
                    path,
                    lineno,
                    f"{tag!r} follows {prev!r}: not valid IOB2. Fix the tag, or convert "
                    f"without --strict to read it as the start of a new entity.",
                )
            repairs.append(lineno)
            tag = "B-" + tag[2:]
        out.append(tag)
        prev = tag
    return out


def read_iob(path: Path, *, repair: bool = True) -> IOBFile:
    """Read and check one IOB2/IOBES file. The scheme is IOBES if any tag is
    E- or S-, else IOB2; tags are returned in IOB2."""
    path = Path(path)
    text = read_text(path)
    documents, has_markers = parse(path, text)
    if not documents:
        raise line_error(path, 1, f"the file has no tokens, only {DOCSTART} markers.")
    first_iobes = next(
        (
            lineno
            for doc in documents
            for s in doc
            for tag, lineno in zip(s.tags, s.lines)
            if tag[:2] in ("E-", "S-")
        ),
        0,
    )
    iobes = first_iobes > 0
    repairs: List[int] = []
    for doc in documents:
        for sentence in doc:
            if iobes:
                sentence.tags = _iobes_to_iob2(path, sentence, first_iobes)
            else:
                sentence.tags = _check_iob2(path, sentence, repair, repairs)
    return IOBFile(path, documents, "IOBES" if iobes else "IOB2", has_markers, repairs)


def group_sentences(iob: IOBFile, sentences_per_doc: int) -> List[List[Sentence]]:
    """Documents as marked in the file; a file without markers is one run of
    sentences, cut into documents of `sentences_per_doc` consecutive sentences."""
    if iob.has_doc_markers or sentences_per_doc <= 0:
        return iob.documents
    sentences = [s for doc in iob.documents for s in doc]
    n = sentences_per_doc
    return [sentences[i : i + n] for i in range(0, len(sentences), n)]


def to_doc(vocab: Vocab, sentences: List[Sentence]) -> Doc:
    """One spaCy Doc with gold tokens, sentence starts and entities."""
    words, sent_starts, tags = [], [], []
    for sentence in sentences:
        words.extend(sentence.words)
        sent_starts.extend([True] + [False] * (len(sentence.words) - 1))
        tags.extend(sentence.tags)
    spaces = [True] * len(words)
    spaces[-1] = False
    return Doc(vocab, words=words, spaces=spaces, sent_starts=sent_starts, ents=tags)


class IOBFormat(CorpusFormat):
    """token<TAB>tag lines, IOB2 or IOBES (the MTL-Bioinformatics-2016 layout)."""

    name = "iob"
    suffix = ".tsv"
    document_unit = "-DOCSTART- document"

    def read(self, path: Path, options: ReadOptions) -> SplitData:
        iob = read_iob(path, repair=not options.strict)
        vocab = Vocab()
        docs = [to_doc(vocab, sents) for sents in group_sentences(iob, options.sentences_per_doc)]
        warnings = []
        if iob.repairs:
            lines = ", ".join(map(str, iob.repairs[:5])) + (" ..." if len(iob.repairs) > 5 else "")
            warnings.append(
                f"{path}: {len(iob.repairs)} I- tag(s) that start an entity read as B- "
                f"(lines {lines}); use --strict to reject them instead."
            )
        stats = {"doc_markers": iob.has_doc_markers, "scheme": iob.scheme, "repaired_tags": len(iob.repairs)}
        return SplitData(docs, stats, warnings)
