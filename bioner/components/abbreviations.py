"""Abbreviation propagation: a pipeline component that runs after `ner`.

Biomedical abstracts define abbreviations once, "4-hydroxy-2-nonenal (4HNE)",
and then use the short form alone. A statistical NER often tags the long
form but misses the short form: it is a rare, opaque string. This component
finds the definitions (the Schwartz & Hearst 2003 rule: a short form in
parentheses whose characters occur, in order, in the words just before it,
the first one starting a word) and, when the long form ends as an entity,
gives that entity's label to every occurrence of the short form in the Doc
that overlaps no other entity.

The module depends on spaCy only, so `spacy package --code` can ship it
inside a pipeline's wheel.
"""
from typing import Iterator, List, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

FACTORY = "bioner_abbreviations"


def is_short_form(text: str) -> bool:
    """2-10 characters, a letter among them, starting with a letter or digit."""
    return (
        2 <= len(text) <= 10
        and any(c.isalpha() for c in text)
        and text[0].isalnum()
        and " " not in text
    )


def long_form_start(short: str, words: List[str]) -> int:
    """Index in `words` where the long form for `short` starts, or -1.

    Schwartz & Hearst: match the short form's letters and digits right to
    left against the words' characters; the first character must match at
    the start of a word.
    """
    chars = [c.lower() for c in short if c.isalnum()]
    text = " ".join(words).lower()
    s, t = len(chars) - 1, len(text) - 1
    while s >= 0:
        # the first short-form character must begin a word
        while t >= 0 and (text[t] != chars[s] or (s == 0 and t > 0 and text[t - 1].isalnum())):
            t -= 1
        if t < 0:
            return -1
        s, t = s - 1, t - 1
    # the word that holds character t + 1
    return text[: t + 1].count(" ")


def find_definitions(doc: Doc) -> Iterator[Tuple[Span, Span]]:
    """Yield (long form, short form) for each "long form ( SF )" in `doc`."""
    for i in range(1, len(doc) - 2):
        if doc[i].text != "(" or doc[i + 2].text != ")" or not is_short_form(doc[i + 1].text):
            continue
        short = doc[i + 1 : i + 2]
        # as Schwartz & Hearst: at most min(|SF| + 5, 2 |SF|) words before it
        max_words = min(len(short.text) + 5, 2 * len(short.text))
        start = max(doc[i].sent.start if doc.has_annotation("SENT_START") else 0, i - max_words)
        words = [t.text for t in doc[start:i]]
        offset = long_form_start(short.text, words)
        if offset >= 0:
            yield doc[start + offset : i], short


def propagate_abbreviations(doc: Doc) -> Doc:
    """Label short forms like the entity that ends their long form."""
    ents = list(doc.ents)
    labels = {}
    for long_form, short in find_definitions(doc):
        ending = [e for e in ents if e.end == long_form.end and e.start >= long_form.start - 1]
        if ending and short.text not in labels:
            labels[short.text] = ending[0].label_
    if not labels:
        return doc
    taken = set()
    for ent in ents:
        taken.update(range(ent.start, ent.end))
    new = []
    for token in doc:
        if token.text in labels and token.i not in taken:
            new.append(Span(doc, token.i, token.i + 1, label=labels[token.text]))
    if new:
        doc.set_ents(sorted(ents + new, key=lambda e: e.start))
    return doc


def make_abbreviation_propagator(nlp: Language, name: str):
    """Factory for configs: `[components.abbreviations] factory = "bioner_abbreviations"`."""
    return propagate_abbreviations


# A wheel ships a copy of this module. Loading the wheel in a process that has
# imported bioner (python -m scripts.serve --model en_bioner_cnn) must not
# register the factory a second time: spaCy refuses that (E004).
if not Language.has_factory(FACTORY):
    Language.factory(FACTORY)(make_abbreviation_propagator)
