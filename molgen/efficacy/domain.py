"""Fingerprints of the training molecules: Morgan bits (applicability domain) and atom pairs (kernel)."""

import numpy as np
from rdkit import Chem

from molgen.featurize.fingerprints import packed_fingerprints
from molgen.utils.quiet import rdkit_quiet

RADIUS, N_BITS = 2, 2048


def domain_fingerprints(smiles: list[str]) -> np.ndarray:
    """Packed (``np.packbits``) Morgan radius-2, 2048-bit fingerprints: ``n x 256`` uint8.

    Inputs are expected to be valid, standardized SMILES; an unparsable one gets a zero row.
    """
    return _packed(smiles, "morgan")


def atom_pair_fingerprints(smiles: list[str]) -> np.ndarray:
    """Packed 2048-bit atom-pair fingerprints (``n x 256`` uint8), the kernel member's second fingerprint.

    Atom pairs encode the topological distance between every two atoms, so they see how far
    apart substituents sit on a scaffold that Morgan environments (radius 2) do not span.
    Inputs as for :func:`domain_fingerprints`.
    """
    return _packed(smiles, "atom_pair")


def _packed(smiles: list[str], kind: str) -> np.ndarray:
    with rdkit_quiet():
        return packed_fingerprints([Chem.MolFromSmiles(smi) for smi in smiles], kind, radius=RADIUS, n_bits=N_BITS)
