"""Static subword vectors for the in-domain text: floret (fastText with
hashed subwords, so every word, unseen ones too, gets a vector from a
table of `bucket` rows), turned into a spaCy vectors folder by
`spacy init vectors --mode floret`. The pipeline reads them through
[initialize.vectors] and `include_static_vectors`, and `spacy package` puts
them inside the wheel (they live in the pipeline's vocab)."""
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import srsly

from .errors import BionerError
from .io import atomic_path


@dataclass(frozen=True)
class FloretSettings:
    dim: int = 200
    minn: int = 4
    maxn: int = 5
    bucket: int = 50_000
    hash_count: int = 2
    epoch: int = 5
    min_count: int = 3
    model: str = "skipgram"
    threads: int = 2


def train_vectors(text_file: Path, output: Path, settings: FloretSettings, lang: str = "en") -> None:
    """Train floret on `text_file` (one sentence a line, tokens split by
    spaces) and write a spaCy vectors pipeline folder to `output`, all or nothing."""
    import floret

    text_file = Path(text_file)
    if not text_file.is_file() or text_file.stat().st_size == 0:
        raise BionerError(f"{text_file}: no text to train vectors on. Build it first: weasel run text .")
    with atomic_path(Path(output)) as target, tempfile.TemporaryDirectory() as scratch:
        model = floret.train_unsupervised(
            str(text_file), model=settings.model, mode="floret", dim=settings.dim, minn=settings.minn,
            maxn=settings.maxn, bucket=settings.bucket, hashCount=settings.hash_count, epoch=settings.epoch,
            minCount=settings.min_count, thread=settings.threads, verbose=1)
        table = Path(scratch) / "vectors.floret"
        model.save_floret_vectors(str(table))
        cmd = [sys.executable, "-m", "spacy", "init", "vectors", lang, str(table), str(target), "--mode", "floret"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise BionerError(f"spacy init vectors failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        srsly.write_json(target / "floret.json", {**asdict(settings), "words": len(model.words), "text": str(text_file)})
