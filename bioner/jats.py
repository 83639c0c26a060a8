"""A streaming reader of JATS XML (the NLM/PMC article tag set: PubMed
Central's open-access full texts, eLife's articles).

Each <article> is parsed with lxml's iterparse, read, then cleared, so memory
is bounded by one article however many a file holds (a PMC
<pmc-articleset>). What is kept, as (section name, text) in reading order:
the article title, the abstracts' paragraphs, and the body's section titles
and paragraphs. What is skipped, counted per element (`Skipped`): the
peer-review <sub-article> and <response> parts, the back matter (references,
acknowledgements, appendices), tables, figures and their captions, formulas
(inline and display), labels, and paragraphs that are only a DOI link
(eLife's "DOI: http://dx.doi.org/..." lines). Inline markup (italics, links, citations
such as "(Smith et al., 2012)") is kept as its text.

Each text is one paragraph with its white space runs made single spaces (the
XML's line breaks and indentation are layout, not text); a skipped inline
formula leaves no trace but the spaces around it. The texts returned are the
text itself: a caller's offsets refer to them, nothing is re-normalised later.
External DTDs and entities are never fetched.
"""
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Iterator, List, Optional, Tuple

from lxml import etree

# skipped wherever they occur (body, abstract, inside a paragraph)
SKIPPED = frozenset({
    "sub-article", "response", "back", "floats-group",
    "table-wrap", "table-wrap-group", "table", "fig", "fig-group", "graphic", "inline-graphic", "media",
    "supplementary-material", "inline-formula", "disp-formula", "disp-formula-group", "math", "tex-math",
    "label", "ref-list", "fn-group", "fn", "object-id",
})
# children of a paragraph that stand apart from the words around them (a
# list item): a space on either side, where inline markup (<italic>, <sub>) gets none
BLOCKS = frozenset({"p", "list", "list-item", "title", "def-list", "def-item", "term", "def",
                    "disp-quote", "boxed-text", "statement", "sec", "caption"})
DOI_LINE = re.compile(r"^DOI: ?\S+$")
ID_ORDER = ("pmcid", "pmc", "pmid", "doi")  # the doc id: the first of these article-ids


@dataclass
class Skipped:
    """What the reader left out: elements and their words, per element name."""

    elements: Counter = field(default_factory=Counter)
    words: Counter = field(default_factory=Counter)

    def add(self, elem, where: str = "") -> None:
        name = where + local(elem)
        self.elements[name] += 1
        self.words[name] += len("".join(elem.itertext()).split())

    def update(self, other: "Skipped") -> None:
        self.elements.update(other.elements)
        self.words.update(other.words)

    def to_dict(self) -> dict:
        return {name: {"elements": self.elements[name], "words": self.words[name]} for name in sorted(self.elements)}


@dataclass
class Article:
    doc_id: Optional[str]
    sections: List[Tuple[str, str]]  # (name, text): title, abstract, body:<top section title>
    line: int


def local(elem) -> str:
    """An element's name without its namespace ("{mathml}math" -> "math")."""
    return etree.QName(elem).localname


def is_element(node) -> bool:
    return isinstance(node.tag, str)  # not a comment or processing instruction


def inline_text(elem, skipped: Skipped) -> str:
    """The words of a paragraph or title, skipped elements left out, white space made single spaces."""
    parts: List[str] = []

    def walk(node) -> None:
        parts.append(node.text or "")
        for child in node:
            if is_element(child):
                name = local(child)
                if name in SKIPPED:
                    skipped.add(child)
                else:
                    gap = " " if name in BLOCKS else ""
                    parts.append(gap)
                    walk(child)
                    parts.append(gap)
            parts.append(child.tail or "")

    walk(elem)
    return " ".join("".join(parts).split())


def has_own_text(elem) -> bool:
    return bool((elem.text or "").strip()) or any((c.tail or "").strip() for c in elem)


def blocks(elem, name: str, skipped: Skipped, top: bool = True) -> Iterator[Tuple[str, str]]:
    """(section name, text) of the titles and paragraphs below `elem` (body,
    abstract, sec). A top-level <sec> of the body names its paragraphs
    "body:<its title>"."""
    for child in elem:
        if not is_element(child):
            continue
        tag = local(child)
        if tag in SKIPPED:
            skipped.add(child)
        elif tag in ("p", "title") or has_own_text(child):
            text = inline_text(child, skipped)
            if DOI_LINE.match(text):
                skipped.elements["doi-line"] += 1  # eLife's "DOI: http://dx.doi.org/..." under each part
                skipped.words["doi-line"] += 2
            elif text:
                yield name, text
        else:
            inner = name
            if top and tag == "sec" and name == "body":
                title = child.find("title")
                title_text = inline_text(title, Skipped()) if title is not None else ""
                inner = f"body:{title_text}" if title_text else "body"
            yield from blocks(child, inner, skipped, top=False)


def article_id(meta) -> Optional[str]:
    ids = {}
    for elem in meta.iterfind("article-id"):
        kind = (elem.get("pub-id-type") or "").lower()
        value = (elem.text or "").strip()
        if value and kind not in ids:
            ids[kind] = value
    for kind in ID_ORDER:
        if kind in ids:
            value = ids[kind]
            return f"PMC{value}" if kind in ("pmcid", "pmc") and not value.upper().startswith("PMC") else value
    return None


def read_article(article, skipped: Skipped) -> Article:
    """The kept text of one <article> element; what was left out goes to `skipped`."""
    meta = article.find("front/article-meta")
    sections: List[Tuple[str, str]] = []
    doc_id = None
    if meta is not None:
        doc_id = article_id(meta)
        title = meta.find("title-group/article-title")
        if title is not None:
            sections.append(("title", inline_text(title, skipped)))
        for abstract in meta.iterfind("abstract"):
            kind = abstract.get("abstract-type")
            sections += blocks(abstract, f"abstract:{kind}" if kind else "abstract", skipped)
    for child in article:
        if not is_element(child) or local(child) == "front":
            continue
        if local(child) == "body":
            sections += blocks(child, "body", skipped)
        elif local(child) == "back":
            for part in child:  # references, acknowledgements, appendices: counted one by one
                if is_element(part):
                    skipped.add(part, "back/")
        else:
            skipped.add(child)
    return Article(doc_id, [(n, t) for n, t in sections if t], article.sourceline or 0)


def iter_articles(fh: IO[bytes], skipped: Skipped) -> Iterator[Article]:
    """The articles of a JATS file (one <article>, or a set of them), one at a
    time. Raises lxml's XMLSyntaxError for malformed XML, after the articles
    read before it."""
    context = etree.iterparse(fh, events=("end",), tag=("article", "{*}article"), resolve_entities=False,
                              no_network=True, load_dtd=False, huge_tree=True)
    for _, elem in context:
        yield read_article(elem, skipped)
        elem.clear(keep_tail=True)
        parent = elem.getparent()
        while parent is not None and elem.getprevious() is not None:
            del parent[0]
