"""Candidate scoring API: fit, save, load and predict efficacy models."""

from molgen.efficacy.attribution import Attribution, atom_attributions, draw_attributions
from molgen.efficacy.checkpoint import CheckpointError
from molgen.efficacy.control import ControlModel, control_summary
from molgen.efficacy.fit import assemble_efficacy_model, fit_efficacy_model
from molgen.efficacy.from_file import fit_from_file
from molgen.efficacy.model import EfficacyModel, load_model
from molgen.efficacy.prepare import TrainingData, prepare_training_data

__all__ = [
    "Attribution",
    "CheckpointError",
    "ControlModel",
    "EfficacyModel",
    "TrainingData",
    "assemble_efficacy_model",
    "atom_attributions",
    "control_summary",
    "draw_attributions",
    "fit_efficacy_model",
    "fit_from_file",
    "load_model",
    "prepare_training_data",
]
