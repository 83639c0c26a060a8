"""Drive the serve web page in a real headless Chromium (playwright with
Debian's `chromium`: playwright's own browser download needs the network).

    python -m scripts.serve_page training/bc5cdr/cnn/model-best --output results/serve/page.png

starts the server on a free 127.0.0.1 port, types a text into the page,
submits it, waits for the highlighted entities and saves a screenshot. The
browser test (tests/test_serve_browser.py) uses the same `use_page`.
"""
import json
import os
import shutil
from pathlib import Path
from typing import Dict, Optional

import typer

from bioner.layout import Layout

from .serve_load import running_server

# Headless, and nothing that reaches for the network (updates, sync, QUIC)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EXAMPLE = ("Naloxone reverses the antihypertensive effect of clonidine. In patients with "
           "hypertension, captopril induced angioedema and severe headache.")


def find_chromium() -> Optional[str]:
    """$BIONER_CHROMIUM, else chromium on the PATH (Debian's package), else None."""
    candidates = [os.environ.get("BIONER_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def use_page(url: str, text: str, screenshot: Optional[Path] = None, model: Optional[str] = None,
             download: bool = True, timeout_ms: int = 30_000) -> Dict:
    """Open the page, submit `text`, return what it shows: the marks (text,
    label, background colour), the table rows, the status line, and the JSON
    the download button saves."""
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise RuntimeError("Chromium not found: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800}, accept_downloads=True)
            page.set_default_timeout(timeout_ms)
            page.goto(url + "/")
            page.wait_for_selector("#model option", state="attached")
            if model:
                page.select_option("#model", model)
            page.fill("#text", text)
            page.click("#submit")
            page.wait_for_function("document.getElementById('status').textContent.includes('found')")
            shown = page.eval_on_selector_all("#entities mark.entity", """marks => marks.map(m => ({
                text: m.firstChild.textContent, label: m.querySelector('span').textContent,
                background: getComputedStyle(m).backgroundColor}))""")
            rows = page.eval_on_selector_all("#entity-table tbody tr",
                                             "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
            result = {"marks": shown, "rows": rows, "status": page.text_content("#status"),
                      "error": page.text_content("#error"), "page_text": page.inner_text("#entities")}
            if screenshot:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
            if download:
                with page.expect_download() as info:
                    page.click("#download")
                result["download_name"] = info.value.suggested_filename
                result["download"] = json.loads(Path(info.value.path()).read_text())
            return result
        finally:
            browser.close()


def main(
    model: str = typer.Argument(..., help="Pipeline folder or installed package name"),
    text: str = typer.Option(EXAMPLE, help="What to type into the page"),
    output: Path = typer.Option(Layout().serve_results / "page.png", help="Screenshot to write"),
) -> None:
    """Screenshot the page with MODEL's entities for TEXT."""
    with running_server([model]) as (url, _):
        result = use_page(url, text, screenshot=output, download=False)
    print(f"{len(result['marks'])} entities highlighted: "
          + ", ".join(f"{m['text']} ({m['label']})" for m in result["marks"]))
    print(f"Wrote {output}")

