"""Build a report a person can read from the evaluation outputs on disk: no
model is loaded and nothing is retrained, so it runs in seconds.

    corpus/<corpus>/test.spacy                    gold Docs
    corpus/<corpus>/stats.json                    corpus counts (optional)
    metrics/<corpus>/<model>.json                 scores, speed (scripts/evaluate.py)
    metrics/<corpus>/<model>.predictions.spacy    predicted Docs, same texts
    training/<corpus>/<model>/training_log.jsonl  training curves (optional)
 -> reports/<corpus>/
    report.md             per-type P/R/F1 and support per model, micro and
                          macro averages, published numbers beside ours,
                          error taxonomy, exact vs partial matching
    per_type_f1.png       per-type F1 bars per model
    training_curves.png   loss and dev F1 per step
    confusion_<model>.png gold type vs predicted type, with "none"
    examples.html         displaCy renderings, sentences with errors first
    summary.json          the scores and taxonomy counts, for scripts

Every model with a metrics JSON *and* a predictions file beside it is
reported. The whole folder is written atomically.
"""
import html
import math
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import srsly
import typer
from spacy import displacy
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab
from wasabi import msg

from .common import BionerError, atomic_path, corpus_facts, run_cli
from .evaluate import predictions_path
from bioner.evaluation.taxonomy import (
    CATEGORIES,
    CATEGORY_NAMES,
    EXACT,
    MISSED,
    SPURIOUS,
    Counts,
    Ent,
    Outcome,
    by_category,
    check_aligned,
    confusion,
    ents_of,
    match_entities,
    project,
    scores,
    taxonomy,
)

# Published entity-level exact-match micro F1 on the test split, and the
# project's own orientation baselines: (system, F1, source). Not strictly
# comparable with each other or with us: preprocessing, tokenisation and
# document grouping differ.
SCISPACY_DOCS = "scispaCy 0.5.4 model docs (allenai.github.io/scispacy)"
SCISPACY_PAPER = "Neumann et al. 2019, ScispaCy (BioNLP workshop), paper"
STANZA = "Zhang et al. 2021, Stanza biomedical and clinical models (JAMIA)"
BINDER = "Zhang et al. 2023, BINDER (ICLR)"
OURS_2CPU = "this project, orientation baseline on 2 CPU cores"
QUICKSTART = "spaCy quickstart NER (efficiency, no vectors)"
ANCHORS: Dict[str, List[Tuple[str, float, str]]] = {
    "jnlpba": [
        ("scispaCy en_ner_jnlpba_md", 72.06, SCISPACY_DOCS),
        ("scispaCy", 73.21, SCISPACY_PAPER),
        ("Stanza biomedical", 76.09, STANZA),
        ("SciBERT + CRF", 77.28, "Beltagy et al. 2019, SciBERT (EMNLP), paper"),
        ("BioBERT", 77.49, "Lee et al. 2020, BioBERT (Bioinformatics)"),
        ("BINDER", 80.3, BINDER),
        (QUICKSTART, 66.52, OURS_2CPU),
    ],
    "bc5cdr": [
        ("scispaCy en_ner_bc5cdr_md", 84.28, SCISPACY_DOCS),
        ("scispaCy", 83.92, SCISPACY_PAPER),
        ("Stanza biomedical", 88.08, STANZA),
        ("BINDER", 91.9, BINDER),
        (QUICKSTART, 78.00, OURS_2CPU),
        ("HF fine-tune, MiniLM-L6 stand-in", 76.92, OURS_2CPU),
    ],
}

# displaCy's own pastel colours, assigned to the entity types in sorted order
PALETTE = ["#7aecec", "#feca74", "#aa9cfc", "#bfeeb7", "#ff9561", "#c887fb",
           "#9cc9cc", "#ffeb80", "#ff8197", "#e4e7d2", "#bfe1d9", "#dddddd"]


def read_docs(path: Path, vocab: Vocab) -> List[Doc]:
    return list(DocBin().from_disk(path).get_docs(vocab))


def find_models(metrics_dir: Path) -> List[str]:
    """Models with a metrics JSON and a predictions file beside it."""
    return sorted(p.stem for p in metrics_dir.glob("*.json") if predictions_path(p).exists())


def read_training_log(path: Path) -> List[Dict[str, Any]]:
    """Rows of a ConsoleLogger.v3 JSONL log: step, mean loss per step and
    component since the previous evaluation (the logger sums them), dev F1."""
    rows, prev_step = [], None
    for line in srsly.read_jsonl(path):
        step = int(line["step"])
        n_steps = max(step - prev_step, 1) if prev_step is not None else 1
        prev_step = step
        scores_ = line.get("scores", {})
        # the logger writes scores x 100; "score" is the weighted 0-1 score
        dev_f = scores_["ents_f"] if "ents_f" in scores_ else 100 * float(line["score"])
        losses = {k: float(v) / n_steps for k, v in line.get("losses", {}).items()}
        rows.append({"step": step, "epoch": line.get("epoch"), "losses": losses, "dev_f": float(dev_f)})
    return rows


def pct(x: float) -> str:
    return f"{100 * x:.2f}"


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]], aligns: Optional[str] = None) -> str:
    aligns = aligns or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in aligns]
    lines = [header, rule] + [[str(c) for c in row] for row in rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


# ---------------------------------------------------------------------------
# Plots


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_per_type_f1(results: Dict[str, Dict[str, Any]], labels: Sequence[str], path: Path) -> None:
    """Grouped bars: exact-match F1 per type (most frequent first), then micro
    and macro, one bar per model."""
    plt = _pyplot()
    models = list(results)
    first = results[models[0]]["exact"]
    groups = list(labels) + ["micro", "macro"]
    ticks = [f"{lb}\n(n={first['per_type'].get(lb, {}).get('support', 0):,})" for lb in labels] + ["micro", "macro"]
    width = 0.8 / max(len(models), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(groups) * max(1, len(models)) ** 0.5 + 2), 4.5))
    cmap = plt.get_cmap("tab10")
    for i, model in enumerate(models):
        ex = results[model]["exact"]
        values = [ex["per_type"].get(lb, {}).get("f", 0.0) * 100 for lb in labels]
        values += [ex["micro"]["f"] * 100, ex["macro"]["f"] * 100]
        xs = [j + (i - (len(models) - 1) / 2) * width for j in range(len(groups))]
        bars = ax.bar(xs, values, width, label=model, color=cmap(i % 10))
        ax.bar_label(bars, labels=[f"{v:.1f}" for v in values], fontsize=7, padding=2)
    ax.axvline(len(labels) - 0.5, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xticks(range(len(groups)), ticks, fontsize=8)
    ax.set_ylabel("F1 (exact match, %)")
    ax.set_ylim(0, 105)
    ax.set_title("Test F1 per entity type (n = gold entities)")
    ax.legend(title="model", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_training_curves(logs: Dict[str, List[Dict[str, Any]]], path: Path) -> None:
    """Mean training loss per step and dev F1 against the step, per model."""
    plt = _pyplot()
    fig, (ax_loss, ax_f) = plt.subplots(1, 2, figsize=(11, 4))
    cmap = plt.get_cmap("tab10")
    styles = ["-", "--", ":", "-."]
    any_loss = False
    for i, (model, rows) in enumerate(logs.items()):
        steps = [r["step"] for r in rows]
        components = sorted({c for r in rows for c, v in r["losses"].items() if v > 0})
        for j, comp in enumerate(components):
            # the first evaluation (step 0) covers one update: skip it
            pts = [(r["step"], r["losses"].get(comp, 0.0)) for r in rows if r["step"] > 0]
            pts = [(s, v) for s, v in pts if v > 0]
            if pts:
                any_loss = True
                ax_loss.plot(*zip(*pts), styles[j % 4], color=cmap(i % 10), label=f"{model}: {comp}", marker=".", markersize=3)
        dev = [r["dev_f"] for r in rows]
        best = max(range(len(dev)), key=lambda k: (dev[k], -steps[k]))
        label = f"{model} (best {dev[best]:.2f} at step {steps[best]:,})"
        ax_f.plot(steps, dev, color=cmap(i % 10), label=label, marker=".", markersize=3)
        ax_f.plot([steps[best]], [dev[best]], "o", color=cmap(i % 10), markersize=8, markerfacecolor="none")
    if not logs:
        for ax in (ax_loss, ax_f):
            ax.text(0.5, 0.5, "no training_log.jsonl found", ha="center", va="center", transform=ax.transAxes)
    if any_loss:
        ax_loss.set_yscale("log")
        ax_loss.legend(fontsize=8)
    if logs:
        ax_f.legend(fontsize=8, loc="lower right")
    ax_loss.set_title("Training loss (mean per step since the previous evaluation)", fontsize=10)
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss")
    ax_f.set_title("Dev F1 at each evaluation (circle: best, saved as model-best)", fontsize=10)
    ax_f.set_xlabel("step")
    ax_f.set_ylabel("dev F1 (%)")
    for ax in (ax_loss, ax_f):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_confusion(counts: Counts, model: str, labels: Sequence[str], path: Path) -> None:
    """Heat map of gold type (rows) vs predicted type (columns), coloured by
    the share of the row, with the counts written in."""
    plt = _pyplot()
    axis, matrix = confusion(counts, labels)
    n = len(axis)
    shares = [[v / (sum(row) or 1) for v in row] for row in matrix]
    shares[-1][-1] = 0.0
    fig, ax = plt.subplots(figsize=(1.0 * n + 2.5, 0.8 * n + 2))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            if i == n - 1 and j == n - 1:
                ax.text(j, i, "–", ha="center", va="center", color="grey")
                continue
            color = "white" if shares[i][j] > 0.6 else "black"
            ax.text(j, i, f"{matrix[i][j]:,}", ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(range(n), axis, rotation=45, ha="right")
    ax.set_yticks(range(n), axis)
    ax.set_xlabel("predicted type (none: missed)")
    ax.set_ylabel("gold type (none: spurious)")
    ax.set_title(f"{model}: gold vs predicted type of the paired entities", fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the gold row")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------------------
# Examples


def _describe(doc: Doc, o: Outcome) -> str:
    def span(e: Ent) -> str:
        return f"<q>{html.escape(doc.text[e.start_char:e.end_char])}</q> <small>{html.escape(e.label)}</small>"

    if o.category == MISSED:
        return f'<span class="cat">missed</span> {span(o.gold)}'
    if o.category == SPURIOUS:
        return f'<span class="cat">spurious</span> {span(o.pred)}'
    return f'<span class="cat">{CATEGORY_NAMES[o.category]}</span>: gold {span(o.gold)} &rarr; predicted {span(o.pred)}'


def _render(doc: Doc, sent_start: int, sent_end: int, ents: Sequence[Ent], colors: Dict[str, str]) -> str:
    sent = doc[sent_start:sent_end]
    base, end = sent.start_char, sent.end_char
    items = [{"start": e.start_char - base, "end": min(e.end_char, end) - base, "label": e.label} for e in ents]
    return displacy.render(
        {"text": sent.text, "ents": items, "title": None},
        style="ent", manual=True, page=False, jupyter=False, options={"colors": colors},
    )


def examples_html(
    corpus: str,
    gold_docs: Sequence[Doc],
    preds: Dict[str, Sequence[Doc]],
    labels: Sequence[str],
    n_examples: int = 40,
    seed: int = 0,
) -> str:
    """A page of test sentences, gold and each model's entities side by side:
    a random sample (fixed seed) of sentences where some model errs, then a
    few where all are right; sentences without any entity are left out."""
    colors = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(sorted(labels))}
    sentences = []  # (has_error, doc index, start, end, gold ents, {model: [outcomes]})
    for i, gold_doc in enumerate(gold_docs):
        for sent in gold_doc.sents:
            # by first token: predictions know no sentence boundaries and may cross one
            inside = lambda ents: [e for e in ents if sent.start <= e.start < sent.end]  # noqa: E731
            gold = inside(ents_of(gold_doc))
            outcomes = {m: match_entities(gold, inside(project(docs[i], gold_doc))) for m, docs in preds.items()}
            if not gold and not any(outcomes.values()):
                continue
            has_error = any(o.category != EXACT for os_ in outcomes.values() for o in os_)
            sentences.append((has_error, i, sent.start, sent.end, gold, outcomes))
    rng = random.Random(seed)
    wrong = [s for s in sentences if s[0]]
    right = [s for s in sentences if not s[0]]
    n_right = min(len(right), max(n_examples // 5, n_examples - len(wrong)))
    n_wrong = min(len(wrong), n_examples - n_right)
    chosen = sorted(rng.sample(wrong, n_wrong), key=lambda s: s[1:3]) + sorted(rng.sample(right, n_right), key=lambda s: s[1:3])
    legend = " ".join(
        f'<span class="chip" style="background:{colors[lb]}">{html.escape(lb)}</span>' for lb in labels
    )
    columns = ["gold"] + list(preds)
    blocks = []
    for k, (has_error, i, start, end, gold, outcomes) in enumerate(chosen, 1):
        gold_doc = gold_docs[i]
        cells = [_render(gold_doc, start, end, gold, colors)]
        for model in preds:
            pred = sorted(o.pred for o in outcomes[model] if o.pred)
            cells.append(_render(gold_doc, start, end, pred, colors))
        errors = []
        for model, os_ in outcomes.items():
            wrong_ = [o for o in os_ if o.category != EXACT]
            if wrong_:
                items = "".join(f"<li>{_describe(gold_doc, o)}</li>" for o in wrong_)
                errors.append(f'<div class="errors"><b>{html.escape(model)}</b><ul>{items}</ul></div>')
            else:
                errors.append(f'<div class="errors"><b>{html.escape(model)}</b>: all entities right</div>')
        status = "errors" if has_error else "all right"
        blocks.append(
            f'<section class="{"bad" if has_error else "good"}"><h3>#{k} &middot; doc {i}, tokens {start}&ndash;{end} '
            f'&middot; {status}</h3><div class="grid" style="grid-template-columns: repeat({len(columns)}, 1fr)">'
            + "".join(f'<div class="col"><div class="name">{html.escape(c)}</div>{cell}</div>' for c, cell in zip(columns, cells))
            + "</div>" + "".join(errors) + "</section>"
        )
    n_wrong_all = len(wrong)
    per_model = ", ".join(
        f"{html.escape(m)} {sum(any(o.category != EXACT for o in s[5][m]) for s in sentences):,}" for m in preds
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bioner examples: {html.escape(corpus)}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1.5em 2em; color: #222; }}
section {{ border: 1px solid #ddd; border-left: 6px solid #c33; border-radius: 4px; margin: 1.2em 0; padding: 0.4em 1em 0.8em; }}
section.good {{ border-left-color: #3a3; }}
h3 {{ font-size: 0.95em; color: #555; font-weight: normal; margin: 0.3em 0; }}
.grid {{ display: grid; gap: 1em; }}
.col {{ background: #fafafa; border-radius: 4px; padding: 0 0.6em; min-width: 0; }}
.col .entities {{ line-height: 2.2 !important; font-size: 15px; }}
.name {{ font-weight: bold; font-size: 0.9em; color: #444; padding-top: 0.5em; }}
.cat {{ font-weight: bold; }}
.chip {{ padding: 0.2em 0.5em; border-radius: 0.3em; font-weight: bold; font-size: 0.85em; margin-right: 0.3em; }}
.errors {{ font-size: 0.85em; margin-top: 0.5em; }}
.errors ul {{ margin: 0.2em 0; }}
q {{ background: #eee; padding: 0 0.2em; }}
</style></head><body>
<h1>{html.escape(corpus)}: test sentences, gold vs predicted entities</h1>
<p>Entity types: {legend}</p>
<p>{len(chosen)} of {len(sentences):,} test sentences with entities; {n_wrong} of the {n_wrong_all:,} where some model
makes an error (red), then {n_right} where every model is right (green). Sampled at random (seed {seed}).
Sentences with an error, per model: {per_model}.
Columns: the gold annotation, then each model's prediction. Under each sentence, the errors per model
(categories as in report.md).</p>
{"".join(blocks)}
</body></html>
"""


# ---------------------------------------------------------------------------
# Report


def build_markdown(
    corpus: str,
    title: str,
    results: Dict[str, Dict[str, Any]],
    labels: Sequence[str],
    stats: Optional[Dict[str, Any]],
    logs: Dict[str, List[Dict[str, Any]]],
    warnings: Sequence[str],
) -> str:
    models = list(results)
    out = [f"# Evaluation report: {title}", ""]
    test = (stats or {}).get("splits", {}).get("test")
    if test:
        out += (
            f"Test split: {test['documents']:,} documents, {test['sentences']:,} sentences, "
            f"{test['tokens']:,} tokens, {test['entities']:,} entities.", ""
        )
    out += [
        "Entity-level scores on the test split. **Exact** match: a prediction counts only with the same start, "
        "end and type as a gold entity. Each pipeline tokenises the text itself; as in spaCy's NER scorer, a "
        "predicted entity is mapped onto the gold tokens it touches, so the exact scores equal those of "
        "`scripts/evaluate.py`. Models: "
        + ", ".join(f"`{m}`" for m in models) + ".", ""
    ]
    for w in warnings:
        out += [f"> **Warning:** {w}", ""]
    out += ["## Overall", ""]
    rows = []
    for m in models:
        r = results[m]
        ex, pa, met = r["exact"], r["partial"], r["metrics"]
        speed = f"{met['speed']:,.0f}" if isinstance(met.get("speed"), (int, float)) else "?"
        best = ""
        if logs.get(m):
            b = max(logs[m], key=lambda row: (row["dev_f"], -row["step"]))
            best = f"{b['dev_f']:.2f} @ {b['step']:,}"
        rows.append([f"`{m}`", pct(ex["micro"]["p"]), pct(ex["micro"]["r"]), f"**{pct(ex['micro']['f'])}**",
                     pct(ex["macro"]["f"]), pct(pa["micro"]["f"]), best or "n/a", speed, met.get("device", "?")])
    out += [md_table(["model", "P", "R", "F1 (micro)", "F1 (macro)", "F1 (partial)", "best dev F1 @ step",
                      "words/s", "device"], rows, "lrrrrrrrl"), ""]
    out += ["Macro: unweighted mean over the entity types. Partial: a prediction overlapping a gold entity of "
            "the same type counts (see the error taxonomy). Words/s: `nlp.pipe` over the test texts in the evaluate step, on the device shown.", ""]

    out += ["## Published numbers beside ours", ""]
    anchors = ANCHORS.get(corpus.lower(), [])
    if anchors:
        entries = [(f1, system, source) for system, f1, source in anchors]
        entries += [(100 * results[m]["exact"]["micro"]["f"], f"**{m} (this report)**", "this project, test split")
                    for m in models]
        entries.sort(key=lambda e: -e[0])
        out += [md_table(["system", "test F1", "source"],
                         [[s, f"**{f:.2f}**" if "this report" in s else f"{f:.2f}", src] for f, s, src in entries],
                         "lrl"), ""]
        out += ["Entity-level exact-match micro F1 on the test split. Published numbers come from other "
                "preprocessing (tokenisation, sentence/document grouping, corpus version), so they orient "
                "rather than rank exactly.", ""]
    else:
        out += [f"No published numbers recorded for `{corpus}` (see `ANCHORS` in scripts/report.py).", ""]

    out += ["## Per entity type (exact match)", ""]
    header = ["type", "support"] + [f"{m} {k}" for m in models for k in ("P", "R", "F1")]
    first = results[models[0]]["exact"]
    rows = []
    for lb in labels:
        row = [lb, f"{first['per_type'].get(lb, {}).get('support', 0):,}"]
        for m in models:
            s = results[m]["exact"]["per_type"].get(lb, {"p": 0.0, "r": 0.0, "f": 0.0})
            row += [pct(s["p"]), pct(s["r"]), f"**{pct(s['f'])}**"]
        rows.append(row)
    for avg in ("micro", "macro"):
        row = [f"*{avg}*", f"{first['support']:,}" if avg == "micro" else ""]
        for m in models:
            s = results[m]["exact"][avg]
            row += [pct(s["p"]), pct(s["r"]), f"**{pct(s['f'])}**"]
        rows.append(row)
    out += [md_table(header, rows), "", "Support: gold entities of the type in the test split.", "",
            "![Per-type F1](per_type_f1.png)", ""]

    out += ["## Error taxonomy", ""]
    out += [
        "Every gold and every predicted entity falls in exactly one category. Overlap means sharing a token.",
        "",
        "- **exact match**: same start, end and type;",
        "- **right span, wrong type**: same start and end, other type;",
        "- **boundary error**: overlapping, same type, other start or end;",
        "- **boundary + type error**: overlapping, other type and other start or end;",
        "- **missed**: a gold entity left without a partner (no overlapping prediction, or only ones already "
        "paired with another gold entity);",
        "- **spurious**: a prediction left without a partner, likewise.",
        "",
        "One-to-many overlaps: overlapping pairs are taken greedily, in the order of the categories above, then "
        "by larger overlap, then by position; a pair is taken only if neither entity is paired yet. Rows are gold "
        "types; a spurious prediction is counted in the row of its predicted type. Shares in parentheses are of "
        "the row's gold entities (for spurious: of the row's predictions). The confusion matrices show the same "
        "pairs by gold and predicted type.",
        "",
    ]
    for m in models:
        table = by_category(results[m]["counts"])
        per_type = results[m]["exact"]["per_type"]
        rows = []
        totals: Counter = Counter()
        for lb in labels:
            c = table.get(lb, Counter())
            totals.update(c)
            rows.append(_taxonomy_row(lb, c, per_type.get(lb, {}).get("support", 0), _n_pred(results[m]["counts"], lb)))
        n_pred_all = sum(n for (_, p, _), n in results[m]["counts"].items() if p is not None)
        rows.append(_taxonomy_row("*all*", totals, sum(totals[c] for c in CATEGORIES[:5]), n_pred_all))
        out += [f"### `{m}`", "",
                md_table(["type", "gold", "predicted"] + [CATEGORY_NAMES[c] for c in CATEGORIES], rows), "",
                f"![Confusion matrix, {m}](confusion_{m}.png)", ""]

    out += ["## Exact vs partial matching", "",
            "Partial: exact matches and boundary errors (overlap, same type) count as true positives; "
            "pairs are those of the error taxonomy, so each entity counts at most once.", ""]
    rows = []
    for m in models:
        for lb in list(labels) + ["micro", "macro"]:
            ex = results[m]["exact"]["per_type"].get(lb) if lb in labels else results[m]["exact"][lb]
            pa = results[m]["partial"]["per_type"].get(lb) if lb in labels else results[m]["partial"][lb]
            ex = ex or {"p": 0.0, "r": 0.0, "f": 0.0}
            pa = pa or {"p": 0.0, "r": 0.0, "f": 0.0}
            name = f"*{lb}*" if lb in ("micro", "macro") else lb
            rows.append([f"`{m}`", name, pct(ex["p"]), pct(ex["r"]), pct(ex["f"]),
                         pct(pa["p"]), pct(pa["r"]), pct(pa["f"]), f"{100 * (pa['f'] - ex['f']):+.2f}"])
    out += [md_table(["model", "type", "exact P", "exact R", "exact F1", "partial P", "partial R", "partial F1",
                      "gain"], rows, "llrrrrrrr"), ""]

    out += ["## Training curves", ""]
    if logs:
        out += ["From `training_log.jsonl` (spaCy's ConsoleLogger): loss per component as the mean per step since "
                "the previous evaluation; dev F1 at every evaluation. Models: "
                + ", ".join(f"`{m}`" for m in logs) + ".", "", "![Training curves](training_curves.png)", ""]
    else:
        out += ["No `training_log.jsonl` found for these models.", ""]
    out += ["## Examples", "",
            "[examples.html](examples.html): test sentences with gold and predicted entities side by side "
            "(displaCy), sentences with errors first.", ""]
    return "\n".join(out)


def _n_pred(counts: Counts, label: str) -> int:
    return sum(n for (_, p, _), n in counts.items() if p == label)


def _taxonomy_row(label: str, c: Counter, n_gold: int, n_pred: int) -> List[str]:
    def cell(cat: str) -> str:
        total = n_pred if cat == SPURIOUS else n_gold
        share = f" ({100 * c[cat] / total:.1f}%)" if total else ""
        return f"{c[cat]:,}{share}"

    return [label, f"{n_gold:,}", f"{n_pred:,}"] + [cell(cat) for cat in CATEGORIES]


def build_report(
    corpus: str,
    out_dir: Path,
    corpus_dir: Path = Path("corpus"),
    metrics_dir: Path = Path("metrics"),
    training_dir: Path = Path("training"),
    n_examples: int = 40,
    seed: int = 0,
) -> Dict[str, Any]:
    """Write every report file for CORPUS into the (new) folder OUT_DIR and
    return the scores per model (as in summary.json)."""
    gold_path = corpus_dir / corpus / "test.spacy"
    if not gold_path.exists():
        raise BionerError(f"{gold_path} not found. Run the convert step first.")
    models = find_models(metrics_dir / corpus)
    if not models:
        raise BionerError(
            f"No metrics with predictions in {metrics_dir / corpus} (<model>.json + "
            f"<model>.predictions.spacy). Run the evaluate step first."
        )
    try:
        title = f"`{corpus}`, {corpus_facts(corpus)['title']}"
    except (BionerError, FileNotFoundError, KeyError):
        title = f"`{corpus}`"
    stats_path = corpus_dir / corpus / "stats.json"
    stats = srsly.read_json(stats_path) if stats_path.exists() else None
    vocab = Vocab()
    gold_docs = read_docs(gold_path, vocab)
    results: Dict[str, Dict[str, Any]] = {}
    preds: Dict[str, List[Doc]] = {}
    logs: Dict[str, List[Dict[str, Any]]] = {}
    warnings: List[str] = []
    for model in models:
        metrics_path = metrics_dir / corpus / f"{model}.json"
        metrics = srsly.read_json(metrics_path)
        preds[model] = read_docs(predictions_path(metrics_path), vocab)
        check_aligned(gold_docs, preds[model], name=str(predictions_path(metrics_path)))
        counts = taxonomy(gold_docs, preds[model])
        results[model] = {"metrics": metrics, "counts": counts,
                          "exact": scores(counts), "partial": scores(counts, partial=True)}
        recorded = metrics.get("ents_f")
        computed = results[model]["exact"]["micro"]["f"]
        if isinstance(recorded, (int, float)) and not math.isclose(recorded, computed, abs_tol=1e-4):
            warnings.append(
                f"`{model}`: {metrics_path.name} says F1 {pct(recorded)} but its predictions give "
                f"{pct(computed)}; the files may be from different runs."
            )
        log_path = training_dir / corpus / model / "training_log.jsonl"
        if log_path.exists():
            rows = read_training_log(log_path)
            if rows:
                logs[model] = rows
    for w in warnings:
        msg.warn(w)
    # entity types, most frequent in the gold data first
    support = Counter(ent.label_ for doc in gold_docs for ent in doc.ents)
    all_labels = set(support) | {lb for r in results.values() for lb in r["exact"]["per_type"]}
    labels = sorted(all_labels, key=lambda lb: (-support[lb], lb))

    out_dir.mkdir(parents=True)
    plot_per_type_f1(results, labels, out_dir / "per_type_f1.png")
    plot_training_curves(logs, out_dir / "training_curves.png")
    for model in models:
        plot_confusion(results[model]["counts"], model, labels, out_dir / f"confusion_{model}.png")
    (out_dir / "examples.html").write_text(
        examples_html(corpus, gold_docs, preds, labels, n_examples=n_examples, seed=seed), encoding="utf8"
    )
    (out_dir / "report.md").write_text(
        build_markdown(corpus, title, results, labels, stats, logs, warnings), encoding="utf8"
    )
    summary = {
        m: {"exact": r["exact"], "partial": r["partial"],
            "taxonomy": {lb: dict(c) for lb, c in by_category(r["counts"]).items()}}
        for m, r in results.items()
    }
    srsly.write_json(out_dir / "summary.json", summary)
    return summary


def report(
    corpus: str = typer.Argument(..., help="Corpus name, e.g. jnlpba"),
    corpus_dir: Path = typer.Option(Path("corpus"), help="Folder with <corpus>/test.spacy and stats.json"),
    metrics_dir: Path = typer.Option(Path("metrics"), help="Folder with <corpus>/<model>.json + .predictions.spacy"),
    training_dir: Path = typer.Option(Path("training"), help="Folder with <corpus>/<model>/training_log.jsonl"),
    output_dir: Path = typer.Option(Path("reports"), help="The report goes to <output_dir>/<corpus>/"),
    n_examples: int = typer.Option(40, help="Sentences shown in examples.html"),
    seed: int = typer.Option(0, help="Seed for sampling the example sentences"),
) -> None:
    """Build reports/CORPUS/ from the evaluation files on disk."""
    target = output_dir / corpus
    with atomic_path(target) as tmp:
        summary = build_report(corpus, tmp, corpus_dir, metrics_dir, training_dir, n_examples, seed)
    msg.table(
        [(m, pct(s["exact"]["micro"]["f"]), pct(s["exact"]["macro"]["f"]), pct(s["partial"]["micro"]["f"]))
         for m, s in summary.items()],
        header=("model", "F1", "macro F1", "partial F1"),
        aligns=("l", "r", "r", "r"),
    )
    msg.good(f"Wrote {target}/: report.md, examples.html, plots")


if __name__ == "__main__":
    sys.exit(run_cli(report))
