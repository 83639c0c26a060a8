"""Concept linking: a pipeline component that runs after `ner` and
`abbreviations` and gives each entity its concept (a MeSH id) in spaCy's own
`ent.kb_id_`, with `ent._.kb_score` (0-1) and `ent._.kb_candidates` (the
best few (id, score) pairs).

The knowledge base (bioner/linking/kb.py builds it) holds, per entity label,
every name of every concept that label may link to, normalised by
`normalise`, and the names the corpus's train/dev mentions gave their gold
ids (with counts). An entity is linked, first match wins:

1. its normalised text is a corpus name: the id its mentions had most often
   (a composite mention's ids stay joined by `|`, as the corpora write them);
2. it is a MeSH name or entry term: that concept (a descriptor before a
   supplementary concept; then the id seen most in training);
3. it is a short form defined in the Doc, "acute renal failure (ARF)": the
   long form's concept;
4. its word-order- and plural-free key is a known name's;
5. the nearest name by cosine of character 3-gram TF-IDF vectors (an
   inverted index in numpy), if the score reaches `threshold` (chosen on
   dev); below it the entity stays NIL (kb_id_ "").

Everything lives in this module and numpy, so `spacy package --code` ships
it inside a wheel, and the KB is saved with the pipeline (to_disk), so the
wheel links offline.
"""
import gzip
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

try:  # inside bioner, and inside a wheel's package, which ships both modules side by side
    from .abbreviations import find_definitions
except ImportError:  # imported as a lone file (spacy package imports --code files so): its sibling
    import importlib.util as _util

    _spec = _util.spec_from_file_location("_bioner_abbreviations", Path(__file__).with_name("abbreviations.py"))
    _abbreviations = _util.module_from_spec(_spec)
    _spec.loader.exec_module(_abbreviations)
    find_definitions = _abbreviations.find_definitions

FACTORY = "bioner_linker"
KB_FILE = "kb.json.gz"
ID_SEP = "|"  # a composite mention's ids (bioner/formats/pubtator.py writes the same)
TOP_K = 5  # candidates kept in ent._.kb_candidates
NGRAM = 3
FUZZY_SUPPLEMENTARY = False
MAX_FUZZY_CHARS = 60  # longer names (IUPAC) are matched exactly only: keeps the index small

_NON_WORD = re.compile(r"[\W_]+")

for _name, _default in (("kb_score", 0.0), ("kb_candidates", None)):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)


def normalise(name: str) -> str:
    """Compatibility-folded, lower-cased, punctuation as single spaces:
    "Kidney Failure, Acute" -> "kidney failure acute"."""
    return " ".join(_NON_WORD.sub(" ", unicodedata.normalize("NFKC", name).lower()).split())


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def loose_key(normalised: str) -> str:
    """Word order and plurals ignored: "failure acute renal" = "acute renal failures"."""
    return " ".join(sorted(_singular(w) for w in normalised.split()))


def ngrams(normalised: str) -> List[str]:
    padded = f" {normalised} "
    return [padded[i:i + NGRAM] for i in range(len(padded) - NGRAM + 1)]


class NgramIndex:
    """Character 3-gram TF-IDF vectors of names, L2-normalised, as an
    inverted index: a query's cosine with every name is a sum over the
    query's n-grams of their postings, done with numpy's bincount."""

    def __init__(self, names: List[str]) -> None:
        vocab: Dict[str, int] = {}
        rows: List[int] = []
        cols: List[int] = []
        for row, name in enumerate(names):
            for gram in set(ngrams(name)):
                cols.append(vocab.setdefault(gram, len(vocab)))
                rows.append(row)
        self.vocab = vocab
        self.n_names = len(names)
        cols_a = np.asarray(cols, dtype=np.int32)
        rows_a = np.asarray(rows, dtype=np.int32)
        df = np.bincount(cols_a, minlength=len(vocab)).astype(np.float32)
        self.idf = np.log((1 + len(names)) / (1 + df)) + 1
        weights = self.idf[cols_a]
        norms = np.sqrt(np.bincount(rows_a, weights=weights ** 2, minlength=len(names)))
        order = np.argsort(cols_a, kind="stable")
        self.postings = rows_a[order]
        self.weights = (weights / np.maximum(norms[rows_a], 1e-9))[order].astype(np.float32)
        self.starts = np.concatenate([[0], np.cumsum(np.bincount(cols_a, minlength=len(vocab)))])

    def nearest(self, normalised: str, k: int = TOP_K) -> List[Tuple[int, float]]:
        query = set(ngrams(normalised))
        grams = [self.vocab[g] for g in query if g in self.vocab]
        if not grams:
            return []
        q = self.idf[grams]
        # an n-gram no name has counts in the query's norm with the highest idf:
        # "lidocaine-like" is further from "lidocaine" than "lidocaine" is
        unknown = (len(query) - len(grams)) * (np.log(1 + self.n_names) + 1) ** 2
        q = q / np.sqrt((q ** 2).sum() + unknown)
        rows = np.concatenate([self.postings[self.starts[g]:self.starts[g + 1]] for g in grams])
        weights = np.concatenate([self.weights[self.starts[g]:self.starts[g + 1]] * w for g, w in zip(grams, q)])
        scores = np.bincount(rows, weights=weights, minlength=self.n_names)
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


class LabelKB:
    """One entity label's names: exact, loose and fuzzy lookups."""

    def __init__(self, data: Dict) -> None:
        self.names: Dict[str, List[str]] = data["names"]  # normalised name -> concept ids
        self.corpus: Dict[str, Dict[str, int]] = data.get("corpus", {})  # name -> {id: count}
        prior: Counter = Counter()
        for ids in self.corpus.values():
            for cid, count in ids.items():
                for part in cid.split(ID_SEP):
                    prior[part] += count
        self.prior = prior
        self.loose: Dict[str, str] = {}
        fuzzy_names: List[str] = []
        self.fuzzy_ids: List[str] = []
        for name in list(self.corpus) + list(self.names):
            best = self.best_exact(name)
            if best is None:
                continue
            self.loose.setdefault(loose_key(name), best)
            # supplementary concepts (C...) are matched exactly only: 5 in 6 of
            # the names, so leaving them out makes the index small and quick to build
            if len(name) <= MAX_FUZZY_CHARS and (FUZZY_SUPPLEMENTARY or not best.startswith("C")
                                                 or name in self.corpus):
                fuzzy_names.append(name)
                self.fuzzy_ids.append(best)
        self.index = NgramIndex(fuzzy_names)

    def best_exact(self, name: str) -> Optional[str]:
        if name in self.corpus:
            counts = self.corpus[name]
            return max(counts, key=lambda cid: (counts[cid], cid))
        ids = self.names.get(name)
        if not ids:
            return None
        # a descriptor (D...) before a supplementary concept (C...), then the id seen most in training
        return min(ids, key=lambda cid: (not cid.startswith("D"), -self.prior[cid], cid))

    def link(self, text: str) -> Tuple[str, float, List[Tuple[str, float]]]:
        name = normalise(text)
        best = self.best_exact(name)
        if best is not None:
            return best, 1.0, [(best, 1.0)]
        loose = self.loose.get(loose_key(name))
        if loose is not None:
            return loose, 0.95, [(loose, 0.95)]
        candidates: List[Tuple[str, float]] = []
        for row, score in self.index.nearest(name, TOP_K * 3):
            cid = self.fuzzy_ids[row]
            if cid not in {c for c, _ in candidates}:
                candidates.append((cid, round(score, 4)))
        candidates = candidates[:TOP_K]
        if not candidates:
            return "", 0.0, []
        return candidates[0][0], candidates[0][1], candidates


class ConceptLinker:
    """The `linker` component: sets ent.kb_id_ ("" = NIL), ent._.kb_score
    and ent._.kb_candidates for every entity whose label the KB covers."""

    def __init__(self, nlp: Language, name: str, threshold: float) -> None:
        self.name = name
        self.threshold = threshold
        self.data: Dict = {}
        self.kbs: Dict[str, LabelKB] = {}

    def set_kb(self, data: Dict) -> None:
        self.data = data
        self.kbs = {label: LabelKB(d) for label, d in data["labels"].items()}

    def initialize(self, get_examples=None, *, nlp: Optional[Language] = None, kb_path: Optional[str] = None) -> None:
        """Load the KB file that bioner/linking/kb.py wrote (kb_path)."""
        if kb_path:
            self.set_kb(read_kb(Path(kb_path)))

    def link_text(self, text: str, label: str) -> Tuple[str, float, List[Tuple[str, float]]]:
        kb = self.kbs.get(label)
        if kb is None:
            return "", 0.0, []
        return kb.link(text)

    def __call__(self, doc: Doc) -> Doc:
        if not self.kbs or not doc.ents:
            return doc
        long_forms = {short.text: long.text for long, short in find_definitions(doc)}
        cache: Dict[Tuple[str, str], Tuple[str, float, List]] = {}
        ents = list(doc.ents)
        for ent in ents:
            key = (ent.text, ent.label_)
            if key not in cache:
                cid, score, candidates = self.link_text(ent.text, ent.label_)
                long = long_forms.get(ent.text)
                if long:  # a short form defined in this Doc means its long form, whatever else it may mean
                    lcid, lscore, lcand = self.link_text(long, ent.label_)
                    if lscore >= self.threshold:
                        cid, score, candidates = lcid, lscore, lcand
                if score < self.threshold:
                    cid = ""
                cache[key] = (cid, score, candidates)
            cid, score, candidates = cache[key]
            ent.kb_id_ = cid
            ent._.kb_score = score
            ent._.kb_candidates = candidates
        doc.ents = ents  # kb_id_ lives on the entity tokens: write the spans back
        return doc

    def to_disk(self, path, *, exclude=tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        write_kb(self.data, path / KB_FILE)
        (path / "cfg.json").write_text(json.dumps({"threshold": self.threshold}), encoding="utf8")

    def from_disk(self, path, *, exclude=tuple()) -> "ConceptLinker":
        path = Path(path)
        self.threshold = json.loads((path / "cfg.json").read_text(encoding="utf8"))["threshold"]
        self.set_kb(read_kb(path / KB_FILE))
        return self


def read_kb(path: Path) -> Dict:
    with gzip.open(path, "rt", encoding="utf8") as f:
        return json.load(f)


def write_kb(data: Dict, path: Path) -> None:
    # mtime=0: the same KB gives the same bytes (wheels and deps stay stable)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf8"))


def make_linker(nlp: Language, name: str, threshold: float) -> ConceptLinker:
    """Factory for configs: `[components.linker] factory = "bioner_linker"`."""
    return ConceptLinker(nlp, name, threshold)


_MESH_ID = re.compile(r"^[CD][0-9]+$")


def curie(kb_id: str) -> str:
    """ent.kb_id_ as the outputs write it: MeSH ids prefixed "MESH:" (as the
    BC5CDR release and PubTator do), parts of a composite joined by `|`."""
    return ID_SEP.join(f"MESH:{p}" if _MESH_ID.match(p) else p for p in kb_id.split(ID_SEP) if p)


MESH_RECORD = "https://meshb.nlm.nih.gov/record/ui?ui={}"


def record_urls(curies: Optional[str]) -> List[Optional[str]]:
    """Per id of `curies` (curie()'s output), its MeSH record page, or None."""
    return [MESH_RECORD.format(p[5:]) if p.startswith("MESH:") else None for p in (curies or "").split(ID_SEP) if p]


def concept_fields(ent: Span) -> Dict[str, object]:
    """{"id", "score"} of an entity the linker has seen (id None when NIL),
    {} when no linker ran: the fields annotate's records and serve add."""
    if not Span.has_extension("kb_candidates") or ent._.kb_candidates is None:
        return {}
    return {"id": curie(ent.kb_id_) or None, "score": round(float(ent._.kb_score), 4)}


def kb_ids(ent: Span) -> List[str]:
    """The concept ids of an entity (several for a composite mention)."""
    return [p for p in ent.kb_id_.split(ID_SEP) if p]


def split_ids(value: str) -> Iterable[str]:
    return (p for p in value.split(ID_SEP) if p and p != "-1")


# see abbreviations.py: a wheel's copy must not register the factory twice
if not Language.has_factory(FACTORY):
    Language.factory(FACTORY, default_config={"threshold": 0.5})(make_linker)
