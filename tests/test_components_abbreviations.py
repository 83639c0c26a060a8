"""bioner/components/abbreviations.py: short forms defined in the text take the label
of the entity that ends their long form."""
import time

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Span

from bioner.components.abbreviations import (
    FACTORY,
    find_definitions,
    is_short_form,
    long_form_start,
    propagate_abbreviations,
)

TEXT = ("Levels of 4-hydroxy-2-nonenal (4HNE) rose. Patients with acute renal failure (ARF) "
        "were treated. 4HNE and ARF were measured in (n = 12) rats (IL-2) twice.")


@pytest.fixture
def nlp():
    return spacy.blank("en")


def entity(doc, text, label):
    start = doc.text.index(text)
    return doc.char_span(start, start + len(text), label=label)


def test_definitions_follow_schwartz_hearst(nlp):
    doc = nlp(TEXT)
    pairs = [(long.text, short.text) for long, short in find_definitions(doc)]
    assert ("4-hydroxy-2-nonenal", "4HNE") in pairs
    assert ("acute renal failure", "ARF") in pairs
    assert all(short != "n = 12" for _, short in pairs)  # not one token: no short form
    assert long_form_start("ARF", ["with", "acute", "renal", "failure"]) == 1
    assert long_form_start("XYZ", ["with", "acute", "renal", "failure"]) == -1
    # every character must be found, and the first one must start a word
    assert long_form_start("IL-2", ["in", "rats"]) == -1
    assert long_form_start("AB", ["in", "tab"]) == -1
    assert long_form_start("AB", ["in", "a", "tab"]) == 1
    assert is_short_form("4HNE") and not is_short_form("a") and not is_short_form("(1)")


def test_short_forms_take_the_long_forms_label(nlp):
    nlp.add_pipe(FACTORY)
    doc = nlp.make_doc(TEXT)
    doc.set_ents([entity(doc, "4-hydroxy-2-nonenal", "Chemical"), entity(doc, "acute renal failure", "Disease")])
    doc = nlp.get_pipe(FACTORY)(doc)
    labels = [(e.text, e.label_) for e in doc.ents]
    assert labels.count(("4HNE", "Chemical")) == 2  # in the parentheses and later
    assert labels.count(("ARF", "Disease")) == 2
    assert ("4-hydroxy-2-nonenal", "Chemical") in labels


def test_existing_entities_and_undefined_tokens_are_kept(nlp):
    doc = nlp.make_doc(TEXT)
    # no entity at the long form: nothing to propagate
    doc.set_ents([entity(doc, "ARF were", "Disease")])
    propagate = spacy.registry.factories.get(FACTORY)(nlp, FACTORY)
    doc = propagate(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("ARF were", "Disease")]
    # the long form is an entity, but the later ARF overlaps another entity: left alone
    doc.set_ents([entity(doc, "acute renal failure", "Disease"), Span(doc, len(doc) - 2, len(doc) - 1, "X")])
    doc.set_ents([e for e in doc.ents] + [entity(doc, "ARF were", "Other")])
    doc = propagate(doc)
    assert ("ARF were", "Other") in [(e.text, e.label_) for e in doc.ents]
    assert [e.text for e in doc.ents].count("ARF") == 1  # only the one in parentheses


@pytest.mark.parametrize("text", [
    "Patients with acute renal failure  (ARF) had ARF twice.",     # two spaces before "("
    "Patients with acute renal failure\n(ARF) had ARF twice.",      # a line break
    "Patients with acute renal failure ( ARF ) had ARF twice.",     # spaces inside
])
def test_definitions_survive_extra_whitespace(nlp, text):
    """Before the fix: the whitespace token before "(" hid the definition."""
    doc = nlp.make_doc(text)
    doc.set_ents([entity(doc, "acute renal failure", "Disease")])
    doc = propagate_abbreviations(doc)
    assert [(e.text, e.label_) for e in doc.ents].count(("ARF", "Disease")) == 2


def test_lower_casing_that_changes_length_does_not_shift_the_long_form(nlp):
    """"İ".lower() is two characters; before the fix a short form holding it
    never matched its long form."""
    doc = nlp.make_doc("Levels of İnterleukin-like Factor (İLF) and İLF rose.")
    doc.set_ents([entity(doc, "İnterleukin-like Factor", "protein")])
    [(long, short)] = list(find_definitions(doc))
    assert (long.text, short.text) == ("İnterleukin-like Factor", "İLF")
    assert [e.text for e in propagate_abbreviations(doc).ents] == ["İnterleukin-like Factor", "İLF", "İLF"]


def component_seconds(nlp, n_sentences: int) -> float:
    """Time of the component alone over a Doc of n sentences, each defining
    an abbreviation whose long form is an entity."""
    text = " ".join(f"The acute renal failure (ARF) and ARF rose in group {i}." for i in range(n_sentences))
    doc = nlp.make_doc(text)
    ents, start = [], 0
    for i in range(n_sentences):
        start = text.index("acute renal failure", start)
        ents.append(doc.char_span(start, start + len("acute renal failure"), label="Disease"))
        start += 1
    doc.set_ents(ents)
    begin = time.perf_counter()
    propagate_abbreviations(doc)
    seconds = time.perf_counter() - begin
    assert len(doc.ents) == 3 * n_sentences
    return seconds


def test_time_is_linear_in_the_length_of_the_doc(nlp):
    """8 times the text costs about 8 times as long, not 64 times (the old
    code rescanned every entity for each definition). A ratio in one run,
    never a wall-clock limit."""
    component_seconds(nlp, 50)  # warm-up
    # the best of 7 runs each: a busy machine (parallel test workers) slows single runs
    small = min(component_seconds(nlp, 400) for _ in range(7))
    large = min(component_seconds(nlp, 3200) for _ in range(7))
    assert large / small < 20, (small, large)


TEXT_PIECES = st.sampled_from(["(", ")", "[", "]", " ", "  ", "\n", "ARF", "acute", "renal", "failure", "IL-2",
                               "İ", "ß", "é", "4HNE", ".", ",", "a", "(ARF)", "((", "))", "( x )", "-"])


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(TEXT_PIECES, max_size=60), spans=st.lists(st.tuples(st.integers(0, 80), st.integers(1, 4)), max_size=8))
def test_random_text_never_breaks_the_component(pieces, spans):
    nlp = spacy.blank("en")
    text = " ".join(pieces)
    doc = nlp.make_doc(text)
    ents, taken = [], set()
    for start, length in spans:
        end = min(start + length, len(doc))
        if start < end and not taken & set(range(start, end)):
            taken |= set(range(start, end))
            ents.append(Span(doc, start, end, label="X"))
    doc.set_ents(sorted(ents, key=lambda e: e.start))
    doc = propagate_abbreviations(doc)
    previous_end = 0
    for ent in doc.ents:
        assert 0 <= ent.start_char < ent.end_char <= len(text)
        assert text[ent.start_char:ent.end_char] == ent.text
        assert ent.start >= previous_end  # no overlaps
        previous_end = ent.end


CONFLICT = "Cisplatin-induced acute renal failure (ARF) was seen in rats. ARF resolved after 5 days."


def test_a_defined_short_form_takes_its_long_forms_label_at_every_occurrence(nlp):
    """The NER tagged the long form Disease and the short form Chemical: within
    the Doc, the definition decides (before the fix the conflict was kept)."""
    doc = nlp.make_doc(CONFLICT)
    arfs = [i for i, t in enumerate(doc) if t.text == "ARF"]
    doc.set_ents([entity(doc, "Cisplatin", "Chemical"), entity(doc, "acute renal failure", "Disease"),
                  Span(doc, arfs[0], arfs[0] + 1, "Chemical"), Span(doc, arfs[1], arfs[1] + 1, "Chemical")])
    doc = propagate_abbreviations(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Cisplatin", "Chemical"), ("acute renal failure", "Disease"), ("ARF", "Disease"), ("ARF", "Disease")]


def test_relabel_can_be_turned_off_for_the_old_behaviour(nlp):
    nlp.add_pipe(FACTORY, config={"relabel": False})
    doc = nlp.make_doc(CONFLICT)
    arfs = [i for i, t in enumerate(doc) if t.text == "ARF"]
    doc.set_ents([entity(doc, "acute renal failure", "Disease"), Span(doc, arfs[1], arfs[1] + 1, "Chemical")])
    doc = nlp.get_pipe(FACTORY)(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("acute renal failure", "Disease"), ("ARF", "Disease"), ("ARF", "Chemical")]
    assert nlp.config["components"][FACTORY]["relabel"] is False
    assert spacy.blank("en").add_pipe(FACTORY) is not None  # default: relabel


@settings(max_examples=100, deadline=None)
@given(pieces=st.lists(TEXT_PIECES, max_size=60), spans=st.lists(st.tuples(st.integers(0, 80), st.integers(1, 4),
                                                                           st.sampled_from("XYZ")), max_size=8))
def test_every_defined_short_form_ends_with_one_label_or_inside_a_longer_entity(pieces, spans):
    """After the component, each short form whose long form ends as an entity
    has that entity's label wherever it is an entity of its own."""
    nlp = spacy.blank("en")
    doc = nlp.make_doc(" ".join(pieces))
    ents, taken = [], set()
    for start, length, label in spans:
        end = min(start + length, len(doc))
        if start < end and not taken & set(range(start, end)):
            taken |= set(range(start, end))
            ents.append(Span(doc, start, end, label=label))
    doc.set_ents(sorted(ents, key=lambda e: e.start))
    ending_at = {e.end: e for e in doc.ents}
    labels = {}
    for long_form, short in find_definitions(doc):
        ent = ending_at.get(long_form.end)
        if ent is not None and ent.start >= long_form.start - 1:
            labels.setdefault(short.text, ent.label_)
    doc = propagate_abbreviations(doc)
    for ent in doc.ents:
        if len(ent) == 1 and ent.text in labels:
            assert ent.label_ == labels[ent.text], (ent.text, ent.label_, labels)


def test_benchmark_compares_old_and_new_on_a_gold_docbin(tmp_path):
    """benchmarks/abbreviations.py on a toy pipeline whose NER calls ARF a
    Chemical: the new behaviour fixes it, the old one keeps it."""
    from spacy.tokens import DocBin

    from benchmarks.abbreviations import compare

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "Disease", "pattern": "acute renal failure"},
                                               {"label": "Chemical", "pattern": "ARF"}])
    nlp.add_pipe(FACTORY, name="abbreviations")
    nlp.to_disk(tmp_path / "model")
    gold = nlp.make_doc(CONFLICT)
    gold.set_ents([entity(gold, "acute renal failure", "Disease")]
                  + [Span(gold, t.i, t.i + 1, "Disease") for t in gold if t.text == "ARF"])
    DocBin(docs=[gold]).to_disk(tmp_path / "dev.spacy")
    results = compare(str(tmp_path / "model"), tmp_path / "dev.spacy")
    assert results["old"]["ents_f"] == pytest.approx(1 / 3) and results["new"]["ents_f"] == 1.0
    assert results["none"]["entities_changed"] == 0 and results["new"]["entities_changed"] == 4
