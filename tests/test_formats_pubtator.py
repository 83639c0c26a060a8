"""bioner/formats/pubtator.py: PubTator files (BC5CDR's original release)
become one Doc per PMID, tokenised by the language's tokenizer; every
mention is an entity of whole tokens; bad lines are one-line errors naming
file:line, as for IOB."""
import pytest
from conftest import corpus_file

from bioner.conversion import convert_file
from bioner.errors import BionerError
from bioner.formats import ReadOptions, get_format

TITLE = "Na+-induced hypotension in rats."
ABSTRACT = "Lidocaine  caused seizures. No effect (NE) on IL-2."
TEXT = f"{TITLE} {ABSTRACT}"


def mention(pmid, text, sub, label, ids="D1", nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    return f"{pmid}\t{start}\t{start + len(sub)}\t{sub}\t{label}\t{ids}"


GOOD = "\n".join([
    f"111|t|{TITLE}",
    f"111|a|{ABSTRACT}",
    mention("111", TEXT, "Na+", "Chemical"),            # inside the token "Na+-induced"
    mention("111", TEXT, "hypotension", "Disease"),
    mention("111", TEXT, "Lidocaine", "Chemical"),
    mention("111", TEXT, "seizures", "Disease", "D2\tseizures"),  # 7 columns
    "111\tCID\tD1\tD2",                                    # a relation, not a mention
    "",
    "222|t|Cisplatin nephrotoxicity",
    "222|a|",
    mention("222", "Cisplatin nephrotoxicity", "Cisplatin nephrotoxicity", "Disease"),
    mention("222", "Cisplatin nephrotoxicity", "Cisplatin", "Chemical"),  # overlaps the longer one
    "",
])


def read(tmp_path, content, name="train.txt"):
    path = tmp_path / name
    path.write_bytes(content.encode("utf8") if isinstance(content, str) else content)
    return path, get_format("pubtator").read(path, ReadOptions())


def test_documents_tokens_and_entities(tmp_path):
    path, data = read(tmp_path, GOOD)
    first, second = data.docs
    assert first.text == TEXT and second.text == "Cisplatin nephrotoxicity"
    ents = [(e.text, e.label_) for e in first.ents]
    assert ents == [("Na+", "Chemical"), ("hypotension", "Disease"), ("Lidocaine", "Chemical"), ("seizures", "Disease")]
    for ent in first.ents:  # character offsets slice the text
        assert TEXT[ent.start_char:ent.end_char] == ent.text
    assert [t.text for t in first[:3]] == ["Na+", "-induced", "hypotension"]
    assert len(list(first.sents)) >= 2
    assert [(e.text, e.label_) for e in second.ents] == [("Cisplatin nephrotoxicity", "Disease")]
    assert data.stats["mentions"] == 6
    assert data.stats["mentions_split_tokens"] == [3]  # file lines
    assert data.stats["mentions_overlapping"] == [12]
    assert any("1 mention(s) whose edges fall inside a token" in w and "lines 3;" in w for w in data.warnings)
    assert any("overlapping an earlier, longer mention" in w for w in data.warnings)


def test_convert_file_counts(tmp_path):
    path, _ = read(tmp_path, GOOD)
    docs, stats = convert_file(path, "pubtator")
    assert stats["documents"] == 2 and stats["doc_markers"] and stats["scheme"] == "PubTator"
    assert stats["entities_per_type"] == {"Chemical": 2, "Disease": 3}


BAD = [
    (GOOD.replace(f"111\t{TEXT.index('Lidocaine')}\t", "111\tx9\t"), 5, "offsets must be whole numbers"),
    (GOOD.replace("\tLidocaine\t", "\tLidocain\t"), 5, "differs from the document's characters"),
    (GOOD.replace("111\tCID", "333\tCID"), 7, "line of PMID '333' inside document 111"),
    (GOOD.replace("Disease\tD2\tseizures", "Disease").replace("\tseizures\tDisease", ""), 6, "5 or more tab-separated columns"),
    (GOOD.replace("222|a|\n", ""), 9, "document 222 has no abstract"),
    (GOOD + GOOD.split("\n\n")[0] + "\n", 13, "document 111 appears twice (first on line 1)"),
    ("just some text\nand more\n", 1, "neither a PMID|t|title"),
    (GOOD.replace("Lidocaine\tChemical", "Lidocaine\tChe mical"), 5, "mention type 'Che mical'"),
    ("1|t|ab\n1|a|cd\n1\t0\t99\tab\tChemical\tD1\n", 3, "outside the document's 5 characters"),
    ("  \n\n", 1, "the file is empty"),
    (b"1|t|caf\xe9\n1|a|x\n", 1, "invalid UTF-8 (byte 0xe9)"),
]


@pytest.mark.parametrize("content,line,what", BAD)
def test_bad_files_are_one_line_errors_naming_file_and_line(tmp_path, content, line, what):
    with pytest.raises(BionerError) as err:
        read(tmp_path, content)
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'train.txt'}:{line}: "), message
    assert what in message and "\n" not in message


@pytest.mark.parametrize("name,documents,mentions", [
    ("CDR_TrainingSet.PubTator.txt", 500, {"Chemical": 5203, "Disease": 4182}),
    ("CDR_DevelopmentSet.PubTator.txt", 500, {"Chemical": 5347, "Disease": 4244}),
    ("CDR_TestSet.PubTator.txt", 500, {"Chemical": 5385, "Disease": 4424}),
])
def test_real_bc5cdr_release_keeps_every_mention(name, documents, mentions):
    """Counts of the mirror's README: every mention becomes an entity."""
    docs, stats = convert_file(corpus_file("BC5CDR-PubTator", name), "pubtator")
    assert stats["documents"] == documents
    assert stats["entities_per_type"] == mentions
    assert stats["mentions_overlapping"] == [] and stats["mentions_unaligned"] == []
    assert len({doc.text[:60] for doc in docs}) == documents


# concept ids, type mapping, whitespace at a mention's edges (issues 25 and 26)

IDS = "\n".join([
    "5|t|Breast and ovarian cancer after cisplatin.",
    "5|a|No effect.",
    "5\t0\t25\tBreast and ovarian cancer\tCompositeMention\tD001943|D010051\tBreast cancer|ovarian cancer",
    "5\t32\t41\tcisplatin\tChemical\tD002945",
    "",
    "6|t|Renal failure and ARF.",
    "6|a|Lidocaine.",
    "6\t0\t13\tRenal failure\tSpecificDisease\tD051437+D058186",
    "6\t18\t21\tARF\tSpecificDisease\t-1",
    "6\t23\t32\tLidocaine\tChemical",
    "",
])


def test_concept_ids_become_kb_ids_and_survive_the_docbin(tmp_path):
    from spacy.tokens import DocBin
    import spacy
    path = tmp_path / "train.txt"
    path.write_text(IDS, encoding="utf8")
    data = get_format("pubtator").read(path, ReadOptions(label_map={"CompositeMention": "Disease",
                                                                    "SpecificDisease": "Disease"}))
    fresh = spacy.blank("en")  # a fresh vocab: the ids travel in the DocBin's strings
    docs = list(DocBin().from_bytes(DocBin(docs=data.docs).to_bytes()).get_docs(fresh.vocab))
    got = [[(e.text, e.label_, e.kb_id_) for e in d.ents] for d in docs]
    assert got == [
        [("Breast and ovarian cancer", "Disease", "D001943|D010051"), ("cisplatin", "Chemical", "D002945")],
        [("Renal failure", "Disease", "D051437|D058186"), ("ARF", "Disease", ""), ("Lidocaine", "Chemical", "")],
    ]
    assert data.stats["mentions_with_ids"] == 3


def test_unmapped_types_stay(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text(IDS, encoding="utf8")
    data = get_format("pubtator").read(path, ReadOptions())
    assert {e.label_ for d in data.docs for e in d.ents} == {"CompositeMention", "SpecificDisease", "Chemical"}


def test_whitespace_at_a_mentions_edges_is_accepted_and_reported(tmp_path):
    """NCBI-disease's release has a mention text with two trailing spaces its
    offsets do not cover; it used to refuse the whole file."""
    quirk = IDS.replace("\tcisplatin\tChemical", "\tcisplatin  \tChemical")
    path = tmp_path / "train.txt"
    path.write_text(quirk, encoding="utf8")
    data = get_format("pubtator").read(path, ReadOptions())
    assert [e.text for e in data.docs[0].ents] == ["Breast and ovarian cancer", "cisplatin"]
    assert data.stats["mentions_whitespace_edges"] == [4]
    assert any(w.startswith(f"{path}: 1 mention text(s) differing") and "lines 4;" in w for w in data.warnings)


@pytest.mark.parametrize("text", ["cisplatinum", "cis platin", " cisplatin x"])
def test_a_real_text_difference_stays_an_error(tmp_path, text):
    path = tmp_path / "train.txt"
    path.write_text(IDS.replace("\tcisplatin\tChemical", f"\t{text}\tChemical"), encoding="utf8")
    with pytest.raises(BionerError, match=rf"^{path}:4: mention text .* differs"):
        get_format("pubtator").read(path, ReadOptions())
