"""Error taxonomy of predicted vs gold entities: each gold and each predicted
span lands in exactly one category (exact match, right span wrong type,
boundary error, boundary and type error, missed, spurious), with P/R/F1
under exact and partial (overlap) matching and an entity-type confusion
matrix. Used by scripts/report.py.
"""
import bisect
from collections import Counter, defaultdict
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from spacy.tokens import Doc

from ..errors import BionerError

# Error categories; each gold and each predicted span ends up in exactly one.
EXACT = "exact"
WRONG_TYPE = "wrong_type"
BOUNDARY = "boundary"
BOUNDARY_TYPE = "boundary_type"
MISSED = "missed"
SPURIOUS = "spurious"
CATEGORIES = (EXACT, WRONG_TYPE, BOUNDARY, BOUNDARY_TYPE, MISSED, SPURIOUS)
CATEGORY_NAMES = {
    EXACT: "exact match",
    WRONG_TYPE: "right span, wrong type",
    BOUNDARY: "boundary error",
    BOUNDARY_TYPE: "boundary + type error",
    MISSED: "missed",
    SPURIOUS: "spurious",
}
NONE = "none"
class Ent(NamedTuple):
    """An entity: gold-token offsets [start, end) and label, which matching
    uses, and the character offsets of the text the entity covers."""

    start: int
    end: int
    label: str
    start_char: int
    end_char: int


class Outcome(NamedTuple):
    """One category assignment: a gold/predicted pair, or a lone span."""

    category: str
    gold: Optional[Ent]
    pred: Optional[Ent]


# (gold label or None, predicted label or None, category) -> count
Counts = Counter


def ents_of(doc: Doc) -> List[Ent]:
    return [Ent(ent.start, ent.end, ent.label_, ent.start_char, ent.end_char) for ent in doc.ents]


def project(pred_doc: Doc, gold_doc: Doc) -> List[Ent]:
    """The predicted entities on the gold tokens. The pipeline tokenises the
    text itself, so its tokens can differ from the gold ones; as spaCy's NER
    scorer does, a prediction covers every gold token it touches (a
    prediction "25" inside the gold token "25-Dihydroxyvitamin" covers that
    token). Character offsets stay those of the prediction."""
    starts = [t.idx for t in gold_doc]
    ends = [t.idx + len(t) for t in gold_doc]
    ents = []
    for ent in pred_doc.ents:
        first = bisect.bisect_right(ends, ent.start_char)
        last = bisect.bisect_left(starts, ent.end_char) - 1
        if first <= last:
            ents.append(Ent(first, last + 1, ent.label_, ent.start_char, ent.end_char))
    return ents


def match_entities(gold: Sequence[Ent], pred: Sequence[Ent]) -> List[Outcome]:
    """Assign every gold and every predicted span of one text to exactly one
    error category. Spans are on the gold tokens (see project()).

    Two spans overlap when they share at least one token. Each pair of
    overlapping gold and predicted spans is a candidate, classified as
      exact          same start, end and type;
      wrong_type     same start and end, different type;
      boundary       overlap, same type, different start or end;
      boundary_type  overlap, different type, different start or end.
    Candidates are taken greedily in that order of category, then by larger
    overlap (in tokens), then by earlier gold start, then earlier predicted
    start; a candidate is taken only if neither of its spans is taken yet, so
    each span is in at most one pair. This resolves one-to-many overlaps: a
    predicted span covering two gold spans pairs with one of them (the same
    type first, then the larger overlap) and vice versa. What is left is
      missed         a gold span without a partner: no overlapping prediction,
                     or only ones already paired with another gold span;
      spurious       a predicted span without a partner, likewise.
    """
    candidates = []
    for g in gold:
        for p in pred:
            overlap = min(g.end, p.end) - max(g.start, p.start)
            if overlap <= 0:
                continue
            same_span = (g.start, g.end) == (p.start, p.end)
            same_type = g.label == p.label
            if same_span:
                category = EXACT if same_type else WRONG_TYPE
            else:
                category = BOUNDARY if same_type else BOUNDARY_TYPE
            rank = CATEGORIES.index(category)
            candidates.append(((rank, -overlap, g.start, p.start), category, g, p))
    candidates.sort(key=lambda c: c[0])
    used_gold, used_pred = set(), set()
    outcomes = []
    for _, category, g, p in candidates:
        if g in used_gold or p in used_pred:
            continue
        used_gold.add(g)
        used_pred.add(p)
        outcomes.append(Outcome(category, g, p))
    outcomes.extend(Outcome(MISSED, g, None) for g in gold if g not in used_gold)
    outcomes.extend(Outcome(SPURIOUS, None, p) for p in pred if p not in used_pred)
    return outcomes


def count_outcomes(outcomes: Iterable[Outcome]) -> Counts:
    """Count outcomes by (gold label, predicted label, category)."""
    counts: Counts = Counter()
    for o in outcomes:
        counts[(o.gold.label if o.gold else None, o.pred.label if o.pred else None, o.category)] += 1
    return counts


def taxonomy(gold_docs: Sequence[Doc], pred_docs: Sequence[Doc]) -> Counts:
    """Error category counts over aligned gold and predicted Docs."""
    check_aligned(gold_docs, pred_docs)
    counts: Counts = Counter()
    for gold_doc, pred_doc in zip(gold_docs, pred_docs):
        counts.update(count_outcomes(match_entities(ents_of(gold_doc), project(pred_doc, gold_doc))))
    return counts


def check_aligned(gold_docs: Sequence[Doc], pred_docs: Sequence[Doc], name: str = "predictions") -> None:
    if len(gold_docs) != len(pred_docs):
        raise BionerError(
            f"{name}: {len(pred_docs)} docs but the gold data has {len(gold_docs)}. "
            f"Re-run the evaluate step on this test split."
        )
    for i, (g, p) in enumerate(zip(gold_docs, pred_docs)):
        if g.text != p.text:
            raise BionerError(
                f"{name}: doc {i} has another text than the gold doc. "
                f"Re-run the evaluate step on this test split."
            )


def by_category(counts: Counts) -> Dict[str, Counter]:
    """{label: {category: n}}: gold-side categories under the gold label,
    spurious under the predicted label."""
    table: Dict[str, Counter] = defaultdict(Counter)
    for (gold_label, pred_label, category), n in counts.items():
        table[gold_label if gold_label is not None else pred_label][category] += n
    return table


def prf(tp: int, n_pred: int, n_gold: int) -> Dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f": f}


def scores(counts: Counts, partial: bool = False) -> Dict[str, Any]:
    """Precision, recall and F1 per type, micro and macro, from the counts.

    Exact: a true positive is an exact pair, which gives the numbers of
    spaCy's NER scorer (predictions projected as it does, see project()). Partial: exact and boundary pairs (overlap, same type)
    are true positives. Macro P, R and F1 are the unweighted means of the
    per-type values over the gold types.
    """
    hits = (EXACT, BOUNDARY) if partial else (EXACT,)
    tp: Counter = Counter()
    n_gold: Counter = Counter()
    n_pred: Counter = Counter()
    for (gold_label, pred_label, category), n in counts.items():
        if gold_label is not None:
            n_gold[gold_label] += n
        if pred_label is not None:
            n_pred[pred_label] += n
        if category in hits:
            tp[gold_label] += n
    labels = sorted(set(n_gold) | set(n_pred))
    per_type = {label: {**prf(tp[label], n_pred[label], n_gold[label]), "support": n_gold[label]} for label in labels}
    micro = prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    gold_labels = [label for label in labels if n_gold[label]] or labels
    macro = {k: sum(per_type[lb][k] for lb in gold_labels) / len(gold_labels) if gold_labels else 0.0 for k in "prf"}
    return {"per_type": per_type, "micro": micro, "macro": macro, "support": sum(n_gold.values())}


def confusion(counts: Counts, labels: Optional[Sequence[str]] = None) -> Tuple[List[str], List[List[int]]]:
    """Labels (in the order given, others sorted after them, then "none") and
    the matrix [gold][predicted] over the pairs of match_entities; missed in
    the "none" column, spurious in the "none" row."""
    seen = {lb for key in counts for lb in key[:2] if lb is not None}
    labels = list(labels or [])
    axis = labels + sorted(seen - set(labels)) + [NONE]
    matrix = [[0] * len(axis) for _ in axis]
    for (gold_label, pred_label, _), n in counts.items():
        matrix[axis.index(gold_label or NONE)][axis.index(pred_label or NONE)] += n
    return axis, matrix
