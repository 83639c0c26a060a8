"""bioner/components/abbreviations.py: short forms defined in the text take the label
of the entity that ends their long form."""
import pytest
import spacy
from spacy.tokens import Span

from bioner.components.abbreviations import FACTORY, find_definitions, is_short_form, long_form_start

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
