"""bioner/text.py: the in-domain text keeps the related corpora's train+dev
and the evaluated corpora's train sentences, and drops every held-out
sentence: exactly, re-spaced, re-cased, or as an 8-token run inside another
sentence. On the real mirror, no dev/test sentence of JNLPBA or BC5CDR is
left in the text."""
from pathlib import Path

import pytest
from conftest import MIRROR, corpus_entry, run_main, write_project
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from bioner.assets import fetch_corpus
from bioner.layout import Layout
from bioner.registry import load_registry
from bioner.text import read_text_docs
from scripts.text import main

TEST_SENTENCE = "IL-2 gene expression requires NF-kappa B activation in T cells ."
DEV_SENTENCE = "The drug caused severe hepatotoxicity in two of the ten patients treated ."


def iob(sentences):
    return "".join("".join(f"{w}\tO\n" for w in s.split()) + "\n" for s in sentences)


def write_corpus(root: Path, key: str, splits: dict) -> None:
    folder = root / "assets" / key
    folder.mkdir(parents=True)
    for split, sentences in splits.items():
        (folder / f"{split}.tsv").write_text(iob(sentences), encoding="utf8")


@pytest.fixture
def project(tmp_path):
    write_project(tmp_path, {"rel": corpus_entry(), "ev": corpus_entry()})
    write_corpus(tmp_path, "ev", {
        "train": ["Ev train sentence one .", "Shared sentence in two corpora ."],
        "dev": [DEV_SENTENCE],
        "test": [TEST_SENTENCE],
    })
    write_corpus(tmp_path, "rel", {
        "train": [
            TEST_SENTENCE,  # exactly
            TEST_SENTENCE.lower().replace("IL-2".lower(), "il - 2"),  # re-cased, split differently
            "Background : " + TEST_SENTENCE,  # inside a longer sentence
            "We report that the drug caused severe hepatotoxicity in two of the ten patients .",  # 8-token run of dev
            "Rel train sentence kept .",
            "Shared sentence in two corpora .",
        ],
        "dev": ["Rel dev sentence kept .", "Rel test sentence ."],
        "test": ["Rel test sentence ."],  # the related corpus's own test split is held out too
    })
    return tmp_path


def test_text_keeps_train_dev_and_drops_every_held_out_sentence(project, capsys):
    rc, out, err = run_main(capsys, main, ["rel", "--evaluated", "ev", "--root", str(project)])
    assert rc == 0, err
    layout = Layout(project)
    lines = layout.text_file.read_text(encoding="utf8").splitlines()
    assert lines == ["Rel train sentence kept .", "Shared sentence in two corpora .", "Rel dev sentence kept .",
                     "Ev train sentence one ."]
    report = __import__("srsly").read_json(layout.text_report)
    assert report["sources"]["rel/train"] == {"sentences": 2, "tokens": 11, "held_out": 4, "repeated": 0}
    assert report["sources"]["rel/dev"]["held_out"] == 1
    assert report["sources"]["ev/train"] == {"sentences": 1, "tokens": 5, "held_out": 0, "repeated": 1}
    assert report["held_out_sentences"] == {"ev/dev": 1, "ev/test": 1, "rel/test": 1}
    docs = list(read_text_docs(layout.text_docbin, Vocab()))
    assert [[s.text for s in d.sents] for d in docs] == [lines]  # 4 sentences: one Doc, sentence starts kept
    assert "4 sentences" in out


def test_text_refuses_a_corpus_given_twice_and_missing_files(project, capsys):
    rc, _, err = run_main(capsys, main, ["rel", "ev", "--evaluated", "ev", "--root", str(project)])
    assert rc == 1 and "ev: given both as related and as evaluated" in err
    (project / "assets" / "ev" / "test.tsv").unlink()
    rc, _, err = run_main(capsys, main, ["rel", "--evaluated", "ev", "--root", str(project)])
    assert rc == 1 and "assets/ev/test.tsv: not found" in err and "scripts.fetch ev" in err
    assert not Layout(project).text_dir.exists()  # nothing half-written


def project_with_corpora(tmp_path):
    """A project folder with the real project.yml and the related and
    evaluated corpora fetched from the mirror: (layout, related, evaluated)."""
    project_file = Path(__file__).resolve().parent.parent / "project.yml"
    settings = __import__("srsly").read_yaml(project_file)["vars"]
    related, evaluated = settings["text_corpora"].split(), settings["evaluated_corpora"].split()
    (tmp_path / "project.yml").write_bytes(project_file.read_bytes())
    layout = Layout(tmp_path)
    registry = load_registry(layout.project_file)
    for key in related + evaluated:
        fetch_corpus(registry[key], layout, str(MIRROR))
    return layout, related, evaluated


def held_out_sentences_checked(layout, evaluated) -> int:
    """Assert that no dev/test sentence of the evaluated corpora is in the
    text, whole or as any 8-token run; return how many were checked."""
    text = [line.split() for line in layout.text_file.read_text(encoding="utf8").splitlines()]
    keys = {"".join(s).lower() for s in text}
    runs = {tuple(w.lower() for w in s[i : i + 8]) for s in text for i in range(len(s) - 7)}
    checked = 0
    for key in evaluated:
        for split in ("dev", "test"):
            for sentence in raw_sentences(layout.asset(key, split, ".tsv")):
                lowered = [w.lower() for w in sentence]
                assert "".join(lowered) not in keys, (key, split, " ".join(sentence))
                assert not any(tuple(lowered[i : i + 8]) in runs for i in range(len(lowered) - 7)), \
                    (key, split, " ".join(sentence))
                checked += 1
    return checked


def raw_sentences(path: Path):
    """Sentences of an IOB file, read here without bioner's reader."""
    sentence = []
    for line in path.read_text(encoding="utf8").splitlines():
        if line.strip():
            sentence.append(line.split("\t")[0])
        elif sentence:
            yield sentence
            sentence = []
    if sentence:
        yield sentence


@pytest.mark.slow
def test_real_text_has_no_dev_or_test_sentence_of_the_evaluated_corpora(tmp_path, capsys):
    """The proof the issue asks for, on the real files: build the text from
    the nine related corpora + JNLPBA + BC5CDR train, then look for every
    dev/test sentence of JNLPBA and BC5CDR in it (whole, spaces and case
    ignored, and as any run of 8 tokens)."""
    if not (MIRROR / "CRAFT-IOB").is_dir():
        pytest.skip(f"no corpus mirror at {MIRROR}")
    layout, related, evaluated = project_with_corpora(tmp_path)
    rc, _, err = run_main(capsys, main, related + ["--evaluated", " ".join(evaluated), "--root", str(tmp_path)])
    assert rc == 0, err
    text = [line.split() for line in layout.text_file.read_text(encoding="utf8").splitlines()]
    assert sum(map(len, text)) > 1_500_000  # 1.64 M: the ~2.4 M tokens less the test splits and repeats
    assert held_out_sentences_checked(layout, evaluated) > 14_000  # 14,973 dev + test sentences


# --- a related corpus trained from (transfer) is converted without them ------


def sentences_of(path: Path):
    return [s.text for d in DocBin().from_disk(path).get_docs(Vocab()) for s in d.sents]


def test_a_related_corpus_is_converted_without_held_out_sentences(project, capsys):
    from scripts.convert import main as convert

    rc, out, err = run_main(capsys, convert, ["rel", "--related", "rel other", "--held-out", "ev",
                                              "--root", str(project)])
    assert rc == 0, err
    layout = Layout(project)
    assert sentences_of(layout.docbin("rel", "train")) == ["Rel train sentence kept .",
                                                           "Shared sentence in two corpora ."]
    assert sentences_of(layout.docbin("rel", "dev")) == ["Rel dev sentence kept .", "Rel test sentence ."]
    assert sentences_of(layout.docbin("rel", "test")) == ["Rel test sentence ."]  # not trained on
    stats = __import__("srsly").read_json(project / "corpus" / "rel" / "stats.json")["splits"]
    assert (stats["train"]["held_out_sentences"], stats["train"]["sentences"]) == (4, 2)
    assert "4 sentences dropped that occur in the dev/test splits of ev" in out
    # an evaluated corpus is converted as it is
    rc, _, err = run_main(capsys, convert, ["ev", "--related", "rel", "--held-out", "ev", "--root", str(project)])
    assert rc == 0 and "held_out_sentences" not in __import__("srsly").read_json(
        project / "corpus" / "ev" / "stats.json")["splits"]["train"]


def test_a_related_corpus_needs_the_held_out_corpora(project, capsys):
    from scripts.convert import main as convert

    rc, _, err = run_main(capsys, convert, ["rel", "--related", "rel", "--root", str(project)])
    assert rc == 1 and "give the evaluated corpora to clean it of (--held-out)" in err
    (project / "assets" / "ev" / "dev.tsv").unlink()
    rc, _, err = run_main(capsys, convert, ["rel", "--related", "rel", "--held-out", "ev", "--root", str(project)])
    assert rc == 1 and "assets/ev/dev.tsv: not found" in err
    assert not (project / "corpus" / "rel").exists()  # nothing written


def test_dropping_sentences_keeps_the_others_and_their_entities():
    from spacy.tokens import Doc, Span

    from bioner.text import HeldOut, drop_held_out

    vocab = Vocab()
    words = "IL-2 binds here . Held out sentence . CD4 cells bind ."
    doc = Doc(vocab, words=words.split(), sent_starts=[True, False, False, False, True, False, False, False,
                                                        True, False, False, False])
    doc.ents = [Span(doc, 0, 1, "protein"), Span(doc, 8, 10, "cell_type")]
    gone = Doc(vocab, words="Held out sentence .".split())
    held = HeldOut()
    held.add("ev/test", "Held out sentence .".split())
    docs, dropped = drop_held_out([doc, gone], held)
    assert dropped == 2 and len(docs) == 1
    assert [s.text for s in docs[0].sents] == ["IL-2 binds here .", "CD4 cells bind ."]
    assert [(e.text, e.label_) for e in docs[0].ents] == [("IL-2", "protein"), ("CD4 cells", "cell_type")]


@pytest.mark.slow
def test_real_transfer_corpus_has_no_dev_or_test_sentence_of_the_evaluated_corpora(tmp_path, capsys):
    """BioNLP09 shares sentences with JNLPBA's test split (the mirror's
    README): converted as the convert step does it, its train and dev
    DocBins hold none of JNLPBA's or BC5CDR's dev/test sentences."""
    if not (MIRROR / "BioNLP09-IOB").is_dir():
        pytest.skip(f"no corpus mirror at {MIRROR}")
    from scripts.convert import main as convert

    project_file = Path(__file__).resolve().parent.parent / "project.yml"
    settings = __import__("srsly").read_yaml(project_file)["vars"]
    evaluated = settings["evaluated_corpora"].split()
    (tmp_path / "project.yml").write_bytes(project_file.read_bytes())
    layout = Layout(tmp_path)
    registry = load_registry(layout.project_file)
    for key in ["bionlp09"] + evaluated:
        fetch_corpus(registry[key], layout, str(MIRROR))
    rc, _, err = run_main(capsys, convert, ["bionlp09", "--related", settings["text_corpora"], "--held-out",
                                            " ".join(evaluated), "--root", str(tmp_path)])
    assert rc == 0, err
    kept = [s.split() for split in ("train", "dev") for s in sentences_of(layout.docbin("bionlp09", split))]
    keys = {"".join(s).lower() for s in kept}
    runs = {tuple(w.lower() for w in s[i : i + 8]) for s in kept for i in range(len(s) - 7)}
    for key in evaluated:
        for split in ("dev", "test"):
            for sentence in raw_sentences(layout.asset(key, split, ".tsv")):
                lowered = [w.lower() for w in sentence]
                assert "".join(lowered) not in keys, (key, split, " ".join(sentence))
                assert not any(tuple(lowered[i : i + 8]) in runs for i in range(len(lowered) - 7))
    stats = __import__("srsly").read_json(layout.corpus("bionlp09") / "stats.json")["splits"]
    assert stats["train"]["held_out_sentences"] + stats["dev"]["held_out_sentences"] > 0


# --- the text sources: eLife's JATS articles and PubMedQA's abstracts ---------

JATS = Path(__file__).parent / "fixtures" / "jats" / "pmc_article.xml"
PREFIX = "elife-articles-toy/"


def jats_tarball(path: Path, paragraphs) -> Path:
    """A tarball like eLife's: the fixture article with `paragraphs` added to its body."""
    import io
    import tarfile

    xml = JATS.read_text(encoding="utf8")
    extra = "".join(f"<p>{p}</p>" for p in paragraphs)
    xml = xml.replace('<sec id="s3">', f'<sec id="s9"><title>Planted</title>{extra}</sec><sec id="s3">')
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in [("README.md", b"# toy\n"), ("elife00001.xml", xml.encode())]:
            info = tarfile.TarInfo(PREFIX + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def pubmedqa_json(path: Path, items) -> Path:
    import json

    data = {pmid: {"QUESTION": "?", "CONTEXTS": contexts, "LONG_ANSWER": answer}
            for pmid, (contexts, answer) in items.items()}
    path.write_text(json.dumps(data), encoding="utf8")
    return path


def text_source(reader: str, file: str) -> dict:
    return {"title": "toy", "url": "http://127.0.0.1:9/x", "file": file, "git_blob": "0" * 40, "reader": reader,
            "license": "CC0 (test)", "source_url": "http://127.0.0.1:9/x"}


@pytest.fixture
def with_sources(project):
    """The toy project plus an eLife-like tarball and a PubMedQA file, each
    with an evaluated corpus's dev or test sentence planted in raw text."""
    write_project(project, {"rel": corpus_entry(), "ev": corpus_entry()},
                  text_sources={"elife": text_source("jats_tar", "elife.tar.gz"),
                                "pubmedqa": text_source("pubmedqa", "pqa.json")})
    folder = project / "assets" / "text"
    jats_tarball(folder / "elife.tar.gz", [
        "Kept eLife sentence about kinases. The drug caused severe hepatotoxicity in two of the ten "
        "patients treated.",  # ev's dev sentence, raw: no space before the period
        "Remarkably, the drug caused severe hepatotoxicity in two of the ten patients, as expected.",  # 8-run
        # ev's test sentence tokenised differently: no 8-token run in common, an 8-word-piece run
        "We found that IL-2 gene expression requires NF-kappa B activation (in T cells) here.",
    ])
    pubmedqa_json(folder / "pqa.json", {
        "123": (["IL-2 gene expression requires NF-kappa B activation in T cells. Kept context sentence one."],
                "Kept long answer sentence."),
        "456": (["Kept context of another abstract."], ""),
    })
    return project


def test_text_sources_are_added_and_a_planted_dev_or_test_sentence_is_dropped(with_sources, capsys):
    rc, out, err = run_main(capsys, main, ["rel", "--evaluated", "ev", "--sources", "elife pubmedqa",
                                           "--root", str(with_sources)])
    assert rc == 0, err
    layout = Layout(with_sources)
    lines = layout.text_file.read_text(encoding="utf8").splitlines()
    text = "\n".join(lines).lower()
    assert "hepatotoxicity" not in text and "nf-kappa" not in text
    assert "Kept eLife sentence about kinases ." in lines
    assert lines[-3:] == ["Kept context sentence one .", "Kept long answer sentence .",
                          "Kept context of another abstract ."]
    assert "Dexamethasone is a candidate against cisplatin nephrotoxicity ." in lines  # the article's own body
    assert not any("reviewers" in line or "Cisplatin and the kidney" in line for line in lines)  # skipped parts
    report = __import__("srsly").read_json(layout.text_report)
    assert report["sources"]["elife"]["held_out"] == 3 and report["sources"]["pubmedqa"]["held_out"] == 1
    assert report["held_out_by_split"] == {"elife": {"ev/dev": 2, "ev/test": 1}, "pubmedqa": {"ev/test": 1},
                                           "rel/train": {"ev/test": 3, "ev/dev": 1}, "rel/dev": {"rel/test": 1}}
    assert report["sources"]["elife"]["documents"] == 1 and report["sources"]["pubmedqa"]["documents"] == 2
    assert report["sources"]["pubmedqa"]["tokens"] == 5 + 5 + 6
    assert report["skipped"]["elife"]["sub-article"]["elements"] == 2
    assert report["tokens"] == sum(len(line.split()) for line in lines)
    docs = list(read_text_docs(Layout(with_sources).text_docbin, Vocab()))
    assert [s.text for d in docs for s in d.sents] == lines
    assert "| elife |" in out and "| pubmedqa | 16 | 3 | 1 | 0 |" in out
    assert "elife: skipped " in out and "sub-article 2" in out


def test_a_missing_or_unknown_text_source_is_one_line_and_writes_nothing(with_sources, capsys):
    argv = ["rel", "--evaluated", "ev", "--root", str(with_sources)]
    rc, _, err = run_main(capsys, main, argv + ["--sources", "elife nope"])
    assert rc == 1 and "nope: not in vars.text_sources" in err and err.count("\n") == 1
    (with_sources / "assets" / "text" / "pqa.json").unlink()
    rc, _, err = run_main(capsys, main, argv + ["--sources", "elife pubmedqa"])
    assert rc == 1 and "assets/text/pqa.json: not found" in err and "scripts.fetch pubmedqa" in err
    assert not Layout(with_sources).text_dir.exists()


def test_sentence_rule_keeps_abbreviations_and_initials_inside():
    from bioner.text import paragraph_sentences

    got = [" ".join(s) for s in paragraph_sentences([
        "As shown by Smith et al. (2012), IL-2 binds. Fig. 2 shows e.g. the result. J. Smith agreed! Why? "
        "It is ca. 5 mg/ml."])]
    # spaCy's tokenizer splits "al." and "Fig." from their period; the rule still joins across them
    assert got == ["As shown by Smith et al . ( 2012 ) , IL-2 binds .", "Fig . 2 shows e.g. the result .",
                   "J. Smith agreed !", "Why ?", "It is ca . 5 mg / ml ."]


@pytest.mark.slow
def test_real_text_sources_hold_no_dev_or_test_sentence_of_the_evaluated_corpora(tmp_path, capsys):
    """The same proof over the text sources: PubMedQA's 1,000 abstracts
    (PMIDs, so they could overlap BC5CDR's) in full, and the first 60
    eLife articles, built with the related corpora as `weasel run text` does."""
    import tarfile

    text_mirror = MIRROR.parent / "text"
    if not (MIRROR / "CRAFT-IOB").is_dir() or not text_mirror.is_dir():
        pytest.skip(f"no corpus and text mirror at {MIRROR.parent}")
    layout, related, evaluated = project_with_corpora(tmp_path)
    from bioner.assets import fetch_text_source
    from bioner.registry import text_sources as load_text_sources

    sources = load_text_sources(layout.project_file)
    fetch_text_source(sources["pubmedqa"], layout, str(MIRROR))
    elife = layout.text_asset(sources["elife"].file)
    with tarfile.open(text_mirror / sources["elife"].file, "r|gz") as full, tarfile.open(elife, "w:gz") as part:
        for n, member in zip(range(61), full):  # the folder, the README, then articles
            part.addfile(member, full.extractfile(member) if member.isfile() else None)
    rc, out, err = run_main(capsys, main, related + ["--evaluated", " ".join(evaluated), "--sources",
                                                     "elife pubmedqa", "--root", str(tmp_path)])
    assert rc == 0, err
    report = __import__("srsly").read_json(layout.text_report)
    assert report["sources"]["pubmedqa"]["documents"] == 1000 and report["sources"]["elife"]["documents"] >= 55
    assert held_out_sentences_checked(layout, evaluated) > 14_000


def test_text_spacy_is_written_in_parts_that_spacy_reads_as_one_corpus(with_sources, capsys, monkeypatch):
    import spacy
    from spacy.training import Corpus

    from bioner import text as text_module

    monkeypatch.setattr(text_module, "DOCBIN_TOKENS", 40)
    rc, _, err = run_main(capsys, main, ["rel", "--evaluated", "ev", "--sources", "elife pubmedqa",
                                         "--root", str(with_sources)])
    assert rc == 0, err
    layout = Layout(with_sources)
    lines = layout.text_file.read_text(encoding="utf8").splitlines()
    parts = sorted(p.name for p in layout.text_docbin.iterdir())
    expected, size = 0, 0
    for line in lines:  # whole sentences, a part closed once it holds 40 tokens or more
        size += len(line.split())
        if size >= 40:
            expected, size = expected + 1, 0
    assert len(parts) == expected + (size > 0) > 3
    assert parts[0] == "part-00000.spacy"
    nlp = spacy.blank("en")
    read = [s.text for ex in Corpus(layout.text_docbin)(nlp) for s in ex.reference.sents]
    assert read == lines  # every sentence once, in order, across the parts


def test_pretrain_reads_the_text_spacy_folder(with_sources, capsys, monkeypatch):
    from conftest import PROJECT_DIR

    from bioner import text as text_module
    from scripts.pretrain import main as pretrain

    monkeypatch.setattr(text_module, "DOCBIN_TOKENS", 40)
    assert run_main(capsys, main, ["rel", "--evaluated", "ev", "--sources", "elife pubmedqa",
                                   "--root", str(with_sources)])[0] == 0
    out = with_sources / "pretrain"
    rc, _, err = run_main(capsys, pretrain, [str(PROJECT_DIR / "configs" / "cnn.cfg"), str(out), "--text",
                                             str(Layout(with_sources).text_docbin), "--gpu", "-1"])
    assert rc == 0, err
    log = [__import__("json").loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert log[-1]["nr_word"] == __import__("srsly").read_json(Layout(with_sources).text_report)["tokens"]
