"""Concept-level scores by the protocol of the BioCreative V CDR evaluation
kit: the unit is the set of (document, type, concept id) pairs. A concept
repeated in a document counts once; a composite mention's ids count one by
one; `-1` and empty ids are dropped from gold and predictions alike.

`concept_scores` is end to end (the pipeline's own entities and ids);
`accuracy_at_1` scores the linker alone, on the gold mentions, so that NER
errors and linking errors can be told apart; `choose_threshold` picks the
NIL threshold that maximises dev concept F1.
"""
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from spacy.tokens import Doc

from ..components.linker import ConceptLinker, split_ids

Pair = Tuple[int, str, str]  # (document index, type, concept id)


def concept_pairs(docs: Sequence[Doc], min_score: float = 0.0) -> Set[Pair]:
    """Every (document, type, id) of `docs`; with min_score > 0, predicted
    entities scoring below it count as NIL."""
    pairs = set()
    for i, doc in enumerate(docs):
        for ent in doc.ents:
            if min_score and ent._.kb_score < min_score:
                continue
            pairs.update((i, ent.label_, cid) for cid in split_ids(ent.kb_id_))
    return pairs


def prf(gold: Set, predicted: Set) -> Dict[str, float]:
    tp = len(gold & predicted)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(gold) if gold else 0.0
    return {"p": p, "r": r, "f": 2 * p * r / (p + r) if p + r else 0.0, "gold": len(gold), "predicted": len(predicted)}


def concept_scores(gold_docs: Sequence[Doc], predicted_docs: Sequence[Doc], min_score: float = 0.0) -> Dict:
    """Micro and per-type P/R/F1 over (document, type, id) pairs."""
    if len(gold_docs) != len(predicted_docs):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(predicted_docs)} predicted")
    gold, predicted = concept_pairs(gold_docs), concept_pairs(predicted_docs, min_score)
    types = sorted({t for _, t, _ in gold | predicted})
    return {**prf(gold, predicted),
            "per_type": {t: prf({x for x in gold if x[1] == t}, {x for x in predicted if x[1] == t}) for t in types}}


def link_gold_mentions(linker: ConceptLinker, gold_docs: Iterable[Doc], threshold: Optional[float] = None
                       ) -> List[Tuple[Tuple[str, ...], Tuple[str, ...], str]]:
    """(gold ids, predicted ids, type) for every gold mention, the linker run
    on a copy of each gold Doc (its abbreviation rule sees the document);
    with `threshold`, the linker's own is replaced for this call (0: never NIL)."""
    if threshold is not None:
        own, linker.threshold = linker.threshold, threshold
        try:
            return link_gold_mentions(linker, gold_docs)
        finally:
            linker.threshold = own
    rows = []
    for gold in gold_docs:
        doc = gold.copy()
        gold_ids = [tuple(sorted(split_ids(e.kb_id_))) for e in gold.ents]
        for ent in doc.ents:
            ent.kb_id_ = ""
        linker(doc)
        rows.extend((g, tuple(sorted(split_ids(e.kb_id_))), e.label_) for g, e in zip(gold_ids, doc.ents))
    return rows


def accuracy_at_1(rows: Sequence[Tuple[Tuple[str, ...], Tuple[str, ...], str]]) -> Dict:
    """Share of gold mentions with an id whose predicted ids are exactly the
    gold ids, micro and per type, with the error classes of the report."""
    scored = [r for r in rows if r[0]]
    right = Counter(t for g, p, t in scored if g == p)
    total = Counter(t for _, _, t in scored)
    errors = {"wrong_concept": sum(1 for g, p, _ in scored if p and p != g),
              "nil_when_gold_has_one": sum(1 for g, p, _ in scored if not p),
              "linked_when_gold_has_none": sum(1 for g, p, _ in rows if not g and p)}
    return {"accuracy": sum(right.values()) / len(scored) if scored else 0.0, "mentions": len(scored),
            "per_type": {t: {"accuracy": right[t] / n, "mentions": n} for t, n in sorted(total.items())},
            "errors": errors}


def choose_threshold(gold_docs: Sequence[Doc], predicted_docs: Sequence[Doc],
                     candidates: Sequence[float] = tuple(i / 20 for i in range(20))) -> Tuple[float, float]:
    """The NIL threshold (and its F1) that maximises concept F1 on these
    (dev) Docs, the lowest of equals; predictions must carry kb_score."""
    best = max(candidates, key=lambda t: (concept_scores(gold_docs, predicted_docs, t)["f"], -t))
    return best, concept_scores(gold_docs, predicted_docs, best)["f"]


def linking_metrics(nlp, gold_docs: Sequence[Doc], predicted_docs: Sequence[Doc]) -> Optional[Dict]:
    """The linking figures of a metrics file, or None when `nlp` has no
    linker or the gold Docs carry no concept ids: concept P/R/F1 end to end
    (the pipeline's entities and ids) and accuracy@1 on the gold mentions,
    at the linker's threshold and without NIL."""
    linker = next((pipe for _, pipe in nlp.pipeline if isinstance(pipe, ConceptLinker)), None)
    if linker is None or not any(e.kb_id_ for doc in gold_docs for e in doc.ents):
        return None
    return {"threshold": linker.threshold,
            "concepts": concept_scores(gold_docs, predicted_docs),
            "accuracy_at_1": accuracy_at_1(link_gold_mentions(linker, gold_docs)),
            "accuracy_at_1_no_nil": accuracy_at_1(link_gold_mentions(linker, gold_docs, threshold=0.0))}
