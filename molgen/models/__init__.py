"""Graph neural network models for molecular property (efficacy) prediction.

Torch and PyTorch Geometric only: no RDKit, Ray, pandas or file IO; dimensions are
plain ints. A model is composed from parts, as in Chemprop v2::

    model = MoleculeModel(encoder, readout, head, descriptor_dim=0)
    z = model.embed(batch)      # n_graphs x model.embedding_dim
    y = model(batch)            # raw outputs (values, logits)
    p = model.predict(batch)    # probabilities for classification

or from plain hyperparameters with ``build_model(ModelConfig(atom_dim=..., bond_dim=...))``.
Batches are ``torch_geometric`` batches of graphs from ``molgen.featurize`` (the D-MPNN
needs both directions of each bond as adjacent edges, so edge ``e ^ 1`` is the reverse
of edge ``e``).
"""

from molgen.models.config import ModelConfig
from molgen.models.encoders import ENCODERS, AttentiveFPEncoder, DMPNNEncoder, GINEEncoder, build_encoder
from molgen.models.heads import ACTIVATIONS, FFN, TASKS, BinaryHead, MulticlassHead, RegressionHead
from molgen.models.losses import (
    gaussian_nll,
    masked_bce_with_logits,
    masked_cross_entropy,
    masked_mse,
    observed_mask,
)
from molgen.models.model import MoleculeModel, build_model
from molgen.models.readout import READOUTS, MeanReadout, NormReadout, SumReadout, build_readout

__all__ = [
    "ACTIVATIONS",
    "ENCODERS",
    "FFN",
    "READOUTS",
    "TASKS",
    "AttentiveFPEncoder",
    "BinaryHead",
    "DMPNNEncoder",
    "GINEEncoder",
    "MeanReadout",
    "ModelConfig",
    "MoleculeModel",
    "MulticlassHead",
    "NormReadout",
    "RegressionHead",
    "SumReadout",
    "build_encoder",
    "build_model",
    "build_readout",
    "gaussian_nll",
    "masked_bce_with_logits",
    "masked_cross_entropy",
    "masked_mse",
    "observed_mask",
]
