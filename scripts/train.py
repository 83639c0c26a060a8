"""Train configs/<model>.cfg on a corpus with spaCy's trainer (bioner.training):
GPU when there is one, transformer weights and budget from project.yml's
vars.transformers, atomic output, and no retraining of an unchanged model."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import run_cli
from bioner.layout import PROJECT_FILE
from bioner.training import TrainRequest, choose_transformer, parse_settings
from bioner.training import train as train_request


def train(
    config_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Training config"),
    output_dir: Path = typer.Argument(..., help="Folder for model-best/, model-last/ and the log"),
    corpus_dir: Path = typer.Option(..., help="Folder with train.spacy and dev.spacy"),
    gpu: str = typer.Option("auto", help="'auto', a GPU id, or -1 for the CPU"),
    transformer: str = typer.Option(
        "scibert", help="A key of vars.transformers in project.yml, or a HF name / local folder"
    ),
    transformer_lowercase: str = typer.Option(
        "false", help="true/false: lower-case input for an HF name / folder (uncased models only)"
    ),
    max_steps: int = typer.Option(0, help="Override training.max_steps (0: the transformer's budget or the config's)"),
    eval_frequency: int = typer.Option(0, help="Override training.eval_frequency (0: keep)"),
    overrides: str = typer.Option(
        "", "--overrides", help="More config settings: 'training.dropout=0.2 training.batcher.size=800'"
    ),
    seed: Optional[int] = typer.Option(None, help="Random seed (system.seed; default: the config's)"),
    chunk_steps: int = typer.Option(0, help="Train in saved chunks of this many steps; a re-run continues (0: one run)"),
    project_file: Path = typer.Option(Path(PROJECT_FILE), help="project.yml with vars.transformers"),
) -> None:
    """Train CONFIG_PATH into OUTPUT_DIR with spaCy's trainer."""
    choice = choose_transformer(transformer, project_file, transformer_lowercase.lower() in ("true", "1", "yes"))
    train_request(TrainRequest(config_path, output_dir, corpus_dir, gpu, choice, max_steps, eval_frequency,
                               parse_settings(overrides), seed, chunk_steps))


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(train, argv)


if __name__ == "__main__":
    sys.exit(main())
