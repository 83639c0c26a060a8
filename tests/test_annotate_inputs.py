"""`annotate`'s readers against the files PubMed has shipped and the damage
files come with (issue 26): the pre-2017 MEDLINE DTD (`MedlineCitationSet`),
gzip streams cut or corrupted anywhere, invalid bytes anywhere in plain XML,
title-only citations, and JSONL records no writer could write."""
import gzip
import json
import random
import re
import zlib
from pathlib import Path

import pytest

from bioner.annotate.readers import Input, read_input
from bioner.annotate.records import FileReport

FIXTURES = Path(__file__).parent / "fixtures" / "annotate"
CITATION_SET = FIXTURES / "medline_2016_citationset.xml"
WORDS = ("cisplatin dexamethasone nephrotoxicity acute renal failure rats patients dose "
         "increased reduced serum creatinine hyperglycemia was observed in after the of").split()


def records_of(path: Path, kind: str = "xml", **options):
    report = FileReport(str(path), "x")
    return list(read_input(Input(kind, str(path), "x"), report, **options)), report


def check_offsets(record):
    for section in record["sections"]:
        assert record["text"][section["offset"]:section["offset"] + len(section["text"])] == section["text"]


# -- 1. every root and DTD generation ------------------------------------------

def test_pre_2017_medline_citation_set_is_read():
    records, report = records_of(CITATION_SET)
    assert [r["id"] for r in records] == ["30000001", "30000002", "30000003", "30000004"]
    assert report.error is None and report.bad == {}
    assert report.deleted_citations == 2
    # CommentsCorrections PMIDs are cited articles, never the citation's own
    assert not {"39999991", "39999992", "39999993"} & {r["id"] for r in records}
    first, structured, letter, french = records
    assert first["text"].startswith("Cisplatin-induced acute renal failure in the rat. Cisplatin caused")
    assert [s["name"] for s in structured["sections"]] == ["title", "abstract:OBJECTIVE", "abstract:RESULTS"]
    assert "Copyright" not in structured["text"]
    assert [s["name"] for s in letter["sections"]] == ["title"]  # title only: annotated
    assert [s["name"] for s in french["sections"]] == ["abstract"]  # empty ArticleTitle
    for record in records:
        check_offsets(record)


def test_every_medline_root_reads_the_same_citations(tmp_path):
    """The 2016 file rewrapped as each generation's root holds the same records."""
    text = CITATION_SET.read_text(encoding="utf8")
    body = text[text.index("<MedlineCitation "):text.index("<DeleteCitation>")]
    citations = re.findall(r"<MedlineCitation .*?</MedlineCitation>", body, flags=re.S)
    expected = [(r["id"], r["text"]) for r in records_of(CITATION_SET)[0]]
    wrapped = "".join(f"<PubmedArticle>{c}<PubmedData/></PubmedArticle>" for c in citations)
    deleted = "<DeleteCitation><PMID>1</PMID></DeleteCitation>"
    for root, inner in [("PubmedArticleSet", wrapped + deleted), ("MedlineCitationSet", "".join(citations) + deleted)]:
        path = tmp_path / f"{root}.xml"
        path.write_text(f'<?xml version="1.0"?>\n<{root}>{inner}</{root}>', encoding="utf8")
        records, report = records_of(path)
        assert [(r["id"], r["text"]) for r in records] == expected, root
        assert report.deleted_citations == 1 and report.error is None


def test_book_articles_are_read(tmp_path):
    path = tmp_path / "books.xml"
    path.write_text("""<?xml version="1.0"?><PubmedArticleSet><PubmedBookArticle><BookDocument>
        <PMID Version="1">40000001</PMID><ArticleTitle>Cisplatin toxicity</ArticleTitle>
        <Abstract><AbstractText Label="INTRODUCTION">Cisplatin causes nephrotoxicity.</AbstractText></Abstract>
        </BookDocument><PubmedBookData/></PubmedBookArticle></PubmedArticleSet>""", encoding="utf8")
    records, report = records_of(path)
    assert [(r["id"], r["text"]) for r in records] == [("40000001", "Cisplatin toxicity Cisplatin causes nephrotoxicity.")]


# -- 5. title-only citations -----------------------------------------------------

def test_title_only_citations_are_annotated_by_default_or_skipped_and_counted():
    records, report = records_of(CITATION_SET)
    assert (report.title_only, report.title_only_skipped) == (1, 0)
    skipped, report = records_of(CITATION_SET, skip_title_only=True)
    assert [r["id"] for r in skipped] == ["30000001", "30000002", "30000004"]
    assert (report.title_only, report.title_only_skipped) == (0, 1) and report.bad == {}
    assert "1 title-only skipped" in report.summary()


# -- 2. damaged files keep every complete article --------------------------------

def big_medline(n: int = 300, seed: int = 0) -> bytes:
    """A MEDLINE file of n articles with varied text (so its gzip is long)."""
    rng = random.Random(seed)
    articles = []
    for i in range(n):
        abstract = " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(rng.randrange(60, 160)))
        abstract_xml = f"<Abstract><AbstractText>{abstract}.</AbstractText></Abstract>" if i % 7 else ""
        articles.append(f"<PubmedArticle><MedlineCitation Status=\"MEDLINE\"><PMID Version=\"1\">{50000000 + i}</PMID>"
                        f"<Article><ArticleTitle>Title {i} of {rng.choice(WORDS)}.</ArticleTitle>{abstract_xml}"
                        f"</Article></MedlineCitation></PubmedArticle>\n")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n' + "".join(articles)
            + "</PubmedArticleSet>\n").encode("utf8")


def complete_ids(prefix: bytes):
    """PMIDs of the articles whose end tag lies within `prefix`."""
    done = prefix[:prefix.rfind(b"</PubmedArticle>") + 1] if b"</PubmedArticle>" in prefix else b""
    return re.findall(rb'<PMID Version="1">(\d+)</PMID>', done)


@pytest.fixture(scope="module")
def medline_gz():
    data = big_medline(800)
    packed = gzip.compress(data)
    assert len(packed) > 3 * (1 << 16)  # several reads of the readers' blocks
    return data, packed


def test_truncated_gzip_keeps_every_article_complete_before_the_cut(tmp_path, medline_gz):
    data, packed = medline_gz
    full = [r["id"] for r in records_of_bytes(tmp_path, packed, "full.xml.gz")[0]]
    assert len(full) == 800
    rng = random.Random(1)
    cuts = sorted(rng.sample(range(10, len(packed) - 8), 40)) + [len(packed) - 1, 20]
    for cut in cuts:
        readable = zlib.decompressobj(31).decompress(packed[:cut])
        expected = [i.decode() for i in complete_ids(readable)]
        records, report = records_of_bytes(tmp_path, packed[:cut], "cut.xml.gz")
        assert [r["id"] for r in records] == expected, f"cut at {cut}"
        assert report.error is not None and "truncated" in report.error, cut
        assert report.last_good_id == (expected[-1] if expected else None)
        if expected:
            assert f"last complete record: {expected[-1]}" in report.error


def test_corrupt_gzip_keeps_what_came_before_with_the_same_text(tmp_path, medline_gz):
    data, packed = medline_gz
    full = {r["id"]: r["text"] for r in records_of_bytes(tmp_path, packed, "full.xml.gz")[0]}
    rng = random.Random(2)
    for spot in sorted(rng.sample(range(100, len(packed) - 100), 15)):
        broken = packed[:spot] + bytes(b ^ 0x5A for b in packed[spot:spot + 40]) + packed[spot + 40:]
        records, report = records_of_bytes(tmp_path, broken, "bad.xml.gz")
        ids = [r["id"] for r in records]
        assert ids == list(full)[:len(ids)], spot  # a prefix, in order, none invented
        assert report.error is not None, spot
        before = complete_ids(zlib.decompressobj(31).decompress(packed[:spot - 20]))
        assert len(ids) >= len(before), spot  # nothing complete well before the damage is lost


def test_invalid_bytes_anywhere_in_plain_xml_keep_every_earlier_article(tmp_path):
    data = big_medline(200)
    starts = [m.start() for m in re.finditer(rb"<AbstractText>", data)]
    for k in list(range(0, len(starts), 13)) + [len(starts) - 1]:
        spot = starts[k] + len(b"<AbstractText>") + 5
        broken = data[:spot] + b"\xff\xfe" + data[spot:]
        expected = [i.decode() for i in complete_ids(data[:spot])]
        records, report = records_of_bytes(tmp_path, broken, "bad.xml")
        assert [r["id"] for r in records] == expected, spot
        line = data[:spot].count(b"\n") + 1
        assert report.error.startswith(f"malformed XML at line {line} ("), report.error


def records_of_bytes(tmp_path: Path, data: bytes, name: str):
    path = tmp_path / name
    path.write_bytes(data)
    return records_of(path, "jsonl" if ".jsonl" in name else "xml")


def test_truncated_jsonl_gz_keeps_every_complete_line(tmp_path):
    lines = [json.dumps({"id": f"d{i}", "text": " ".join(random.Random(i).choices(WORDS, k=80))}) for i in range(800)]
    packed = gzip.compress(("\n".join(lines) + "\n").encode())
    for cut in (len(packed) // 3, len(packed) // 2, len(packed) - 5):
        readable = zlib.decompressobj(31).decompress(packed[:cut])
        n_complete = readable.count(b"\n")
        records, report = records_of_bytes(tmp_path, packed[:cut], "cut.jsonl.gz")
        assert [r["id"] for r in records] == [f"d{i}" for i in range(n_complete)]
        assert "truncated" in report.error and report.bad == {}  # the cut line is the damage, not a bad record


def test_concatenated_gzip_members_read_as_one_file(tmp_path):
    """gzip allows several members in one file (`cat a.gz b.gz`), and zero padding after them."""
    data = big_medline(300)
    split = data.index(b"<PubmedArticle>", len(data) // 2) + 7  # inside a tag: members split anywhere
    records, report = records_of_bytes(tmp_path, gzip.compress(data[:split]) + gzip.compress(data[split:]) + b"\0" * 8,
                                       "two.xml.gz")
    assert len(records) == 300 and report.error is None
