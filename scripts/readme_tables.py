"""Write the README's corpus table (from corpus/<corpus>/stats.json) and
results table (a copy of benchmarks/results.md, which scripts/benchmark.py
writes) between their markers:

    <!-- corpus-table:start --> ... <!-- corpus-table:end -->
    <!-- benchmark-table:start --> ... <!-- benchmark-table:end -->
"""
import re
import sys
from pathlib import Path

import srsly
import typer
from wasabi import msg

from .common import SPLITS, BionerError, run_cli


def corpus_table(corpus_dir: Path) -> str:
    rows = ["| corpus | split | documents | sentences | tokens | entities (per type) |",
            "|---|---|---:|---:|---:|---|"]
    for stats_path in sorted(corpus_dir.glob("*/stats.json")):
        stats = srsly.read_json(stats_path)
        for split in SPLITS:
            s = stats["splits"][split]
            types = ", ".join(f"{k} {v:,}" for k, v in s["entities_per_type"].items())
            docs = f"{s['documents']:,}" + ("" if s["doc_markers"] else "*")
            rows.append(
                f"| {stats['corpus']} | {split} | {docs} | {s['sentences']:,} | {s['tokens']:,} "
                f"| {s['entities']:,} ({types}) |"
            )
    rows.append("")
    rows.append("\\* no document markers in the file: 10 consecutive sentences per Doc.")
    return "\n".join(rows)


def replace_between(text: str, marker: str, content: str) -> str:
    pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
    if not pattern.search(text):
        raise BionerError(f"README has no '<!-- {marker}:start/end -->' markers")
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(2), text)


def readme_tables(
    readme: Path = typer.Option(Path("README.md")),
    corpus_dir: Path = typer.Option(Path("corpus")),
    benchmark_md: Path = typer.Option(Path("benchmarks/results.md"), help="Written by scripts/benchmark.py"),
) -> None:
    """Refresh the corpus and results tables in README.md."""
    text = readme.read_text(encoding="utf8")
    text = replace_between(text, "corpus-table", corpus_table(corpus_dir))
    if benchmark_md.exists():
        text = replace_between(text, "benchmark-table", benchmark_md.read_text(encoding="utf8").strip())
    readme.write_text(text, encoding="utf8")
    msg.good(f"Updated the tables in {readme}")


if __name__ == "__main__":
    sys.exit(run_cli(readme_tables))
