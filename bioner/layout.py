"""Where every step reads and writes: the one place that spells the
project's paths and the file names inside a training folder.

`Layout` answers "where is X of corpus C / model M" below the project
folder; project.yml's deps and outputs spell the same paths (the tests load
project.yml with weasel and check that every command agrees). `TrainingDir`
says what a training folder holds. The product's outputs (corpus/,
training/, metrics/, packages/, reports/, annotations/) and the lab's
results (results/: tables, logs) live apart from the code.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Union

PROJECT_FILE = "project.yml"
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class CorpusDir:
    """A converted corpus's folder: one DocBin per split and its counts."""

    path: Path

    def docbin(self, split: str) -> Path:
        return self.path / f"{split}.spacy"

    @property
    def stats(self) -> Path:
        return self.path / "stats.json"


@dataclass(frozen=True)
class TrainingDir:
    """A training's output folder (bioner.training, bioner.chunks): the best
    and last models, spaCy's JSONL log, the fingerprint of what it was
    trained with, and the trained tok2vec's weights (for transfer)."""

    path: Path

    @property
    def model_best(self) -> Path:
        return self.path / "model-best"

    @property
    def model_last(self) -> Path:
        return self.path / "model-last"

    @property
    def log(self) -> Path:
        return self.path / "training_log.jsonl"

    @property
    def stamp(self) -> Path:
        return self.path / "bioner_fingerprint.json"

    @property
    def tok2vec(self) -> Path:
        """What `paths.init_tok2vec` of another training loads."""
        return self.path / "tok2vec.bin"

    @property
    def partial(self) -> "TrainingDir":
        """Where a training writes until it is complete (then it replaces `path`)."""
        return TrainingDir(self.path.with_name(f".{self.path.name}.partial"))

    def chunk(self, index: int) -> "TrainingDir":
        """Chunk `index` of a training in chunks (bioner.chunks)."""
        return TrainingDir(self.path.with_name(f"{self.path.name}.chunks") / f"chunk-{index}")

    def chunk_config(self, index: int) -> Path:
        return self.chunk(index).path.with_name(f"chunk-{index}.cfg")

    @property
    def model_linked(self) -> Path:
        """model-best with the concept linker added (bioner.linking.attach)."""
        return self.path / "model-linked"

    @property
    def is_training(self) -> bool:
        """Whether the folder is a training output of this project (it has a fingerprint)."""
        return self.stamp.exists()


@dataclass(frozen=True)
class Layout:
    """Every path of the project, below the project folder `root`."""

    root: Path = Path(".")

    @property
    def project_file(self) -> Path:
        return self.root / PROJECT_FILE

    # product: fetched files, converted corpora, trainings, metrics, wheels, reports
    def assets(self, corpus: str) -> Path:
        return self.root / "assets" / corpus

    def asset(self, corpus: str, split: str, suffix: str) -> Path:
        return self.assets(corpus) / f"{split}{suffix}"

    @property
    def corpora_dir(self) -> Path:
        return self.root / "corpus"

    def corpus(self, corpus: str) -> Path:
        return self.corpora_dir / corpus

    def corpus_dir(self, corpus: str) -> CorpusDir:
        return CorpusDir(self.corpus(corpus))

    def docbin(self, corpus: str, split: str) -> Path:
        return self.corpus_dir(corpus).docbin(split)

    def stats(self, corpus: str) -> Path:
        return self.corpus_dir(corpus).stats

    def train_dev_corpus(self, corpus: str) -> CorpusDir:
        """A corpus folder whose train split is train + dev (final trainings)."""
        return CorpusDir(self.corpus(corpus) / "train_dev")

    # concept linking: the vocabulary wheel, a corpus's KB
    @property
    def vocab_dir(self) -> Path:
        return self.root / "assets" / "vocab"

    def kb(self, corpus: str, train_only: bool = False) -> Path:
        """The KB with the train+dev gold names (shipped), or with train's
        only (to choose the NIL threshold on dev without dev's own names)."""
        return self.corpus(corpus) / ("kb-train.json.gz" if train_only else "kb.json.gz")

    def training(self, corpus: str, model: str) -> Path:
        return self.root / "training" / corpus / model

    def training_dir(self, corpus: str, model: str) -> TrainingDir:
        return TrainingDir(self.training(corpus, model))

    def model_best(self, corpus: str, model: str) -> Path:
        return self.training_dir(corpus, model).model_best

    def model_linked(self, corpus: str, model: str) -> Path:
        return self.training_dir(corpus, model).model_linked

    def metrics(self, corpus: str, model: str) -> Path:
        return self.root / "metrics" / corpus / f"{model}.json"

    def predictions(self, corpus: str, model: str) -> Path:
        return predictions_path(self.metrics(corpus, model))

    def link_figures(self, corpus: str, model: str) -> Path:
        """The linker's dev figures (threshold chosen, concept scores)."""
        return self.root / "metrics" / corpus / f"{model}.link-dev.json"

    def package_check(self, corpus: str, model: str) -> Path:
        return self.root / "metrics" / corpus / f"{model}.package-check.json"

    def packages(self, corpus: str, model: str) -> Path:
        return self.root / "packages" / corpus / model

    def report(self, corpus: str) -> Path:
        return self.root / "reports" / corpus

    def annotations(self, corpus: str, model: str) -> Path:
        return self.root / "annotations" / corpus / model

    @property
    def configs(self) -> Path:
        return self.root / "configs"

    def config(self, model: str) -> Path:
        return self.configs / f"{model}.cfg"

    # in-domain text (bioner.text) and what is trained on it
    @property
    def text_dir(self) -> Path:
        return self.corpora_dir / "text"

    @property
    def text_file(self) -> Path:
        return self.text_dir / "sentences.txt"

    @property
    def text_docbin(self) -> Path:
        """A folder of DocBins (parts), read by spaCy as one corpus."""
        return self.text_dir / "text.spacy"

    @property
    def text_report(self) -> Path:
        return self.text_dir / "report.json"

    def text_asset(self, file: str) -> Path:
        """A fetched text source (vars.text_sources): assets/text/<file>."""
        return self.root / "assets" / "text" / file

    @property
    def vectors(self) -> Path:
        return self.text_dir / "vectors"

    @property
    def pretrain_dir(self) -> Path:
        """`spacy pretrain` of the CNN's tok2vec on the in-domain text."""
        return self.root / "training" / "text" / "pretrain_cnn"

    @property
    def pretrained_weights(self) -> Path:
        return self.pretrain_dir / "model-last.bin"

    # lab: levers, tuning and the benchmark's tables and logs (results/)
    @property
    def results(self) -> Path:
        return self.root / "results"

    def results_table(self, suffix: str) -> Path:
        """The benchmark's table: results.json, results.md."""
        return self.results / f"results{suffix}"

    @property
    def lever_results(self) -> Path:
        """One <corpus>.json per corpus and their tables (README.md)."""
        return self.results / "levers"

    @property
    def lever_tables(self) -> Path:
        """The markdown tables of every corpus's lever runs."""
        return self.lever_results / "README.md"

    def lever_run(self, corpus: str, run: str) -> TrainingDir:
        """A lever's training for one seed, e.g. run 'cnn_floret+train_dev-seed1'."""
        return TrainingDir(self.training(corpus, "levers") / run)

    def lever_metrics(self, corpus: str, run: str) -> Path:
        return self.root / "metrics" / corpus / "levers" / f"{run}.json"

    def lab_log(self, kind: str, name: str) -> Path:
        """The log of one lab run (kind: levers, tune, ...)."""
        return self.results / "logs" / kind / name

    def tune_dir(self, corpus: str, model: str) -> Path:
        """Trials and study of a hyper-parameter search (benchmarks.tuning)."""
        return self.training(corpus, "tune") / model

    def tune_trial(self, corpus: str, model: str, number: int) -> TrainingDir:
        return TrainingDir(self.tune_dir(corpus, model) / f"trial-{number}")

    def tune_study(self, corpus: str, model: str) -> Path:
        return self.tune_dir(corpus, model) / "study.db"

    def tune_results(self, corpus: str, model: str, suffix: str) -> Path:
        return self.results / "tune" / f"{corpus}_{model}{suffix}"

    def tuned_config(self, corpus: str, model: str) -> Path:
        return self.config(f"{model}_tuned_{corpus}")

    def arch_speed(self, corpus: str, suffix: str) -> Path:
        return self.results / "arch_speed" / f"{corpus}{suffix}"

    def hf_baseline(self, corpus: str) -> Path:
        return self.results / "hf_baseline" / f"{corpus}.json"

    def memory(self, corpus: str, model: str) -> Path:
        return self.results / "memory" / f"{corpus}_{model}.json"

    @property
    def serve_results(self) -> Path:
        """serve-load's load.json/load.md, the browser test's screenshot."""
        return self.results / "serve"

    @property
    def annotate_results(self) -> Path:
        return self.results / "annotate"


def predictions_path(metrics_path: Union[str, Path]) -> Path:
    """The predicted Docs beside a metrics file: <model>.predictions.spacy."""
    return Path(metrics_path).with_suffix(".predictions.spacy")
