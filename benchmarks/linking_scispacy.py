"""scispaCy's candidate generator over our KB, on gold mentions (lab; runs in
its own venv, /work/venvs/scispacy, with benchmarks/requirements-scispacy.txt;
it imports nothing of bioner, so bioner's deps need not be there).

    /work/venvs/scispacy/bin/python benchmarks/linking_scispacy.py KB MENTIONS OUT [--labels Disease,Chemical]

KB is the linker's KB file (corpus/<corpus>/kb.json.gz); every concept of a
label becomes a scispaCy `KnowledgeBase` entity whose aliases are its MeSH
names and the corpus names that point to it (the same names our linker
has). MENTIONS is the JSONL benchmarks/linking.py writes (text, label,
gold ids). Per label: the KB, scispaCy's `create_tfidf_ann_index` (its own
TF-IDF settings and HNSW parameters), then `CandidateGenerator` on every
mention; the top candidate by its best alias similarity, as scispaCy's
EntityLinker ranks them, is the prediction. Writes accuracy@1, mentions
linked per second (index building excluded, reported apart) and the
process's peak RSS.

create_tfidf_ann_index refuses to run where scipy cannot store float16
sparse matrices (scipy >= 1.11, i.e. Python >= 3.11: "This function requires
scipy<1.11"); with no output folder the float16 copy is never made, so the
check is bypassed here (scipy_supports_sparse_float16 -> True) and said so in
the output.
"""
import argparse
import gzip
import json
import resource
import sys
import time
from collections import defaultdict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kb")
    parser.add_argument("mentions")
    parser.add_argument("output")
    parser.add_argument("--labels", default="Disease,Chemical")
    parser.add_argument("--k", type=int, default=30)
    args = parser.parse_args()

    import scispacy
    from scispacy import candidate_generation as cg
    from scispacy.linking_utils import Entity, KnowledgeBase

    cg.scipy_supports_sparse_float16 = lambda: True  # see the docstring
    with gzip.open(args.kb, "rt", encoding="utf8") as f:
        kb_data = json.load(f)
    mentions = [json.loads(line) for line in open(args.mentions, encoding="utf8")]
    result = {"scispacy": getattr(scispacy, "__version__", "?"), "k": args.k,
              "note": "create_tfidf_ann_index's scipy<1.11 check bypassed (no float16 copy is saved)",
              "labels": {}}
    for label in args.labels.split(","):
        data = kb_data["labels"][label]
        aliases = defaultdict(set)
        for name, ids in data["names"].items():
            for cid in ids:
                aliases[cid].add(name)
        for name, counts in data["corpus"].items():
            for cid in counts:
                aliases[cid].add(name)  # a composite's joined ids are one "concept", as in our KB
        entities = [Entity(concept_id=cid, canonical_name=data["preferred"].get(cid, sorted(names)[0]),
                           aliases=sorted(names)) for cid, names in aliases.items()]
        start = time.perf_counter()
        kb = KnowledgeBase(entities)
        concept_aliases, vectorizer, index = cg.create_tfidf_ann_index(None, kb)
        built = time.perf_counter() - start
        generator = cg.CandidateGenerator(ann_index=index, tfidf_vectorizer=vectorizer,
                                          ann_concept_aliases_list=concept_aliases, kb=kb)
        todo = [m for m in mentions if m["label"] == label and m["gold"]]
        start = time.perf_counter()
        batches = generator([m["text"] for m in todo], args.k)
        elapsed = time.perf_counter() - start
        right = 0
        for m, candidates in zip(todo, batches):
            best = max(candidates, key=lambda c: max(c.similarities), default=None)
            predicted = sorted(best.concept_id.split("|")) if best else []
            right += predicted == sorted(m["gold"])
        result["labels"][label] = {"mentions": len(todo), "accuracy_at_1": right / len(todo),
                                   "aliases": len(concept_aliases), "index_seconds": round(built, 1),
                                   "mentions_per_s": round(len(todo) / elapsed, 1),
                                   "words_per_s": round(sum(len(m["text"].split()) for m in todo) / elapsed, 1)}
        print(label, result["labels"][label], flush=True)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    with open(args.output, "w", encoding="utf8") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
