"""What kind of model a config holds, read from the config itself (not from
its file name or a substring): does it have a transformer, does it need torch
at run time, which transformer weights does it load.

The pipeline is built from the config, as spaCy does before training, without
initialising it: no weights are loaded or downloaded, so this is cheap.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Union

from confection import Config
from spacy.util import load_config, load_model_from_config
from thinc.api import Model
from thinc.shims import PyTorchShim

from . import components  # noqa: F401  (configs name bioner's factories)
from .errors import BionerError

# Factories whose component wraps a Hugging Face transformer
TRANSFORMER_FACTORIES = ("transformer", "curated_transformer")


@dataclass(frozen=True)
class ModelTraits:
    transformer_component: Optional[str]  # name of the transformer component, if any
    transformer_name: Optional[str]  # the weights it loads (HF name or folder)
    needs_torch: bool  # PyTorch layers: torch at run time, no fork after torch ran

    @property
    def has_transformer(self) -> bool:
        return self.transformer_component is not None


def _uses_pytorch(model: Model) -> bool:
    return any(isinstance(shim, PyTorchShim) for node in model.walk() for shim in node.shims)


def traits_of_config(config: Union[Config, Dict[str, Any]], where: str = "config") -> ModelTraits:
    """Traits of the pipeline a (training or trained) config describes."""
    try:
        nlp = load_model_from_config(Config(config), auto_fill=True, validate=False)
    except Exception as err:  # an unknown registry entry, a bad value ...
        raise BionerError(f"{where}: cannot build the pipeline it describes ({type(err).__name__}: "
                          f"{' '.join(str(err).split())[:300]})") from None
    transformer = None
    for name, factory in zip(nlp.pipe_names, (nlp.get_pipe_meta(n).factory for n in nlp.pipe_names)):
        if factory in TRANSFORMER_FACTORIES:
            transformer = name
            break
    weights = None
    if transformer is not None:
        weights = config["components"][transformer].get("model", {}).get("name")
    # A transformer's PyTorch module is only created when it is initialised;
    # other PyTorch layers (the BiLSTM) exist once the model is built.
    torch = transformer is not None or any(
        _uses_pytorch(pipe.model) for _, pipe in nlp.pipeline if isinstance(getattr(pipe, "model", None), Model)
    )
    return ModelTraits(transformer, weights, torch)


def traits_of(path: Union[str, Path]) -> ModelTraits:
    """Traits of configs/<model>.cfg, or of a pipeline folder (its config.cfg)."""
    path = Path(path)
    config_path = path / "config.cfg" if path.is_dir() else path
    if not config_path.is_file():
        raise BionerError(f"{config_path}: config not found. Give a .cfg file or a pipeline folder.")
    return traits_of_config(load_config(config_path, interpolate=True), where=str(config_path))
