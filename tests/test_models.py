"""bioner/models.py: what a config holds is read from the config, not from
its file name: transformer or not, torch needed or not, which weights."""
import shutil

import pytest
from conftest import PROJECT_DIR

from bioner.errors import BionerError
from benchmarks.tuning import TUNED_HEADER
from bioner.models import traits_of

EXPECTED = {  # config: (has_transformer, needs_torch)
    "cnn": (False, False),
    "spacy_default": (False, False),
    "bilstm": (False, True),
    "scibert": (True, True),
}


@pytest.mark.parametrize("config", sorted(EXPECTED))
def test_traits_of_every_config(tmp_path, config):
    # under another name, and as a trained pipeline folder (config.cfg)
    renamed = tmp_path / "renamed.cfg"
    shutil.copy(PROJECT_DIR / "configs" / f"{config}.cfg", renamed)
    (tmp_path / "model-best").mkdir()
    shutil.copy(renamed, tmp_path / "model-best" / "config.cfg")
    for path in (renamed, tmp_path / "model-best"):
        traits = traits_of(path)
        assert (traits.has_transformer, traits.needs_torch) == EXPECTED[config]
    if config == "scibert":
        assert traits.transformer_component == "transformer"
        assert traits.transformer_name == "allenai/scibert_scivocab_cased"


def test_every_config_in_the_project_is_covered():
    # configs written by `weasel run tune` are the user's outputs, not the project's
    made = {p.stem for p in (PROJECT_DIR / "configs").glob("*.cfg") if p.read_text().startswith(TUNED_HEADER)}
    assert {p.stem for p in (PROJECT_DIR / "configs").glob("*.cfg")} - made == set(EXPECTED)


def test_bad_config_is_one_line_naming_the_file(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text((PROJECT_DIR / "configs" / "cnn.cfg").read_text().replace("spacy.MaxoutWindowEncoder.v2", "spacy.NoSuchLayer.v1"))
    with pytest.raises(BionerError, match=str(bad)):
        traits_of(bad)
    with pytest.raises(BionerError, match="config not found"):
        traits_of(tmp_path / "missing.cfg")
