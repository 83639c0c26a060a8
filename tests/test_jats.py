"""bioner/jats.py and annotate's JATS input: what a JATS article keeps
(title, abstract, body section titles and paragraphs, inline markup as text)
and what it skips and counts (peer review, back matter, tables, figures,
formulas), its id (PMCID, then PMID, then DOI), a set of articles streamed,
malformed XML, and annotate's offsets over a long article.
"""
import json
import re
from pathlib import Path

import pytest
import spacy
from lxml import etree

from conftest import run_main

from bioner.annotate.readers import Input, find_inputs, read_input
from bioner.annotate.records import FileReport
from bioner.jats import Skipped, iter_articles
from scripts import annotate

ARTICLE = Path(__file__).parent / "fixtures" / "jats" / "pmc_article.xml"
KEPT = [
    ("title", "Dexamethasone protects against cisplatin-induced nephrotoxicity"),
    ("abstract", "Cisplatin causes acute renal failure in up to a third of patients. We tested whether "
                 "dexamethasone reduces nephrotoxicity in rats."),
    ("body:Introduction", "Introduction"),
    ("body:Introduction", "Nephrotoxicity limits the dose of cisplatin (Smith et al., 2012). The clearance fell "
                          "by half, and H2O intake rose."),
    ("body:Introduction", "Prior work is mixed: dexamethasone lowered creatinine; hyperglycemia was common."),
    ("body:Results", "Results"),
    ("body:Results", "Dexamethasone and renal function"),
    ("body:Results", "Rats given dexamethasone before cisplatin kept normal urea (Figure 1, Table 1)."),
    ("body:Results", "Acute renal failure occurred in 7 of 10 untreated rats and in 1 of 10 treated ones."),
    ("body:Discussion", "Discussion"),
    ("body:Discussion", "Dexamethasone is a candidate against cisplatin nephrotoxicity."),
]
# words only the skipped parts hold: the decision letter, the reply, a
# reference title, a table cell, a figure caption, the acknowledgements, formulas
SKIPPED_WORDS = ["reviewers", "second dose", "Cisplatin and the kidney", "mg/dl", "Serum urea", "animal facility",
                 "UV", "kt", "1.", "Figure 1."]


def articles(path: Path):
    skipped = Skipped()
    with open(path, "rb") as fh:
        return list(iter_articles(fh, skipped)), skipped


def test_article_keeps_body_paragraphs_titles_and_abstract():
    (article,), skipped = articles(ARTICLE)
    assert article.doc_id == "PMC6000001"  # PMCID first, "PMC" added to the bare number
    assert article.sections == KEPT
    text = " ".join(t for _, t in article.sections)
    for words in SKIPPED_WORDS:
        assert words not in text.replace("(Figure 1, Table 1)", ""), words


def test_skipped_elements_are_counted_per_kind():
    _, skipped = articles(ARTICLE)
    assert dict(skipped.elements) == {
        "sub-article": 2, "back/ack": 1, "back/ref-list": 1, "fig": 1, "table-wrap": 1,
        "inline-formula": 1, "disp-formula": 1, "label": 1}
    assert skipped.words["sub-article"] == 22  # 2 titles + 2 paragraphs
    assert skipped.to_dict()["fig"] == {"elements": 1, "words": 12}


def test_article_id_order_and_a_set_of_articles(tmp_path):
    xml = ARTICLE.read_text(encoding="utf8")
    body = xml[xml.index("<article "):]
    no_pmc = re.sub(r'<article-id pub-id-type="pmc">\d+</article-id>', "", body)
    doi_only = re.sub(r'<article-id pub-id-type="pmid">\d+</article-id>', "", no_pmc)
    no_id = re.sub(r'<article-id pub-id-type="doi">[^<]+</article-id>', "", doi_only)
    path = tmp_path / "set.xml"
    path.write_text("<pmc-articleset>" + body + no_pmc + doi_only + no_id + "</pmc-articleset>", encoding="utf8")
    found, skipped = articles(path)
    assert [a.doc_id for a in found] == ["PMC6000001", "31000001", "10.1234/toy.0001", None]
    assert all(a.sections == KEPT for a in found)
    assert skipped.elements["sub-article"] == 8
    records, report = records_of(path)
    assert [r["id"] for r in records] == ["PMC6000001", "31000001", "10.1234/toy.0001"]
    assert report.bad["no article id (PMCID, PMID or DOI)"]["count"] == 1
    assert report.skipped["sub-article"] == 8


def test_elife_doi_lines_and_namespaced_math_are_skipped(tmp_path):
    path = tmp_path / "elife.xml"
    path.write_text(
        '<article xmlns:mml="http://www.w3.org/1998/Math/MathML"><front><article-meta>'
        '<article-id pub-id-type="doi">10.7554/eLife.00001</article-id></article-meta></front><body>'
        '<sec><title>Results</title><p>Rates rose <mml:math><mml:mi>k</mml:mi></mml:math> fold.</p>'
        '<object-id pub-id-type="doi">10.7554/eLife.00001.003</object-id>'
        '<p>DOI: <ext-link ext-link-type="doi">http://dx.doi.org/10.7554/eLife.00001.003</ext-link></p>'
        '</sec></body></article>', encoding="utf8")
    (article,), skipped = articles(path)
    assert article.sections == [("body:Results", "Results"), ("body:Results", "Rates rose fold.")]
    assert dict(skipped.elements) == {"math": 1, "object-id": 1, "doi-line": 1}


def records_of(path: Path):
    report = FileReport(str(path), "x")
    return list(read_input(Input("xml", str(path), "x"), report)), report


def test_annotate_reads_jats_and_a_malformed_file_keeps_what_came_before(tmp_path):
    records, report = records_of(ARTICLE)
    assert [r["id"] for r in records] == ["PMC6000001"]
    assert [(s["name"], s["text"]) for s in records[0]["sections"]] == KEPT
    assert records[0]["text"] == " ".join(t for _, t in KEPT)
    assert report.skipped["sub-article"] == 2 and report.error is None
    body = ARTICLE.read_text(encoding="utf8")
    body = body[body.index("<article "):]
    broken = tmp_path / "broken.xml"
    broken.write_text("<pmc-articleset>" + body + body.replace("</abstract>", "</abstrakt>") + "</pmc-articleset>",
                      encoding="utf8")
    records, report = records_of(broken)
    assert [r["id"] for r in records] == ["PMC6000001"]
    assert report.error.startswith("malformed XML at line ") and "the rest of the file was not read" in report.error
    assert find_inputs([ARTICLE.parent]) == [Input("xml", str(ARTICLE), "pmc_article")]


@pytest.fixture(scope="module")
def ruler_model(tmp_path_factory) -> Path:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "Chemical", "pattern": [{"LOWER": w}]} for w in ("cisplatin", "dexamethasone")]
                       + [{"label": "Disease", "pattern": [{"LOWER": "nephrotoxicity"}]},
                          {"label": "Disease", "pattern": [{"LOWER": "acute"}, {"LOWER": "renal"},
                                                            {"LOWER": "failure"}]}])
    nlp.meta.update(name="jats_toy", version="0.0.1")
    path = tmp_path_factory.mktemp("model") / "toy"
    nlp.to_disk(path)
    return path


def test_annotate_offsets_stay_exact_over_a_long_article(tmp_path, capsys, ruler_model):
    """The body repeated 400 times (~170,000 characters): every entity's
    offsets slice the record's text to the entity, and that text is the
    article's kept text, so the offsets refer to the article itself."""
    xml = ARTICLE.read_text(encoding="utf8")
    start, end = xml.index("<body>") + len("<body>"), xml.index("</body>")
    copies = 400
    long_xml = xml[:start] + xml[start:end] * copies + xml[end:]
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "long.xml").write_text(long_xml, encoding="utf8")
    rc, out, err = run_main(capsys, annotate.main, [str(inputs), "--model", str(ruler_model),
                                                    "--output-dir", str(tmp_path / "out")])
    assert rc == 0, err
    assert "long.xml: 1 docs" in out and "left out of the text: " in out and "2 sub-article" in out
    (record,) = [json.loads(line) for line in (tmp_path / "out" / "long.jsonl").read_text(encoding="utf8").splitlines()]
    expected = " ".join([t for _, t in KEPT[:2]] + [t for _, t in KEPT[2:]] * copies)
    assert record["text"] == expected and len(expected) > 150_000
    mentions = re.compile(r"\b(cisplatin|dexamethasone|nephrotoxicity|acute renal failure)\b", re.IGNORECASE)
    assert [(e["start"], e["end"]) for e in record["entities"]] == \
        [m.span() for m in mentions.finditer(expected)]
    for ent in record["entities"]:
        assert expected[ent["start"]:ent["end"]] == ent["text"]
    last = record["entities"][-1]
    assert last["start"] > 150_000 and last["section"] == "body:Discussion"


def test_a_tarball_of_articles_is_one_input_and_a_bad_member_only_costs_itself(tmp_path):
    import io
    import tarfile

    xml = ARTICLE.read_bytes()
    doi_only = re.sub(rb'<article-id pub-id-type="(pmc|pmid)">\d+</article-id>', b"", xml)
    path = tmp_path / "bulk.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in [("a/one.xml", xml), ("a/broken.xml", xml.replace(b"</abstract>", b"</abstrakt>")),
                           ("a/README.md", b"# not read\n"), ("a/two.nxml", doi_only)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert find_inputs([path]) == [Input("jats_tar", str(path), "bulk")]
    report = FileReport(str(path), "bulk")
    records = list(read_input(Input("jats_tar", str(path), "bulk"), report))
    assert [r["id"] for r in records] == ["PMC6000001", "10.1234/toy.0001"]
    assert records[1]["text"] == records[0]["text"]
    assert report.bad["malformed XML"]["count"] == 1 and report.bad["malformed XML"]["examples"][0].startswith(
        "a/broken.xml: line ")
    assert report.error is None and report.skipped["sub-article"] == 2 * 2  # the broken one ends before its article
    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(path.read_bytes()[:900])
    report = FileReport(str(truncated), "cut")
    list(read_input(Input("jats_tar", str(truncated), "cut"), report))
    assert report.error.startswith("cannot read the tarball (")


def test_each_article_is_dropped_once_read(tmp_path, monkeypatch):
    """Memory is bounded by one article (and the parser's read-ahead): when
    an article is read, the ones before it are gone from the tree. In a set
    of 200, the tree never holds more than the ~10 articles (7 KB each) that
    lxml parses ahead in one 64 KB chunk; without the clearing it would hold 200."""
    from bioner import jats

    body = ARTICLE.read_text(encoding="utf8")
    body = body[body.index("<article "):]
    path = tmp_path / "set.xml"
    path.write_text("<pmc-articleset>" + body * 200 + "</pmc-articleset>", encoding="utf8")
    held = []
    real = jats.read_article

    def spy(article, skipped):
        held.append(len(article.getparent()))  # articles in the tree now, this one included
        return real(article, skipped)

    monkeypatch.setattr(jats, "read_article", spy)
    assert len(articles(path)[0]) == 200
    assert max(held) <= 16 and len(held) == 200
