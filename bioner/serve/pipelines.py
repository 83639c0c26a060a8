"""The pipelines a server holds: each loaded once, at start-up, with the facts
the API reports about it (name, version, labels, F1 from its meta; its
provenance, bioner.provenance: a folder's SHA-256 and training stamp), and
the colours the web page highlights its labels with."""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

from spacy.displacy.render import DEFAULT_LABEL_COLORS
from spacy.language import Language

from ..errors import BionerError
from ..provenance import model_provenance
from ..runtime import load_pipeline

# Components whose labels are entity labels
ENTITY_FACTORIES = ("ner", "entity_ruler", "span_ruler")
# displaCy's own colours, in its order, without repeats: the palette for labels
# displaCy has no colour for (Chemical, Disease, protein ...)
PALETTE = list(dict.fromkeys(DEFAULT_LABEL_COLORS.values()))


@dataclass
class ServedModel:
    name: str
    nlp: Language
    source: str = ""  # what it was loaded from (package name or folder)
    version: str = field(init=False)  # a folder's carries its SHA-256: 0.0.0+1a2b3c4d5e6f
    provenance: Dict[str, Any] = field(init=False)
    labels: List[str] = field(init=False)
    f1: Optional[float] = field(init=False)

    def __post_init__(self) -> None:
        meta = self.nlp.meta
        self.provenance = model_provenance(self.nlp, self.source or None)
        self.version = self.provenance["version"]
        self.labels = entity_labels(self.nlp)
        # ents_f of the meta: the test F1 in a bioner wheel (scripts/package.py
        # writes it), the dev F1 spaCy records in a training folder
        f1 = (meta.get("performance") or {}).get("ents_f")
        self.f1 = float(f1) if isinstance(f1, (int, float)) else None

    def describe(self) -> Dict[str, object]:
        return {"name": self.name, "version": self.version, "labels": self.labels,
                "f1": self.f1, "source": self.source, "provenance": self.provenance}


def entity_labels(nlp: Language) -> List[str]:
    labels = set()
    for name, pipe in nlp.pipeline:
        if nlp.get_pipe_meta(name).factory in ENTITY_FACTORIES:
            labels.update(getattr(pipe, "labels", ()))
    return sorted(labels)


def model_name(nlp: Language, given: str) -> str:
    """An installed package keeps the name it was installed as; a folder gets
    `<lang>_<meta name>` (en_bioner_cnn_bc5cdr) unless spaCy's default name
    ("pipeline", a training folder) says nothing: then the folder as given."""
    if not Path(given).exists():
        return given
    name = nlp.meta.get("name")
    return f"{nlp.lang}_{name}" if name and name != "pipeline" else given


def load_models(names_or_paths: Sequence[str]) -> Dict[str, ServedModel]:
    """Load every pipeline once; {name: ServedModel}, in the order given."""
    if not names_or_paths:
        raise BionerError("no pipeline to serve: give --model NAME_OR_FOLDER (one or more)")
    models: Dict[str, ServedModel] = {}
    for given in names_or_paths:
        nlp = load_pipeline(given)
        name = model_name(nlp, str(given))
        if name in models:
            raise BionerError(f"{given}: a pipeline named {name!r} is already served "
                              f"(from {models[name].source}); give each pipeline once")
        models[name] = ServedModel(name, nlp, source=str(given))
    return models


def label_colors(labels: Iterable[str]) -> Dict[str, str]:
    """displaCy's colour for a label it knows, else the next palette colour in
    sorted label order: distinct colours, the same on every page load."""
    labels = set(labels)
    colors = {label: DEFAULT_LABEL_COLORS[label] for label in labels & set(DEFAULT_LABEL_COLORS)}
    free = [c for c in PALETTE if c not in colors.values()] or PALETTE
    for i, label in enumerate(sorted(labels - set(colors))):
        colors[label] = free[i % len(free)]
    return dict(sorted(colors.items()))
