"""The report's figures (matplotlib, PNG): per-type F1 bars, training
curves, and gold-vs-predicted confusion matrices."""
from pathlib import Path
from typing import Any, Dict, List, Sequence

from ..evaluation.taxonomy import Counts, confusion


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
