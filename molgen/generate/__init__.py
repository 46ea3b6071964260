"""Generative design: a SMILES (or SELFIES) language-model prior (GRU/LSTM/transformer), its training and sampling.

The metrics (:mod:`molgen.generate.moses`) and goal-directed optimisation
(:mod:`molgen.generate.optimize`) are subpackages imported on their own.
"""

from molgen.generate.modules import ARCHITECTURES, RNNLanguageModel, TransformerLanguageModel, build_module
from molgen.generate.prior import Prior, PriorLoadError, load_prior, shipped_prior_path
from molgen.generate.tokenizer import SMILES_REGEX, SelfiesTokenizer, SmilesTokenizer, UnknownTokenError
from molgen.generate.train import train_prior

__all__ = [
    "ARCHITECTURES",
    "Prior",
    "PriorLoadError",
    "RNNLanguageModel",
    "SMILES_REGEX",
    "SelfiesTokenizer",
    "SmilesTokenizer",
    "TransformerLanguageModel",
    "UnknownTokenError",
    "build_module",
    "load_prior",
    "shipped_prior_path",
    "train_prior",
]
