"""examples.html: test sentences with gold and each model's entities side
by side (displaCy), sentences with errors first."""
import html
import random
from pathlib import Path
from typing import Dict, Sequence

from spacy import displacy
from spacy.tokens import Doc

from ..evaluation.taxonomy import CATEGORY_NAMES, EXACT, MISSED, SPURIOUS, Ent, Outcome, ents_of, match_entities, project

# displaCy's own pastel colours, assigned to the entity types in sorted order
PALETTE = ["#7aecec", "#feca74", "#aa9cfc", "#bfeeb7", "#ff9561", "#c887fb",
           "#9cc9cc", "#ffeb80", "#ff8197", "#e4e7d2", "#bfe1d9", "#dddddd"]


def _describe(doc: Doc, o: Outcome) -> str:
    def span(e: Ent) -> str:
        return f"<q>{html.escape(doc.text[e.start_char:e.end_char])}</q> <small>{html.escape(e.label)}</small>"

    if o.category == MISSED:
        return f'<span class="cat">missed</span> {span(o.gold)}'
    if o.category == SPURIOUS:
        return f'<span class="cat">spurious</span> {span(o.pred)}'
    return f'<span class="cat">{CATEGORY_NAMES[o.category]}</span>: gold {span(o.gold)} &rarr; predicted {span(o.pred)}'


def _render(doc: Doc, sent_start: int, sent_end: int, ents: Sequence[Ent], colors: Dict[str, str]) -> str:
    sent = doc[sent_start:sent_end]
    base, end = sent.start_char, sent.end_char
    items = [{"start": e.start_char - base, "end": min(e.end_char, end) - base, "label": e.label} for e in ents]
    return displacy.render(
        {"text": sent.text, "ents": items, "title": None},
        style="ent", manual=True, page=False, jupyter=False, options={"colors": colors},
    )


def examples_html(
    corpus: str,
    gold_docs: Sequence[Doc],
    preds: Dict[str, Sequence[Doc]],
    labels: Sequence[str],
    n_examples: int = 40,
    seed: int = 0,
) -> str:
    """A page of test sentences, gold and each model's entities side by side:
    a random sample (fixed seed) of sentences where some model errs, then a
    few where all are right; sentences without any entity are left out."""
    colors = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(sorted(labels))}
    sentences = []  # (has_error, doc index, start, end, gold ents, {model: [outcomes]})
    for i, gold_doc in enumerate(gold_docs):
        for sent in gold_doc.sents:
            # by first token: predictions know no sentence boundaries and may cross one
            inside = lambda ents: [e for e in ents if sent.start <= e.start < sent.end]  # noqa: E731
            gold = inside(ents_of(gold_doc))
            outcomes = {m: match_entities(gold, inside(project(docs[i], gold_doc))) for m, docs in preds.items()}
            if not gold and not any(outcomes.values()):
                continue
            has_error = any(o.category != EXACT for os_ in outcomes.values() for o in os_)
            sentences.append((has_error, i, sent.start, sent.end, gold, outcomes))
    rng = random.Random(seed)
    wrong = [s for s in sentences if s[0]]
    right = [s for s in sentences if not s[0]]
    n_right = min(len(right), max(n_examples // 5, n_examples - len(wrong)))
    n_wrong = min(len(wrong), n_examples - n_right)
    chosen = sorted(rng.sample(wrong, n_wrong), key=lambda s: s[1:3]) + sorted(rng.sample(right, n_right), key=lambda s: s[1:3])
    legend = " ".join(
        f'<span class="chip" style="background:{colors[lb]}">{html.escape(lb)}</span>' for lb in labels
    )
    columns = ["gold"] + list(preds)
    blocks = []
    for k, (has_error, i, start, end, gold, outcomes) in enumerate(chosen, 1):
        gold_doc = gold_docs[i]
        cells = [_render(gold_doc, start, end, gold, colors)]
        for model in preds:
            pred = sorted(o.pred for o in outcomes[model] if o.pred)
            cells.append(_render(gold_doc, start, end, pred, colors))
        errors = []
        for model, os_ in outcomes.items():
            wrong_ = [o for o in os_ if o.category != EXACT]
            if wrong_:
                items = "".join(f"<li>{_describe(gold_doc, o)}</li>" for o in wrong_)
                errors.append(f'<div class="errors"><b>{html.escape(model)}</b><ul>{items}</ul></div>')
            else:
                errors.append(f'<div class="errors"><b>{html.escape(model)}</b>: all entities right</div>')
        status = "errors" if has_error else "all right"
        blocks.append(
            f'<section class="{"bad" if has_error else "good"}"><h3>#{k} &middot; doc {i}, tokens {start}&ndash;{end} '
            f'&middot; {status}</h3><div class="grid" style="grid-template-columns: repeat({len(columns)}, 1fr)">'
            + "".join(f'<div class="col"><div class="name">{html.escape(c)}</div>{cell}</div>' for c, cell in zip(columns, cells))
            + "</div>" + "".join(errors) + "</section>"
        )
    n_wrong_all = len(wrong)
    per_model = ", ".join(
        f"{html.escape(m)} {sum(any(o.category != EXACT for o in s[5][m]) for s in sentences):,}" for m in preds
    )
    css = (Path(__file__).parent / "examples.css").read_text(encoding="utf8")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bioner examples: {html.escape(corpus)}</title>
<style>
{css}</style></head><body>
<h1>{html.escape(corpus)}: test sentences, gold vs predicted entities</h1>
<p>Entity types: {legend}</p>
<p>{len(chosen)} of {len(sentences):,} test sentences with entities; {n_wrong} of the {n_wrong_all:,} where some model
makes an error (red), then {n_right} where every model is right (green). Sampled at random (seed {seed}).
Sentences with an error, per model: {per_model}.
Columns: the gold annotation, then each model's prediction. Under each sentence, the errors per model
(categories as in report.md).</p>
{"".join(blocks)}
</body></html>
"""
