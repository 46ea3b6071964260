"""Candidate scoring API: fit, save, load and predict efficacy models."""

from molgen.predict.attribution import Attribution, atom_attributions, draw_attributions
from molgen.predict.checkpoint import CheckpointError
from molgen.predict.efficacy import EfficacyModel, load_model
from molgen.predict.fit import fit_efficacy_model

__all__ = [
    "Attribution",
    "CheckpointError",
    "EfficacyModel",
    "atom_attributions",
    "draw_attributions",
    "fit_efficacy_model",
    "load_model",
]
