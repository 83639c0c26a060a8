"""The generated tables of the project's two documents, each between its
markers (`<!-- NAME:start -->` ... `<!-- NAME:end -->`):

    README.md (user documentation)
      corpus-table     corpus/<corpus>/stats.json
      headline-table   the benchmark's results.json: one row per pipeline the workflow builds
    benchmarks/README.md (the lab)
      benchmark-table  the benchmark's results.md (every column, rows over seeds)
      levers-table     levers/README.md
      arch-speed       arch_speed/<corpus>.md

A table goes wherever its markers are (fill), so moving one between the
documents is a matter of moving its markers; scripts/readme_tables.py says
where the sources are.
"""
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import srsly

from ..layout import SPLITS
from ..errors import BionerError


def _per_split(splits: List[Mapping[str, Any]], key: str) -> str:
    return " / ".join(f"{s[key]:,}" for s in splits)


def corpus_table(corpus_dir: Path) -> str:
    """One row per converted corpus, each count as train / dev / test; the
    entity types with their train counts (the per-split counts per type are
    in stats.json)."""
    rows = ["| corpus | documents | sentences | tokens | entities | entity types (train) |",
            "|---|---:|---:|---:|---:|---|"]
    for stats_path in sorted(corpus_dir.glob("*/stats.json")):
        stats = srsly.read_json(stats_path)
        splits = [stats["splits"][split] for split in SPLITS]
        docs = " / ".join(f"{s['documents']:,}" + ("" if s["doc_markers"] else "*") for s in splits)
        types = ", ".join(f"{k} {v:,}" for k, v in stats["splits"]["train"]["entities_per_type"].items())
        rows.append(f"| {stats['corpus']} | {docs} | {_per_split(splits, 'sentences')} | {_per_split(splits, 'tokens')} "
                    f"| {_per_split(splits, 'entities')} | {types} |")
    rows.append("")
    rows.append(f"Counts: {' / '.join(SPLITS)}. \\* no document markers in the file: consecutive sentences "
                "grouped into Docs (`sentences_per_doc`). Made by `weasel run readme .` from "
                "`corpus/<corpus>/stats.json` (written by convert).")
    return "\n".join(rows)


def _number(value: Optional[float], pattern: str) -> str:
    return "n/a" if value is None else format(value, pattern)


def headline_table(results: Mapping[str, Any], configs_dir: Path) -> str:
    """The README's one results table: test F1 and speed of each pipeline the
    workflow can build (a model with a config in `configs_dir`), from the
    benchmark's results.json. Comparison runs without a config of their own
    (the plain Hugging Face fine-tune) stay in the lab's full table."""
    rows: List[str] = [
        f"Made by `make benchmark` and `weasel run readme .`. "
        f"Test split, entity-level exact match, micro F1 (spaCy's scorer), one seed. Speed: words/s of "
        f"`nlp.pipe` over the test texts, 1 process, on {results['machine']}. Ratios: to the benchmark's "
        f"baseline (`vars.benchmark_baseline`, the row at 1.000) trained and timed the same way on the same corpus.",
        "",
        "| corpus | model | trained with | P | R | F1 | F1 / baseline | words/s | speed / baseline |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["rows"]:
        if not (configs_dir / f"{r['model']}.cfg").exists():
            continue
        rows.append(
            f"| {r['corpus']} | {r['model']} | {r.get('trained_with', 'n/a')} | {r['ents_p'] * 100:.2f} "
            f"| {r['ents_r'] * 100:.2f} | **{r['ents_f'] * 100:.2f}** | {_number(r.get('f1_ratio'), '.3f')} "
            f"| {_number(r.get('cpu_wps_1proc'), ',.0f')} | {_number(r.get('speed_ratio'), '.2f')} |"
        )
    return "\n".join(rows)


def below_title(path: Path) -> str:
    """A generated markdown file's text below its "# title" line: the document's section has one."""
    return path.read_text(encoding="utf8").split("\n", 2)[2].strip()


def _pattern(marker: str) -> "re.Pattern[str]":
    return re.compile(rf"(<!-- {re.escape(marker)}:start -->\n).*?(<!-- {re.escape(marker)}:end -->)", re.S)


def has_markers(text: str, marker: str) -> bool:
    return bool(_pattern(marker).search(text))


def replace_between(text: str, marker: str, content: str) -> str:
    pattern = _pattern(marker)
    if not pattern.search(text):
        raise BionerError(f"README has no '<!-- {marker}:start/end -->' markers")
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(2), text)


def fill(documents: Mapping[Path, str], tables: Mapping[str, str]) -> Dict[Path, str]:
    """Put each table between its markers in whichever documents have them;
    a table whose markers are in no document is an error (it would be lost
    silently)."""
    filled = dict(documents)
    for marker, content in tables.items():
        homes = [path for path, text in filled.items() if has_markers(text, marker)]
        if not homes:
            raise BionerError(f"{', '.join(str(p) for p in documents)}: no '<!-- {marker}:start -->' ... "
                              f"'<!-- {marker}:end -->' markers in any of them. Put them where the table goes.")
        for path in homes:
            filled[path] = replace_between(filled[path], marker, content)
    return filled
