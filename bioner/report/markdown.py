"""report.md: overall and per-type scores, published numbers beside ours,
the error taxonomy, exact vs partial matching, training curves."""
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..evaluation.taxonomy import CATEGORIES, CATEGORY_NAMES, SPURIOUS, Counts, by_category

# (system, F1, source) for the corpus, best first when printed
Anchor = Tuple[str, float, str]


def pct(x: float) -> str:
    return f"{100 * x:.2f}"


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]], aligns: Optional[str] = None) -> str:
    aligns = aligns or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in aligns]
    lines = [header, rule] + [[str(c) for c in row] for row in rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def build_markdown(
    corpus: str,
    title: str,
    results: Dict[str, Dict[str, Any]],
    labels: Sequence[str],
    stats: Optional[Dict[str, Any]],
    logs: Dict[str, List[Dict[str, Any]]],
    warnings: Sequence[str],
    anchors: Sequence[Anchor] = (),
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
        out += [f"No published numbers recorded for `{corpus}` (see bioner/report/anchors.yml).", ""]

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
    return "\n".join(out + linking_section(results))


LINKING_ERRORS = {"wrong_concept": "wrong concept", "nil_when_gold_has_one": "NIL when gold has one",
                  "linked_when_gold_has_none": "linked when gold has none"}


def linking_section(results: Dict[str, Dict[str, Any]]) -> List[str]:
    """Concept scores of the models whose metrics have them (a pipeline with
    the linker on gold with ids; scripts/evaluate.py): end to end by the
    BioCreative V CDR protocol, accuracy@1 on the gold mentions, and the
    linker's errors on them by class."""
    linked = {m: r["metrics"]["linking"] for m, r in results.items() if r["metrics"].get("linking")}
    if not linked:
        return []
    out = ["## Concept linking", "",
           "End to end: P/R/F1 over the set of (document, type, concept id) pairs, as the BioCreative V CDR "
           "evaluation counts them (a concept once per document, composite ids split, no-id mentions dropped). "
           "Accuracy@1: the linker alone on the gold mentions, at its NIL threshold (chosen on dev).", ""]
    rows, errors = [], []
    for m, lk in linked.items():
        acc = lk["accuracy_at_1"]
        for label, s in sorted(lk["concepts"]["per_type"].items()):
            a = acc["per_type"].get(label, {}).get("accuracy")
            rows.append([f"`{m}`", label, pct(s["p"]), pct(s["r"]), f"**{pct(s['f'])}**",
                         pct(a) if a is not None else "-"])
        c = lk["concepts"]
        rows.append([f"`{m}`", "all", pct(c["p"]), pct(c["r"]), f"**{pct(c['f'])}**", pct(acc["accuracy"])])
        errors.append([f"`{m}`", f"{lk['threshold']:.2f}", f"{acc['mentions']:,}"]
                      + [f"{acc['errors'][k]:,}" for k in LINKING_ERRORS])
    out += [md_table(["model", "type", "P", "R", "F1", "accuracy@1"], rows, "llrrrr"), "",
            "Linking errors on the gold mentions:", "",
            md_table(["model", "threshold", "mentions with an id"] + list(LINKING_ERRORS.values()), errors,
                     "lrrrrr"), ""]
    return out


def _n_pred(counts: Counts, label: str) -> int:
    return sum(n for (_, p, _), n in counts.items() if p == label)


def _taxonomy_row(label: str, c: Counter, n_gold: int, n_pred: int) -> List[str]:
    def cell(cat: str) -> str:
        total = n_pred if cat == SPURIOUS else n_gold
        share = f" ({100 * c[cat] / total:.1f}%)" if total else ""
        return f"{c[cat]:,}{share}"

    return [label, f"{n_gold:,}", f"{n_pred:,}"] + [cell(cat) for cat in CATEGORIES]
