"""Which model made an annotation: the facts `annotate` writes into every
record and report and `serve` into /v1/models and every answer.

spaCy's meta alone does not tell models apart: every training folder is
`en_pipeline` 0.0.0. So a pipeline folder is identified by the SHA-256 of
its files (the exact weights), which also goes into its version as a local
label (`0.0.0+1a2b3c4d5e6f`), and, when it is a training output of this
project, by its training stamp (`bioner.layout.TrainingDir.stamp`, beside
model-best): corpus, config and the fingerprint of config, settings and
data. An installed package (a bioner wheel) is identified by its name and
version.
"""
import hashlib
from pathlib import Path
from typing import Any, Dict, Optional, Union

import srsly
from spacy.language import Language

from .layout import TrainingDir

LABEL_CHARS = 12  # of the SHA-256 in the version's local label


def folder_sha256(folder: Path) -> str:
    """SHA-256 over the folder's files: each one's path below it and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def training_stamp(folder: Path) -> Optional[Dict[str, Any]]:
    """Corpus, config and fingerprint of the training that wrote `folder`
    (training/<corpus>/<model>/model-best: the stamp is beside it), or None."""
    for candidate in (TrainingDir(folder).stamp, TrainingDir(folder.parent).stamp):
        if candidate.is_file():
            try:
                stamp = srsly.read_json(candidate)
            except ValueError:
                return None
            overrides = stamp.get("overrides") or {}
            train = overrides.get("paths.train")
            found = {"fingerprint": stamp.get("fingerprint"), "config": stamp.get("config"),
                     "corpus": Path(str(train)).parent.name if train else None,
                     "seed": overrides.get("system.seed"),
                     "transformer": (stamp.get("transformer") or {}).get("name")}
            return {k: v for k, v in found.items() if v is not None}
    return None


def model_provenance(nlp: Language, given: Union[str, Path, None]) -> Dict[str, Any]:
    """{"name", "version", and "path", "sha256", "training" for a folder, or
    "package" for an installed package}: what the pipeline `given` (as on
    the command line) is."""
    meta = nlp.meta
    info: Dict[str, Any] = {"name": f"{nlp.lang}_{meta.get('name', 'pipeline')}",
                            "version": str(meta.get("version", "0.0.0"))}
    path = Path(str(given)) if given else None
    if path is not None and path.is_dir():
        sha = folder_sha256(path)
        info.update(version=f"{info['version']}+{sha[:LABEL_CHARS]}", path=str(path.resolve()), sha256=sha)
        stamp = training_stamp(path)
        if stamp:
            info["training"] = stamp
    elif given:
        info["package"] = str(given)
    return info


def describe(info: Dict[str, Any]) -> str:
    """One line: name, version, and the training's corpus and config."""
    line = f"{info['name']} {info['version']}"
    training = info.get("training") or {}
    if training:
        line += f" (trained on {training.get('corpus', '?')} with {training.get('config', '?')}, " \
                f"fingerprint {str(training.get('fingerprint', '?'))[:LABEL_CHARS]})"
    return line
