"""`spacy pretrain` of a config's tok2vec on the in-domain text (a DocBin or
a folder of them, corpus/text/text.spacy), into a folder that is replaced only when the run
is complete: spaCy's own loop saves model-last.bin even when interrupted,
and a half-trained file must not pass for a finished one. The lever
`cnn_pretrain` (vars.levers) reads model-last.bin through paths.init_tok2vec."""
import sys
from pathlib import Path
from typing import List, Optional

import typer
from spacy.training.pretrain import pretrain as spacy_pretrain
from spacy.util import load_config

from bioner.console import good, run_cli
from bioner.errors import BionerError
from bioner.io import atomic_path
from bioner.runtime import resolve_gpu


def pretrain(
    config_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Config with a [pretraining] block"),
    output_dir: Path = typer.Argument(..., help="Folder for model<epoch>.bin, model-last.bin and log.jsonl"),
    text: Path = typer.Option(..., help="DocBin of raw text, or a folder of them (corpus/text/text.spacy)"),
    epochs: int = typer.Option(1, help="Passes over the text"),
    gpu: str = typer.Option("auto", help="'auto', a GPU id, or -1 for the CPU"),
) -> None:
    """Pretrain the tok2vec of CONFIG_PATH (characters objective) on TEXT."""
    if not text.exists():
        raise BionerError(f"{text}: not found. Build the in-domain text first: weasel run text .")
    if epochs < 1:
        raise BionerError(f"--epochs must be 1 or more, not {epochs}")
    config = load_config(config_path, overrides={"pretraining.max_epochs": epochs}, interpolate=False)
    if not config.get("pretraining"):
        raise BionerError(f"{config_path}: no [pretraining] block; see configs/cnn.cfg")
    # only here: in the training config an unset reader path would stop `spacy train`
    config["corpora"]["pretrain"] = {"@readers": "spacy.Corpus.v1", "path": str(text), "max_length": 0,
                                     "gold_preproc": False, "limit": 0, "augmenter": None}
    gpu_id = resolve_gpu(gpu, "Pretraining")
    with atomic_path(output_dir) as tmp:
        tmp.mkdir()
        spacy_pretrain(config.interpolate(), tmp, use_gpu=gpu_id, silent=False)  # as spaCy's CLI passes it
    good(f"Saved {output_dir}/model-last.bin")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(pretrain, argv)


if __name__ == "__main__":
    sys.exit(main())
