"""The paragraphs of the unlabelled text sources (vars.text_sources), by the
entry's `reader`, streamed: (document id, paragraph) pairs in file order.

- jats_tar: a tarball of JATS articles (eLife): title, abstracts, body
  section titles and paragraphs (bioner.jats; what it leaves out is counted
  in `skipped`), one member in memory at a time.
- pubmedqa: PubMedQA's JSON (PMID -> {CONTEXTS: [abstract sections], LONG_ANSWER:
  its conclusion}): each context, then the long answer.
"""
import json
import tarfile
import zlib
from typing import Callable, Dict, Iterator, Tuple

from lxml import etree

from .corpora import TextSource
from .layout import Layout
from .errors import BionerError
from .jats import Skipped, iter_articles

Paragraphs = Iterator[Tuple[str, str]]


def jats_tar(path, skipped: Skipped) -> Paragraphs:
    try:
        with tarfile.open(path, "r|*") as tar:
            for member in tar:
                if not (member.isfile() and member.name.endswith((".xml", ".nxml"))):
                    continue
                try:
                    for article in iter_articles(tar.extractfile(member), skipped):
                        doc_id = article.doc_id or member.name
                        for _, text in article.sections:
                            yield doc_id, text
                except etree.XMLSyntaxError as err:
                    raise BionerError(f"{path}:{member.name}:{err.lineno}: malformed XML ({err.msg})") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise BionerError(f"{path}: not a complete tarball ({err}); fetch it again") from None


def pubmedqa(path, skipped: Skipped) -> Paragraphs:
    try:
        with open(path, encoding="utf8") as fh:
            data = json.load(fh)
    except (ValueError, UnicodeDecodeError) as err:
        raise BionerError(f"{path}: not PubMedQA's JSON ({err})") from None
    for pmid, item in data.items():
        if not isinstance(item, dict) or not isinstance(item.get("CONTEXTS"), list):
            raise BionerError(f"{path}: PMID {pmid} has no CONTEXTS list; is this PubMedQA's ori_pqal.json?")
        for text in item["CONTEXTS"] + [item.get("LONG_ANSWER") or ""]:
            if text.strip():
                yield pmid, text


READERS: Dict[str, Callable[..., Paragraphs]] = {"jats_tar": jats_tar, "pubmedqa": pubmedqa}


def paragraphs(source: TextSource, layout: Layout, skipped: Skipped) -> Paragraphs:
    """The paragraphs of a fetched text source."""
    if source.reader not in READERS:
        raise BionerError(f"{layout.project_file.name}: vars.text_sources.{source.key}.reader: unknown reader "
                          f"{source.reader!r}; known: {', '.join(sorted(READERS))}")
    path = layout.text_asset(source.file)
    if not path.is_file():
        raise BionerError(f"{path}: not found. Fetch it first: python -m scripts.fetch {source.key}")
    return READERS[source.reader](path, skipped)
