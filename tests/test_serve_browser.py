"""The serve web page in a real headless Chromium, against a real server on
127.0.0.1. Skipped only when Chromium is absent (`make test` installs
Debian's package when apt-get is available)."""

import httpx
import pytest

from benchmarks.serve_page import find_chromium, use_page
from benchmarks.serve_load import running_server
from bioner.layout import Layout
from conftest import PROJECT_DIR

SCREENSHOT = Layout(PROJECT_DIR).serve_results / "browser-test.png"
# The emoji is one code point but two UTF-16 units: the page must not shift the marks
TEXT = "\U0001F642 Naloxone reverses the effect of clonidine on hypertension, not on a headache."

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="Chromium not found and not installable here: needs Debian's chromium "
           "(apt-get install chromium; `make test` installs it when apt-get is available)")


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_page_highlights_the_entities_lists_them_and_downloads_them(ruler_pipeline):
    with running_server([ruler_pipeline]) as (url, _):
        listed = httpx.get(f"{url}/v1/models").json()
        colours, version = listed["colors"], listed["models"][0]["version"]
        shown = use_page(url, TEXT, screenshot=SCREENSHOT)
    expected = [("Naloxone", "Chemical"), ("clonidine", "Chemical"), ("hypertension", "Disease"),
                ("headache", "Disease")]
    assert [(m["text"], m["label"]) for m in shown["marks"]] == expected
    assert all(m["background"] == rgb(colours[m["label"]]) for m in shown["marks"])
    assert shown["status"] == "4 entities found by en_serve_test" and not shown["error"]
    # the highlighted text still reads as the text typed (labels aside)
    assert shown["page_text"].replace("Chemical", "").replace("Disease", "").split() == TEXT.split()
    rows = [(text, label, int(start), int(end)) for _, text, label, start, end, *_concept in shown["rows"]]
    assert [(t, lab) for t, lab, _, _ in rows] == expected
    assert all(TEXT[start:end] == t for t, _, start, end in rows)
    assert shown["download_name"] == "entities.json"
    assert shown["download"]["text"] == TEXT and shown["download"]["version"] == version
    assert version.startswith("1.2.3+")  # a folder: its meta's version + the SHA-256 of its files
    assert [(e["text"], e["label"]) for e in shown["download"]["entities"]] == expected
    assert SCREENSHOT.stat().st_size > 10_000
