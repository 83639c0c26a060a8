"""Output shards: one per input, in each format asked for, all written
through temporary paths and moved into place together when the input is
finished (`bioner.io.atomic_paths`), the report last. The report
(`<shard>.report.json`) marks the shard complete: a re-run skips a shard whose
report and files exist, and redoes any other from the start, so an
interrupted run loses no document and writes none twice.

Formats (files `<shard>.<suffix>` in the output folder):
- jsonl: one output record per line (id, text, sections, entities, model);
  U+0085, U+2028 and U+2029 escaped, so that every splitlines() keeps a line whole.
- pubtator: `id|t|title`, `id|a|abstract`, then `id<TAB>start<TAB>end<TAB>
  mention<TAB>label[<TAB>concept id]` per entity (the id, e.g. MESH:D058186,
  when the pipeline has the linker) and a blank line. Offsets are into title +
  " " + abstract, as in PubTator; line breaks and tabs in the text are
  written as spaces (same length, so the offsets still hold).
- bioc: BioC XML through the `bioc` package, one passage per section at its
  offset, entities as annotations of the passage they start in.
- docbin: spaCy DocBin of the annotated Docs, the id in `doc.user_data["id"]`
  (held in memory until the shard is done: the one format that is not streamed).
"""
import datetime
from bisect import bisect_right
import json
import re
import shutil
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import srsly

from ..provenance import describe

FORMATS = {"jsonl": "jsonl", "pubtator": "pubtator", "bioc": "bioc.xml", "docbin": "spacy"}
REPORT_SUFFIX = "report.json"
# str.splitlines() breaks lines at these: a PubTator line must not hold any
LINE_BREAKS = {ord(c): " " for c in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}
# Characters XML 1.0 cannot hold
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def shard_paths(out_dir: Path, shard: str, formats: Sequence[str]) -> Dict[str, Path]:
    """{format: path} of a shard's files, and "report": its report."""
    paths = {fmt: out_dir / f"{shard}.{FORMATS[fmt]}" for fmt in formats}
    paths["report"] = out_dir / f"{shard}.{REPORT_SUFFIX}"
    return paths


def finished_report(out_dir: Path, shard: str, formats: Sequence[str],
                    skip_title_only: bool = False) -> Optional[Dict[str, Any]]:
    """The report of a complete shard with every format asked for and the same
    title-only choice, else None. A shard from before that choice existed
    has no title-only citation: it counts as skipping them."""
    paths = shard_paths(out_dir, shard, formats)
    if not all(p.exists() for p in paths.values()):
        return None
    try:
        report = srsly.read_json(paths["report"])
    except ValueError:
        return None
    if report.get("skip_title_only", True) != skip_title_only:
        return None
    return report if set(formats) <= set(report.get("formats", [])) else None


def remove_stale(paths: Iterable[Path]) -> None:
    """Remove the temporary folders a killed run left beside these paths."""
    for path in paths:
        for tmp in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
            shutil.rmtree(tmp, ignore_errors=True)


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


# Line breaks to str.splitlines() that JSON leaves raw: escaped, so that a
# JSONL line read with splitlines() (or by a line-based tool) stays whole
JSON_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


class JsonlWriter:
    def __init__(self, path: Path, **_):
        self.file = open(path, "w", encoding="utf8")

    def write(self, record: Dict[str, Any], doc) -> None:
        self.file.write(json.dumps(record, ensure_ascii=False).translate(JSON_LINE_BREAKS) + "\n")

    def close(self) -> None:
        self.file.close()


def pubtator_title_abstract(record: Dict[str, Any]) -> Tuple[str, str]:
    """Split the text into PubTator's title and abstract: at the space after
    the first section when there is one, else all of it is the title."""
    text = record["text"].translate(LINE_BREAKS)
    first = record["sections"][0]
    end = first["offset"] + len(first["text"])
    if len(record["sections"]) > 1 and text[end:end + 1] == " ":
        return text[:end], text[end + 1:]
    return text, ""


class PubtatorWriter:
    def __init__(self, path: Path, **_):
        self.file = open(path, "w", encoding="utf8")

    def write(self, record: Dict[str, Any], doc) -> None:
        title, abstract = pubtator_title_abstract(record)
        rid = record["id"]
        lines = [f"{rid}|t|{title}", f"{rid}|a|{abstract}"]
        lines += [
            f"{rid}\t{e['start']}\t{e['end']}\t{e['text'].translate(LINE_BREAKS)}\t{e['label']}"
            + (f"\t{e['id']}" if e.get("id") else "")  # the sixth column, as the BC5CDR release has it
            for e in record["entities"]
        ]
        self.file.write("\n".join(lines) + "\n\n")

    def close(self) -> None:
        self.file.close()


def read_pubtator(lines: Iterable[str]) -> Iterator[Dict[str, Any]]:
    """Parse PubTator back: {"id", "text" (title + " " + abstract), "entities"}.
    Raises ValueError naming the line for a line it cannot read."""
    doc: Optional[Dict[str, Any]] = None
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line:
            if doc is not None:
                yield doc
            doc = None
            continue
        if "|t|" in line.split("\t", 1)[0] or "|a|" in line.split("\t", 1)[0]:
            rid, kind, text = line.split("|", 2)
            if doc is None:
                doc = {"id": rid, "text": "", "entities": []}
            doc["text"] = text if kind == "t" else (doc["text"] + " " + text if text else doc["text"])
            continue
        fields = line.split("\t")
        if doc is None or len(fields) < 5 or fields[0] != doc["id"]:
            raise ValueError(f"line {lineno}: not a PubTator title, abstract or entity line: {line[:80]!r}")
        doc["entities"].append(
            {"start": int(fields[1]), "end": int(fields[2]), "text": fields[3], "label": fields[4],
             **({"id": fields[5]} if len(fields) > 5 and fields[5] else {})}
        )
    if doc is not None:
        yield doc


class BiocWriter:
    def __init__(self, path: Path, model: Dict[str, Any], **_):
        from bioc import BioCCollection
        from bioc.biocxml import BioCXMLDocumentWriter

        self.writer = BioCXMLDocumentWriter(str(path))
        collection = BioCCollection()
        collection.source = f"bioner annotate: {describe(model)}"
        collection.date = datetime.date.today().isoformat()
        collection.key = "bioner.key"
        self.writer.write_collection_info(collection)

    def write(self, record: Dict[str, Any], doc) -> None:
        from bioc import BioCAnnotation, BioCDocument, BioCLocation, BioCPassage

        document = BioCDocument()
        document.id = record["id"]
        passages = []
        for section in record["sections"]:
            passage = BioCPassage()
            passage.offset = section["offset"]
            passage.text = NOT_XML.sub(" ", section["text"])
            passage.infons["type"] = section["name"]
            passages.append(passage)
            document.add_passage(passage)
        starts = [s["offset"] for s in record["sections"]]
        for i, ent in enumerate(record["entities"]):
            annotation = BioCAnnotation()
            annotation.id = str(i)
            annotation.infons["type"] = ent["label"]
            if ent.get("id"):  # the concept, as BioC corpora (BC5CDR's) write it
                annotation.infons["identifier"] = ent["id"]
            annotation.text = NOT_XML.sub(" ", ent["text"])
            annotation.add_location(BioCLocation(ent["start"], ent["end"] - ent["start"]))
            passages[max(0, bisect_right(starts, ent["start"]) - 1)].add_annotation(annotation)
        self.writer.write_document(document)

    def close(self) -> None:
        self.writer.close()


class DocBinWriter:
    def __init__(self, path: Path, **_):
        from spacy.tokens import DocBin

        self.path = path
        self.docbin = DocBin(store_user_data=True)

    def write(self, record: Dict[str, Any], doc) -> None:
        doc.user_data["id"] = record["id"]
        self.docbin.add(doc)

    def close(self) -> None:
        self.docbin.to_disk(self.path)


WRITERS = {"jsonl": JsonlWriter, "pubtator": PubtatorWriter, "bioc": BiocWriter, "docbin": DocBinWriter}


def open_writers(paths: Dict[str, Path], formats: Sequence[str], model: Dict[str, Any]) -> List[Any]:
    return [WRITERS[fmt](paths[fmt], model=model) for fmt in formats]
