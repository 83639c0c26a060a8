"""The serve API through FastAPI's TestClient (every status code), the
cross-request batching, and a small bounded load run against a real server."""
import json
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from benchmarks.serve_load import answer_ok, benchmark, markdown
from bioner.provenance import folder_sha256
from bioner.serve import ServeSettings, create_app, load_models
from bioner.serve.app import STATIC_DIR
from bioner.serve.pipelines import PALETTE, ServedModel, label_colors, model_name
from bioner.console import run_cli
from conftest import RULER_PATTERNS
from scripts.serve import serve

SETTINGS = ServeSettings(max_text_chars=200, max_texts=5, batch_size=128, batch_wait_ms=20)
SENTENCE = "Naloxone reverses the effect of clonidine on hypertension."


@Language.component("serve_test_trouble")
def trouble(doc):
    """Fails on a text with BOOM; takes a second over one with SLOW."""
    if "BOOM" in doc.text:
        raise ValueError("BOOM in the text")
    if "SLOW" in doc.text:
        time.sleep(1.0)
    return doc


@pytest.fixture(scope="module")
def models(ruler_pipeline):
    return load_models([str(ruler_pipeline)])


@pytest.fixture(scope="module")
def client(models):
    with TestClient(create_app(models, SETTINGS)) as client:
        yield client


@pytest.fixture
def trouble_client(ruler_pipeline):
    nlp = load_models([str(ruler_pipeline)])["en_serve_test"].nlp
    nlp.add_pipe("serve_test_trouble")
    with TestClient(create_app({"trouble": ServedModel("trouble", nlp)}, SETTINGS)) as client:
        yield client


def ner(client, texts, **extra):
    return client.post("/v1/ner", json={"texts": texts, **extra})


def in_threads(calls):
    """Run the calls at once, one thread each; their results in order."""
    results = [None] * len(calls)

    def run(i, call):
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_ner_returns_offsets_that_slice_the_text(client):
    texts = [SENTENCE, "Aspirin for a headache.", "Nothing here."]
    response = ner(client, texts, model="en_serve_test")
    assert response.status_code == 200
    body = response.json()
    sha = folder_sha256(body["provenance"]["path"])
    assert (body["model"], body["version"]) == ("en_serve_test", f"1.2.3+{sha[:12]}")
    assert len(body["results"]) == 3
    found = [[(e["text"], e["label"]) for e in r["entities"]] for r in body["results"]]
    assert found == [[("Naloxone", "Chemical"), ("clonidine", "Chemical"), ("hypertension", "Disease")],
                     [("Aspirin", "Chemical"), ("headache", "Disease")], []]
    for text, result in zip(texts, body["results"]):
        for ent in result["entities"]:
            assert text[ent["start"]:ent["end"]] == ent["text"]


def test_model_defaults_to_the_first(client):
    assert ner(client, ["aspirin"]).json()["model"] == "en_serve_test"


def test_models_lists_labels_version_f1_and_colours(client):
    body = client.get("/v1/models").json()
    source = body["models"][0]["source"]
    sha = folder_sha256(Path(source))
    assert body["models"] == [{"name": "en_serve_test", "version": f"1.2.3+{sha[:12]}", "labels": sorted(RULER_PATTERNS),
                               "f1": 0.8125, "source": source, "default": True, "provenance": {
                                   "name": "en_serve_test", "version": f"1.2.3+{sha[:12]}",
                                   "path": str(Path(source).resolve()), "sha256": sha}}]
    assert set(body["colors"]) == set(RULER_PATTERNS)
    assert len(set(body["colors"].values())) == len(RULER_PATTERNS)
    assert body["limits"] == {"max_texts": 5, "max_text_chars": 200}


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "en_serve_test" in response.json()["models"]


@pytest.mark.parametrize("texts, limit", [(["a" * 201], "200"), (["a"] * 6, "limit is 5")])
def test_over_the_limits_is_413(client, texts, limit):
    response = ner(client, texts)
    assert response.status_code == 413
    assert isinstance(response.json()["detail"], str) and limit in response.json()["detail"]


def test_a_body_over_the_limit_is_refused_before_it_is_read(client):
    response = client.post("/v1/ner", content=b'{"texts": ["' + b"a" * 20_000 + b'"]}',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "request body" in response.json()["detail"]


def test_unknown_model_is_404(client):
    response = ner(client, ["aspirin"], model="en_nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown model 'en_nope'; served: en_serve_test"}


@pytest.mark.parametrize("body, says", [
    (b'{"texts": ["aspirin"', "malformed JSON"),
    (b'{"texts": "aspirin"}', "texts: Input should be a valid list"),
    (b'{"texts": [1, 2]}', "texts.0: Input should be a valid string"),
    (b'{"text": ["aspirin"]}', "texts: Field required"),
    (b'{"texts": ["aspirin"], "model": 3}', "model: Input should be a valid string"),
    (b'["aspirin"]', "must be a JSON object"),
])
def test_malformed_or_wrong_type_is_422_with_one_line(client, body, says):
    response = client.post("/v1/ner", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and says in detail and "\n" not in detail
    # and the server goes on answering
    assert ner(client, ["aspirin"]).status_code == 200


def test_concurrent_requests_share_nlp_pipe_calls_and_the_loop_stays_free(trouble_client):
    slow = threading.Thread(target=ner, args=(trouble_client, ["SLOW aspirin"]))
    slow.start()
    time.sleep(0.2)  # the slow batch runs in the model's thread now
    start = time.perf_counter()
    assert trouble_client.get("/health").status_code == 200
    assert time.perf_counter() - start < 0.5  # nlp.pipe does not block the event loop
    texts = [f"aspirin {i} and headache" for i in range(12)]
    responses = in_threads([lambda t=t: ner(trouble_client, [t]) for t in texts])
    slow.join(10)
    for text, response in zip(texts, responses):
        assert response.status_code == 200
        ents = response.json()["results"][0]["entities"]
        assert [text[e["start"]:e["end"]] for e in ents] == ["aspirin", "headache"]
    stats = trouble_client.get("/health").json()["models"]["trouble"]
    assert stats["requests"] == 13 and stats["texts"] == 13
    # the 12 queued behind the slow one ran together, not one nlp.pipe each
    assert stats["batches"] <= 4 and stats["largest_batch"] >= 6


def test_a_failing_request_gets_500_and_its_batch_mates_their_answers(trouble_client):
    slow = threading.Thread(target=ner, args=(trouble_client, ["SLOW"]))
    slow.start()
    time.sleep(0.2)
    texts = ["aspirin", "BOOM aspirin", "headache", "clonidine"]
    responses = in_threads([lambda t=t: ner(trouble_client, [t]) for t in texts])
    slow.join(10)
    assert [r.status_code for r in responses] == [200, 500, 200, 200]
    assert "ValueError: BOOM in the text" in responses[1].json()["detail"]
    assert [r.json()["results"][0]["entities"][0]["text"] for r in responses if r.status_code == 200] == \
        ["aspirin", "headache", "clonidine"]
    assert ner(trouble_client, ["aspirin"]).status_code == 200


def test_an_empty_list_gets_an_empty_answer(client):
    assert ner(client, []).json()["results"] == []


def test_503_until_the_workers_run(models):
    client = TestClient(create_app(models, SETTINGS))  # no `with`: the app has not started
    assert client.get("/health").status_code == 503
    response = ner(client, ["aspirin"])
    assert response.status_code == 503 and "not running" in response.json()["detail"]


def test_page_docs_and_schema_need_no_cdn(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="ner-form"' in page.text
    for name in ("index.html", "app.js", "style.css"):
        text = (STATIC_DIR / name).read_text()
        assert "http://" not in text and "https://" not in text, name
        assert client.get(f"/static/{name}").status_code == 200
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/ner", "/v1/models", "/health"} <= set(paths)


def test_label_colours_are_displacys_or_distinct_palette_ones():
    colors = label_colors(["ORG", "Disease", "Chemical", "protein"])
    assert colors["ORG"] == "#7aecec"  # displaCy's
    assert len(set(colors.values())) == 4 and set(colors.values()) <= set(PALETTE)


def test_model_names(models, ruler_pipeline):
    assert list(models) == ["en_serve_test"]  # a folder: <lang>_<meta name>
    assert model_name(models["en_serve_test"].nlp, "en_bioner_cnn") == "en_bioner_cnn"  # a package keeps its name


def test_cli_refuses_a_pipeline_it_cannot_load_in_one_line(capsys, tmp_path):
    assert run_cli(serve, ["--model", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("\u2718") and "cannot load the pipeline" in err[0]


def test_cli_refuses_the_same_pipeline_twice(capsys, ruler_pipeline):
    assert run_cli(serve, ["--model", str(ruler_pipeline), "--model", str(ruler_pipeline)]) == 1
    assert "already served" in capsys.readouterr().err


def test_answer_check_catches_wrong_offsets():
    good = {"results": [{"entities": [{"start": 4, "end": 11, "label": "Chemical", "text": "aspirin"}]}]}
    assert answer_ok(["Try aspirin."], good)
    assert not answer_ok(["Try aspirin!", "x"], good)  # one result for two texts
    assert not answer_ok(["Try Aspirin?"], {"results": [{"entities": [dict(good["results"][0]["entities"][0],
                                                                          start=3)]}]})


def test_bounded_load_run_against_a_real_server(ruler_pipeline):
    result = benchmark(str(ruler_pipeline), requests=50, concurrency=8, n_synthetic=60)
    load = result["load"]
    assert load["errors"] == 0, load["error_kinds"]
    assert load["requests"] == 50 and load["texts"] >= 50
    assert 0 < load["latency_ms"]["p50"] <= load["latency_ms"]["p95"] <= load["latency_ms"]["p99"]
    assert result["plain_pipe"]["words"] == load["words"]
    assert result["server_rss_mib"]["before"] > 0 and result["ratio"] > 0
    assert result["plain_pipe"]["words_per_cpu_s"] > 0 and load["server_cpu_seconds"] > 0
    assert [done for done, _ in load["server_rss_mib_by_requests_done"]] == list(range(5, 51, 5))
    assert "| p50 ms |" in markdown(result)
    json.dumps(result)


def test_a_wheels_copy_of_the_component_loads_after_bioner(tmp_path):
    """An installed wheel imports its own copy of abbreviations.py; with bioner
    imported first (the server does) that must not fail with E004."""
    import importlib.util

    from bioner.components import SHIPPED_MODULES

    copy = tmp_path / "abbreviations.py"
    copy.write_text(Path(SHIPPED_MODULES[0]).read_text())
    spec = importlib.util.spec_from_file_location("en_wheel_copy.abbreviations", copy)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


def test_stopping_fails_the_requests_in_flight_instead_of_leaving_them_waiting(ruler_pipeline):
    import asyncio

    from bioner.serve.batching import MicroBatcher, ShuttingDown

    nlp = load_models([str(ruler_pipeline)])["en_serve_test"].nlp
    nlp.add_pipe("serve_test_trouble")

    async def scenario():
        batcher = MicroBatcher(nlp, "t", max_texts=1, max_wait_ms=0)
        await batcher.start()
        running = asyncio.ensure_future(batcher.annotate(["SLOW"]))
        queued = asyncio.ensure_future(batcher.annotate(["aspirin"]))
        await asyncio.sleep(0.2)
        await batcher.stop()
        return await asyncio.gather(running, queued, return_exceptions=True)

    outcomes = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert all(isinstance(o, ShuttingDown) for o in outcomes)


# -- any text a client can send: 200 with exact offsets, or 422 naming it ------

# every code point, lone surrogate halves (JSON's "\ud800") included, weighted
# towards the troublesome ones: controls, NUL, non-characters, line separators
HOSTILE = ["\x00", "\x0b", "\x1f", "\x7f", "\x85", "\u2028", "\ufeff", "\ufffe", "\uffff", "\ufdd0",
           "\U0010ffff", "\u0301", "\ud800", "\udfff", "\udc00"]
ANY_CHAR = st.one_of(st.characters(exclude_categories=()), st.sampled_from(HOSTILE),
                     st.sampled_from(["aspirin", "naloxone", " ", "(", ")"]))


def check_answer(response, texts):
    """200 with offsets that slice each text, or 422 naming the text and the
    character that is not Unicode text (a lone surrogate); never anything else."""
    texts = json.loads(json.dumps(texts))  # as the server reads them: "\\ud83d\\ude00" is one character
    surrogates = [next((j for j, c in enumerate(t) if 0xD800 <= ord(c) <= 0xDFFF), None) for t in texts]
    if all(s is None for s in surrogates):
        assert response.status_code == 200, response.text
        for text, result in zip(texts, response.json()["results"]):
            for ent in result["entities"]:
                assert text[ent["start"]:ent["end"]] == ent["text"]
    else:
        assert response.status_code == 422, response.text
        i = next(i for i, s in enumerate(surrogates) if s is not None)
        char = texts[i][surrogates[i]]
        assert response.json()["detail"].startswith(
            f"text {i}: character {surrogates[i]} is U+{ord(char):04X}, a lone surrogate")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.lists(ANY_CHAR, max_size=30).map("".join), min_size=1, max_size=3))
def test_any_text_gets_200_with_exact_offsets_or_422_naming_the_character(client, texts):
    check_answer(post_json(client, {"texts": texts}), texts)


def post_json(client, body):
    """POST body as JSON with \\u escapes, as a client may: lone surrogates arrive as such."""
    return client.post("/v1/ner", content=json.dumps(body).encode("ascii"),
                       headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("texts", [["\ud800"], ["aspirin \udfff"], ["fine", "\ud83d x \ude00"], ["\x00\ufffe aspirin"]])
def test_lone_surrogates_are_422_not_500(client, texts):
    check_answer(post_json(client, {"texts": texts}), texts)


def test_raw_invalid_utf8_is_400_and_a_surrogate_model_name_404(client):
    response = client.post("/v1/ner", content=b'{"texts": ["aspirin \xff\xfe"]}',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "\n" not in response.json()["detail"]
    response = post_json(client, {"texts": ["aspirin"], "model": "\ud800"})
    assert response.status_code == 404 and "unknown model" in response.json()["detail"]


# -- provenance: a training folder is told apart from any other ----------------

def test_a_training_folder_is_served_with_its_training_and_digest(tmp_path, ruler_pipeline):
    """Two training folders with spaCy's default meta (en_pipeline 0.0.0)
    differ in /v1/models and in every answer: version label, corpus, config,
    fingerprint."""
    import spacy
    import srsly

    from bioner.layout import TrainingDir

    folders = []
    for corpus, patterns in (("bc5cdr", ["aspirin"]), ("ncbi_disease", ["headache"])):
        run = tmp_path / "training" / corpus / "cnn"
        nlp = spacy.blank("en")
        nlp.add_pipe("entity_ruler").add_patterns([{"label": "X", "pattern": p} for p in patterns])
        run.mkdir(parents=True)
        nlp.to_disk(run / "model-best")  # meta: name "pipeline", version "0.0.0"
        srsly.write_json(TrainingDir(run).stamp, {"fingerprint": corpus * 8, "config": "configs/cnn.cfg",
                                             "overrides": {"paths.train": f"corpus/{corpus}/train.spacy"}})
        folders.append(run / "model-best")
    models = load_models([str(f) for f in folders])
    with TestClient(create_app(models, SETTINGS)) as client:
        listed = client.get("/v1/models").json()["models"]
        assert [m["provenance"]["training"] for m in listed] == [
            {"fingerprint": "bc5cdr" * 8, "config": "configs/cnn.cfg", "corpus": "bc5cdr"},
            {"fingerprint": "ncbi_disease" * 8, "config": "configs/cnn.cfg", "corpus": "ncbi_disease"}]
        versions = [m["version"] for m in listed]
        assert versions[0] != versions[1] and all(v.startswith("0.0.0+") for v in versions)
        answer = client.post("/v1/ner", json={"texts": ["aspirin"], "model": listed[1]["name"]}).json()
        assert answer["version"] == versions[1] and answer["provenance"]["training"]["corpus"] == "ncbi_disease"
