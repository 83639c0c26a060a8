"""Abbreviation propagation: a pipeline component that runs after `ner`.

Biomedical abstracts define abbreviations once, "4-hydroxy-2-nonenal (4HNE)",
and then use the short form alone. A statistical NER often tags the long
form but misses the short form: it is a rare, opaque string. This component
finds the definitions (the Schwartz & Hearst 2003 rule: a short form in
parentheses whose characters occur, in order, in the words just before it,
the first one starting a word) and, when the long form ends as an entity,
gives that entity's label to every occurrence of the short form in the Doc:
occurrences the NER missed are added, and one it tagged with another label
is relabelled ("acute renal failure (ARF)" is a Disease, so every "ARF" of
that Doc is one); an occurrence inside a longer entity is left alone.

The module depends on spaCy only, so `spacy package --code` can ship it
inside a pipeline's wheel.
"""
from functools import partial
from typing import Dict, Iterator, List, Tuple

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


def _lower(text: str) -> str:
    """Lower case, one character for one: "İ".lower() is two characters,
    which would shift every position after it."""
    return "".join(c.lower()[:1] or c for c in text)


def long_form_start(short: str, words: List[str]) -> int:
    """Index in `words` where the long form for `short` starts, or -1.

    Schwartz & Hearst: match the short form's letters and digits right to
    left against the words' characters; the first character must match at
    the start of a word.
    """
    chars = [_lower(c) for c in short if c.isalnum()]
    text = _lower(" ".join(words))
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


def sentence_starts(doc: Doc) -> List[int]:
    """The index of the first token of each token's sentence (0 for all
    without sentence boundaries), in one pass."""
    starts, start = [], 0
    has_sents = doc.has_annotation("SENT_START")
    for token in doc:
        if has_sents and token.is_sent_start:
            start = token.i
        starts.append(start)
    return starts


def find_definitions(doc: Doc) -> Iterator[Tuple[Span, Span]]:
    """Yield (long form, short form) for each "long form ( SF )" in `doc`.
    Whitespace tokens (extra spaces, line breaks) are skipped; each "(" looks
    at a bounded number of words before it, so this is linear in the Doc."""
    words = [t for t in doc if not t.is_space]  # tokens as the text reads
    sent_start = sentence_starts(doc)
    for k in range(1, len(words) - 2):
        if words[k].text != "(" or words[k + 2].text != ")" or not is_short_form(words[k + 1].text):
            continue
        short = doc[words[k + 1].i : words[k + 1].i + 1]
        # as Schwartz & Hearst: at most min(|SF| + 5, 2 |SF|) words before it
        max_words = min(len(short.text) + 5, 2 * len(short.text))
        before = [w for w in words[max(0, k - max_words) : k] if w.i >= sent_start[words[k].i]]
        if not before:
            continue
        offset = long_form_start(short.text, [w.text for w in before])
        if offset >= 0:
            yield doc[before[offset].i : before[-1].i + 1], short


def propagate_abbreviations(doc: Doc, relabel: bool = True) -> Doc:
    """Label short forms like the entity that ends their long form: add the
    occurrences that overlap no entity, and (`relabel`) give the long form's
    label to those the NER tagged as a one-token entity of another label, so
    that within a Doc a defined short form has one label. A short form inside
    a longer entity is left alone. Linear in the length of the Doc: entities
    are looked up by their last token."""
    ents = list(doc.ents)
    ending_at: Dict[int, Span] = {}
    for ent in ents:
        ending_at.setdefault(ent.end, ent)
    labels: Dict[str, str] = {}
    for long_form, short in find_definitions(doc):
        ent = ending_at.get(long_form.end)
        if ent is not None and ent.start >= long_form.start - 1 and short.text not in labels:
            labels[short.text] = ent.label_
    if not labels:
        return doc
    relabelled = 0
    if relabel:
        for i, ent in enumerate(ents):
            label = labels.get(ent.text) if len(ent) == 1 else None
            if label is not None and ent.label_ != label:
                ents[i] = Span(doc, ent.start, ent.end, label=label, kb_id=ent.kb_id)
                relabelled += 1
    taken = bytearray(len(doc))
    for ent in ents:
        taken[ent.start : ent.end] = b"\x01" * len(ent)
    new = [Span(doc, t.i, t.i + 1, label=labels[t.text]) for t in doc if t.text in labels and not taken[t.i]]
    if new or relabelled:
        doc.set_ents(sorted(ents + new, key=lambda e: e.start))
    return doc


def make_abbreviation_propagator(nlp: Language, name: str, relabel: bool = True):
    """Factory for configs: `[components.abbreviations] factory = "bioner_abbreviations"`;
    `relabel = false` keeps the NER's label on a short form it tagged itself
    (the behaviour before issue 26, for comparisons)."""
    return partial(propagate_abbreviations, relabel=relabel)


# A wheel ships a copy of this module. Loading the wheel in a process that has
# imported bioner (python -m scripts.serve --model en_bioner_cnn) must not
# register the factory a second time: spaCy refuses that (E004).
if not Language.has_factory(FACTORY):
    Language.factory(FACTORY)(make_abbreviation_propagator)
