"""Inputs -> records (see `records`), streaming, with bad records counted.

- MEDLINE/PubMed XML, gzipped or plain, of every DTD generation: the
  `PubmedArticleSet` of 2017 on (and of efetch), holding `PubmedArticle`s
  and `PubmedBookArticle`s, and the `MedlineCitationSet` of the baselines
  and updates until 2016, holding bare `MedlineCitation`s. Title and
  abstract of each, keeping the PMID (the citation's own, never the cited
  ones of CommentsCorrections); a structured abstract gives one section per
  `AbstractText`, named `abstract:<Label>`. A citation with a title only is
  annotated (its title), or skipped with `skip_title_only`; both are
  counted. Parsed with lxml's pull parser, clearing each article once read,
  so memory does not grow with the file. `DeleteCitation` PMIDs are
  counted. External DTDs and entities are never fetched.
- BioC XML (`collection`): one section per passage, at the passage's own
  offset, so BioC offsets stay valid.
- JATS XML (`article`, or PMC's `pmc-articleset`; PMC open-access full
  texts, eLife): one record per article, id from its PMCID, PMID or DOI;
  title, abstracts, body section titles and paragraphs, read by bioner.jats
  (references, tables, figures, formulas and peer-review parts skipped and
  counted in the FileReport's `skipped`). A tarball of them (.tar, .tar.gz,
  .tgz) is one input.
- JSONL (`.jsonl`, `.jsonl.gz`): one object per line with `id` and `text`.
- A folder of `.txt` files: one document per file, id = path below the
  folder without `.txt`; the whole folder is one input (one shard).

A bad record (no PMID, invalid UTF-8 or JSON, no text, an id or text no
writer can hold: a lone surrogate, a control character in an id) is skipped and
counted in the FileReport with its reason and place. A broken file
(malformed XML, invalid bytes, a gzip stream cut short or corrupt) stops
that file only: every record complete before the damage is kept, and the
report says where the damage is and which record was the last good one.
Gzip is inflated here (`SalvagingReader`), not by `gzip.GzipFile`, whose
buffered reads drop the data of the block in which the stream breaks.
"""
import io
import json
import re
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from lxml import etree

from ..errors import BionerError
from ..jats import Skipped, iter_articles
from .records import BadRecord, FileReport, make_record

XML_SUFFIXES = (".xml", ".xml.gz", ".nxml", ".bioc")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")  # of JATS articles (an eLife or PMC bulk archive)
ALL_SUFFIXES = XML_SUFFIXES + JSONL_SUFFIXES + TAR_SUFFIXES
ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
# The elements a MEDLINE file's root holds, per DTD generation: the
# citations, and the deleted PMIDs (counted, not annotated)
MEDLINE_UNITS = {
    "PubmedArticleSet": ("PubmedArticle", "PubmedBookArticle"),  # 2017 on, efetch
    "PubmedBookArticleSet": ("PubmedBookArticle",),
    "MedlineCitationSet": ("MedlineCitation",),  # baselines and updates until 2016
}
CHUNK = 1 << 16  # bytes read (and parsed) at a time


@dataclass(frozen=True)
class Input:
    """One unit of work: a file (kind "xml" or "jsonl") or a folder of .txt
    files (kind "txt"). `shard` names its output files."""

    kind: str
    path: str
    shard: str


def shard_name(path: Path) -> str:
    name = path.name
    for suffix in sorted(ALL_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _kind_of(path: Path) -> Optional[str]:
    name = path.name.lower()
    if name.endswith(XML_SUFFIXES):
        return "xml"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(TAR_SUFFIXES):
        return "jats_tar"
    return None


def find_inputs(paths: Iterable[Path]) -> List[Input]:
    """The inputs named on the command line: files as they are, folders
    expanded (their XML/JSONL files, sorted; their .txt files as one input).
    Raises BionerError for a missing path, an unknown file type, nothing to
    read, or two inputs that would write the same shard."""
    found: List[Input] = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if not p.is_dir())
            found += [Input(k, str(p), shard_name(p)) for p in files if (k := _kind_of(p))]
            if next(path.rglob("*.txt"), None) is not None:
                found.append(Input("txt", str(path), path.resolve().name))
        elif path.exists():
            kind = _kind_of(path)
            if kind is None:
                raise BionerError(
                    f"{path}: unknown input type. Give MEDLINE/BioC/JATS XML (.xml, .xml.gz), a tarball of JATS "
                    f"files (.tar.gz), JSONL "
                    f"(.jsonl, .jsonl.gz, lines with 'id' and 'text') or a folder of .txt files."
                )
            found.append(Input(kind, str(path), shard_name(path)))
        else:
            raise BionerError(f"{path}: no such file or folder")
    if not found:
        raise BionerError("no input found: the folders given hold no .xml, .xml.gz, .jsonl or .txt files")
    seen: Dict[str, str] = {}
    for inp in found:
        if inp.shard in seen and seen[inp.shard] != inp.path:
            raise BionerError(f"{seen[inp.shard]} and {inp.path} would both write shard {inp.shard!r}: rename one")
        seen[inp.shard] = inp.path
    return list({inp.path: inp for inp in found}.values())  # same file named twice: once


class SalvagingReader(io.RawIOBase):
    """A file's bytes, gunzipped when it starts with gzip's magic, that never
    raises for damage: a gzip stream cut short or corrupt, or a read error,
    ends the stream after every byte that could be recovered, and `damage`
    says what happened. Gzip members are inflated with zlib here; at a
    corrupt block, the input is fed again byte by byte from the state
    before it, so no byte decoded before the fault is lost."""

    def __init__(self, path: Path) -> None:
        self.file = open(path, "rb")
        self.gzipped = self.file.read(2) == b"\x1f\x8b"
        self.file.seek(0)
        self.damage: Optional[str] = None
        self._inflater = zlib.decompressobj(wbits=31)
        self._in_member = False  # bytes of the current gzip member were fed
        self._compressed = 0  # compressed bytes read so far
        self._out = b""
        self._pos = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._pos >= len(self._out) and not self._done:
            self._out, self._pos = self._fill(), 0
        n = min(len(buffer), len(self._out) - self._pos)
        buffer[:n] = self._out[self._pos:self._pos + n]
        self._pos += n
        return n

    def close(self) -> None:
        self.file.close()
        super().close()

    def _fill(self) -> bytes:
        try:
            data = self.file.read(CHUNK)
        except OSError as err:
            return self._stop(f"cannot read the file ({err.strerror or err})")
        if not self.gzipped:
            self._done = not data
            return data
        if not data:
            if self._in_member:
                return self._stop("the gzip stream is truncated (the file ends inside it)")
            self._done = True
            return b""
        out = []
        while data:
            saved = self._inflater.copy()
            start = self._compressed
            self._compressed += len(data)
            try:
                out.append(self._inflater.decompress(data))
            except zlib.error as err:
                salvaged, fault = self._salvage(saved, data)
                out.append(salvaged)
                return b"".join(out) + self._stop(f"the gzip stream is corrupt (found at compressed byte "
                                                  f"{start + fault:,}: {err})")
            self._in_member = True
            data = b""
            if self._inflater.eof:  # a member ended: another may follow (concatenated gzip)
                data = self._inflater.unused_data.lstrip(b"\0")
                self._compressed -= len(self._inflater.unused_data)
                self._inflater, self._in_member = zlib.decompressobj(wbits=31), False
        return b"".join(out)

    @staticmethod
    def _salvage(inflater, data: bytes) -> Tuple[bytes, int]:
        """What `inflater` yields from `data` fed one byte at a time up to the
        fault, and the fault's index in `data`."""
        out = []
        for i in range(len(data)):
            try:
                out.append(inflater.decompress(data[i:i + 1]))
            except zlib.error:
                return b"".join(out), i
        return b"".join(out), len(data)

    def _stop(self, damage: str) -> bytes:
        self.damage, self._done = damage, True
        return b""


def open_bytes(path: Path) -> io.BufferedReader:
    """A buffered binary stream of the file (gunzipped), see SalvagingReader."""
    return io.BufferedReader(SalvagingReader(path), buffer_size=CHUNK)


def read_input(inp: Input, report: FileReport, skip_title_only: bool = False) -> Iterator[Dict[str, Any]]:
    """Records of one input; bad ones and a file-level error go to `report`,
    with the id of the last record read before the error."""
    last = None
    for record in _records(inp, report, skip_title_only):
        last = record["id"]
        yield record
    if report.error is not None:
        report.last_good_id = last
        report.error += f"; last complete record: {last}" if last is not None else "; no complete record before it"


def _records(inp: Input, report: FileReport, skip_title_only: bool) -> Iterator[Dict[str, Any]]:
    if inp.kind == "txt":
        yield from read_txt_folder(Path(inp.path), report)
        return
    if inp.kind == "jats_tar":
        yield from read_jats_tar(Path(inp.path), report)
        return
    try:
        fh = open_bytes(Path(inp.path))
    except OSError as err:
        report.error = f"cannot read the file ({err.strerror or err}); not read"
        return
    with fh:
        if inp.kind == "jsonl":
            yield from read_jsonl(fh, report)
        else:
            yield from read_xml(fh, report, skip_title_only)
        if fh.raw.damage is not None:  # the cause of any XML error that followed it
            report.error = f"{fh.raw.damage}; the rest was not read"


def read_xml(fh: io.BufferedReader, report: FileReport, skip_title_only: bool = False) -> Iterator[Dict[str, Any]]:
    """MEDLINE (any generation) or BioC, told apart by the root element."""
    head = fh.peek(CHUNK)
    tags = [t for t in ROOT_TAG.findall(head)]
    root = tags[0].decode("ascii", "replace") if tags else None
    if root == "collection":
        yield from read_bioc(fh, report)
    elif root in MEDLINE_UNITS or root is None:
        yield from read_medline(fh, report, MEDLINE_UNITS.get(root, MEDLINE_UNITS["PubmedArticleSet"]),
                                skip_title_only)
    elif root in ("article", "pmc-articleset"):
        yield from read_jats(fh, report)
    else:
        report.error = (f"root element <{root}> is neither MEDLINE's ({', '.join(f'<{r}>' for r in MEDLINE_UNITS)}), "
                        f"BioC's <collection> nor JATS's <article>; not read")


def _iterparse(fh, tags, report: FileReport) -> Iterator[Any]:
    """Elements `tags` as they end; each is cleared (and its earlier siblings
    dropped) once the caller is done with it. Malformed XML ends the file,
    after every element that ended before the fault: lxml's pull parser
    keeps the events of a chunk that fails (its iterparse drops them)."""
    parser = etree.XMLPullParser(
        events=("end",), tag=tags, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    error = None
    while error is None:
        data = fh.read1(CHUNK)
        try:
            parser.feed(data) if data else parser.close()
        except etree.XMLSyntaxError as err:
            error = err
        for _, elem in parser.read_events():
            yield elem
            elem.clear(keep_tail=True)
            parent = elem.getparent()
            while parent is not None and elem.getprevious() is not None:
                del parent[0]
        if not data:
            break
    if error is not None:
        line = error.position[0] if error.position else error.lineno
        report.error = f"malformed XML at line {line} ({error.msg}); the rest of the file was not read"


def _text(elem) -> str:
    """All the text inside an element (inline markup such as <i> kept as text), stripped."""
    return "".join(elem.itertext()).strip() if elem is not None else ""


def read_medline(fh, report: FileReport, units=MEDLINE_UNITS["PubmedArticleSet"],
                 skip_title_only: bool = False) -> Iterator[Dict[str, Any]]:
    for elem in _iterparse(fh, tuple(units) + ("DeleteCitation",), report):
        if elem.tag == "DeleteCitation":
            report.deleted_citations += len(elem.findall("PMID"))
            continue
        citation = elem if elem.tag == "MedlineCitation" else elem.find("MedlineCitation")
        if citation is None:
            citation = elem.find("BookDocument")
        # the citation's own PMID: its child, not those of CommentsCorrections
        pmid = citation.findtext("PMID") if citation is not None else None
        where = f"PMID {(pmid or '?').strip()} (line {elem.sourceline})"
        if citation is None or not (pmid or "").strip():
            report.add_bad("no PMID", where)
            continue
        article = citation.find("Article")
        article = citation if article is None else article
        abstract = article.find("Abstract")
        parts = [] if abstract is None else abstract.findall("AbstractText")
        sections = [("title", _text(article.find("ArticleTitle")), None)]
        for part in parts:
            label = part.get("Label")
            sections.append((f"abstract:{label}" if label else "abstract", _text(part), None))
        title_only = bool(sections[0][1]) and not any(text for _, text, _ in sections[1:])
        if title_only and skip_title_only:
            report.title_only_skipped += 1
            continue
        record = _record(pmid, sections, report, where)
        if record is not None:
            report.title_only += title_only
            yield record


def read_jats(fh, report: FileReport, where: str = "") -> Iterator[Dict[str, Any]]:
    """JATS articles; a malformed file stops at its error (a tar member: the
    member only, counted as a bad record)."""
    skipped = Skipped()
    try:
        for article in iter_articles(fh, skipped):
            place = f"{where}article {article.doc_id or '?'} (line {article.line})"
            if not article.doc_id:
                report.add_bad("no article id (PMCID, PMID or DOI)", place)
                continue
            record = _record(article.doc_id, [(n, t, None) for n, t in article.sections], report, place)
            if record is not None:
                yield record
    except etree.XMLSyntaxError as err:
        line = err.position[0] if err.position else err.lineno
        if where:
            report.add_bad("malformed XML", f"{where}line {line} ({err.msg})")
        else:
            report.error = f"malformed XML at line {line} ({err.msg}); the rest of the file was not read"
    finally:
        merged = Counter(report.skipped) + skipped.elements
        report.skipped = {name: n for name, n in sorted(merged.items())}


def read_jats_tar(path: Path, report: FileReport) -> Iterator[Dict[str, Any]]:
    """The JATS files (.xml, .nxml) of a tarball, one member at a time."""
    try:
        with tarfile.open(path, "r|*") as tar:
            for member in tar:
                if member.isfile() and member.name.endswith((".xml", ".nxml")):
                    yield from read_jats(tar.extractfile(member), report, f"{member.name}: ")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        report.error = f"cannot read the tarball ({err}); the rest was not read"


def read_bioc(fh, report: FileReport) -> Iterator[Dict[str, Any]]:
    for elem in _iterparse(fh, "document", report):
        doc_id = (elem.findtext("id") or "").strip()
        where = f"document {doc_id or '?'} (line {elem.sourceline})"
        sections = []
        try:
            for i, passage in enumerate(elem.iterfind("passage")):
                infons = {inf.get("key"): (inf.text or "") for inf in passage.iterfind("infon")}
                name = infons.get("type") or infons.get("section_type") or f"passage {i}"
                offset = (passage.findtext("offset") or "").strip()
                if not offset.isdigit():
                    raise BadRecord("passage offset is not a number")
                sections.append((name, passage.findtext("text") or "", int(offset)))
            yield make_record(doc_id, sections)
        except BadRecord as bad:
            report.add_bad(str(bad), where)


def _decode(data: bytes, report: FileReport, where: str, encoding: str = "utf-8") -> Optional[str]:
    """The text, or None with an "invalid UTF-8" bad record naming the byte."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        report.add_bad("invalid UTF-8", f"{where} (byte {err.start})")
        return None


def _record(doc_id: Any, sections, report: FileReport, where: str) -> Optional[Dict[str, Any]]:
    """make_record, or None with the reason as a bad record."""
    try:
        return make_record(doc_id, sections)
    except BadRecord as bad:
        report.add_bad(str(bad), where)
        return None


def read_jsonl(fh, report: FileReport) -> Iterator[Dict[str, Any]]:
    for lineno, raw in enumerate(fh, 1):
        where = f"line {lineno}"
        if not raw.endswith(b"\n") and getattr(fh.raw, "damage", None):
            break  # the line the damage cut: reported as the file's error
        if not raw.strip() or (line := _decode(raw, report, where)) is None:
            continue
        try:
            obj = json.loads(line)
        except ValueError as err:
            report.add_bad("invalid JSON", f"{where} ({err})")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            report.add_bad("no 'text' string", where)
            continue
        record = _record(obj.get("id"), [("text", obj["text"], 0)], report, f"{where} (id {obj.get('id')!r})")
        if record is not None:
            yield record


def read_txt_folder(folder: Path, report: FileReport) -> Iterator[Dict[str, Any]]:
    for path in sorted(folder.rglob("*.txt")):
        doc_id = path.relative_to(folder).with_suffix("").as_posix()
        try:
            data = path.read_bytes()
        except OSError as err:
            report.add_bad("unreadable file", f"{path.name} ({err.strerror or err})")
            continue
        text = _decode(data, report, path.name, encoding="utf-8-sig")
        record = None if text is None else _record(doc_id, [("text", text, 0)], report, path.name)
        if record is not None:
            yield record
