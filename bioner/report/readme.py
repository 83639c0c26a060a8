"""The README's generated tables, between their markers:

    <!-- corpus-table:start --> ... <!-- corpus-table:end -->        corpus/<corpus>/stats.json
    <!-- benchmark-table:start --> ... <!-- benchmark-table:end -->  benchmarks/results/results.md
"""
import re
from pathlib import Path

import srsly

from ..layout import SPLITS
from ..errors import BionerError


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
    rows.append("\\* no document markers in the file: consecutive sentences grouped into Docs (`sentences_per_doc`).")
    return "\n".join(rows)


def replace_between(text: str, marker: str, content: str) -> str:
    pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
    if not pattern.search(text):
        raise BionerError(f"README has no '<!-- {marker}:start/end -->' markers")
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(2), text)
