"""Put the linker into a trained pipeline: after `ner` (and `abbreviations`),
with the corpus's KB, its NIL threshold chosen on dev (concept F1 of the
pipeline's own entities), saved as a new pipeline folder (model-linked) that
`spacy package` ships with the KB inside."""
from pathlib import Path
from typing import Dict, List, Optional

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Corpus

from ..components.linker import FACTORY, ConceptLinker, read_kb
from ..errors import BionerError
from ..evaluation.linking import accuracy_at_1, choose_threshold, concept_scores, link_gold_mentions
from ..io import atomic_path

NAME = "linker"


def add_linker(nlp: Language, kb: Dict, threshold: float = 0.0) -> ConceptLinker:
    """Add (or replace) the linker, last in the pipeline, with `kb` loaded."""
    if NAME in nlp.pipe_names:
        nlp.remove_pipe(NAME)
    linker = nlp.add_pipe(FACTORY, name=NAME, last=True, config={"threshold": threshold})
    missing = [lb for lb in nlp.get_pipe("ner").labels if lb not in kb["labels"]] if "ner" in nlp.pipe_names else []
    if len(missing) == len(getattr(nlp.get_pipe("ner"), "labels", [])) and missing:
        raise BionerError(f"the KB has no concepts for any label of the pipeline ({', '.join(missing)}); "
                          f"its labels: {', '.join(kb['labels'])}. Build the KB for this corpus.")
    linker.set_kb(kb)
    return linker


def gold_docs(nlp: Language, path: Path) -> List[Doc]:
    docs = [eg.reference for eg in Corpus(path)(nlp)]
    if not docs:
        raise BionerError(f"{path}: no documents. Run the convert step again.")
    return docs


def attach(nlp: Language, kb_path: Path, dev_path: Path, dev_kb_path: Path, output: Optional[Path] = None) -> Dict:
    """Add the linker with the KB `kb_path` to `nlp`, save to `output`
    (atomically) and return the dev figures. The threshold is chosen on
    `dev_path` with `dev_kb_path`, a KB without dev's gold names: with
    them, dev would be linked by its own answers."""
    linker = add_linker(nlp, read_kb(dev_kb_path), threshold=0.0)
    gold = gold_docs(nlp, dev_path)
    predicted = list(nlp.pipe(doc.text for doc in gold))
    threshold, _ = choose_threshold(gold, predicted)
    linker.threshold = threshold
    figures = {"threshold": threshold, "dev_kb": str(dev_kb_path), "kb": str(kb_path),
               "dev_concepts": concept_scores(gold, predicted, threshold),
               "dev_accuracy_at_1": accuracy_at_1(link_gold_mentions(linker, gold)),
               "dev_accuracy_at_1_no_nil": accuracy_at_1(link_gold_mentions(linker, gold, threshold=0.0))}
    linker.set_kb(read_kb(kb_path))
    if output is not None:
        with atomic_path(Path(output)) as tmp:
            nlp.to_disk(tmp)
    return figures
