"""Build the in-domain text (bioner.text) from fetched corpora and text
sources: the related corpora's train+dev sentences, the evaluated corpora's
train sentences and the text sources' paragraphs (eLife, PubMedQA), minus
every sentence of a held-out split (dev/test of the evaluated corpora, test
of the others). Writes corpus/text/{sentences.txt,text.spacy,report.json}
and prints a table of tokens per source."""
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import good, info, run_cli
from bioner.layout import Layout
from bioner.registry import get_corpus, text_sources as load_text_sources
from bioner.errors import BionerError
from bioner.text import build_text


def text(
    related: List[str] = typer.Argument(..., help="Related corpora (keys of vars.corpora): train+dev text"),
    evaluated: str = typer.Option(..., help="Evaluated corpora, space-separated: train text; dev+test held out"),
    sources: str = typer.Option("", help="Text sources (keys of vars.text_sources), space-separated"),
    root: Path = typer.Option(Path("."), help="Project folder (project.yml, assets/, corpus/)"),
) -> None:
    """Write corpus/text/: one sentence a line (floret), a DocBin (spacy
    pretrain) and report.json (kept / held out / repeated, per source; what
    the JATS reader skipped)."""
    layout = Layout(root)
    names = evaluated.split()
    overlap = sorted(set(names) & set(related))
    if overlap:
        raise BionerError(f"{', '.join(overlap)}: given both as related and as evaluated; a corpus is one or the other")
    known = load_text_sources(layout.project_file)
    unknown = [s for s in sources.split() if s not in known]
    if unknown:
        raise BionerError(f"{', '.join(unknown)}: not in vars.text_sources of {layout.project_file.name} "
                          f"(known: {', '.join(sorted(known)) or 'none'})")
    start = time.monotonic()
    report = build_text([get_corpus(n, layout.project_file) for n in related],
                        [get_corpus(n, layout.project_file) for n in names], layout,
                        [known[s] for s in sources.split()], say=info)
    print(table(report))
    for source, kinds in report["skipped"].items():
        info(f"{source}: skipped " + ", ".join(f"{k} {v['elements']:,} ({v['words']:,} words)" for k, v in kinds.items()))
    good(f"Wrote {layout.text_dir}: {report['sentences']:,} sentences, {report['tokens']:,} tokens "
         f"in {time.monotonic() - start:.0f} s")


def table(report: dict) -> str:
    """Tokens, sentences kept, held out and repeated per source, as a Markdown table."""
    rows = ["| source | tokens | sentences | held out | repeated |", "|---|---:|---:|---:|---:|"]
    for name, c in report["sources"].items():
        rows.append(f"| {name} | {c['tokens']:,} | {c['sentences']:,} | {c['held_out']:,} | {c['repeated']:,} |")
    rows.append(f"| all | {report['tokens']:,} | {report['sentences']:,} | "
                f"{sum(c['held_out'] for c in report['sources'].values()):,} | "
                f"{sum(c['repeated'] for c in report['sources'].values()):,} |")
    return "\n".join(rows)


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(text, argv)


if __name__ == "__main__":
    sys.exit(main())
