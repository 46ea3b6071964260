"""Fingerprints of the training molecules: Morgan bits (applicability domain) and atom pairs (kernel)."""

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from molgen.utils.quiet import rdkit_quiet

RADIUS, N_BITS = 2, 2048


def domain_fingerprints(smiles: list[str]) -> np.ndarray:
    """Packed (``np.packbits``) Morgan radius-2, 2048-bit fingerprints: ``n x 256`` uint8.

    Inputs are expected to be valid, standardized SMILES; an unparsable one gets a zero row.
    """
    return _packed(smiles, rdFingerprintGenerator.GetMorganGenerator(radius=RADIUS, fpSize=N_BITS))


def atom_pair_fingerprints(smiles: list[str]) -> np.ndarray:
    """Packed 2048-bit atom-pair fingerprints (``n x 256`` uint8), the kernel member's second fingerprint.

    Atom pairs encode the topological distance between every two atoms, so they see how far
    apart substituents sit on a scaffold that Morgan environments (radius 2) do not span.
    Inputs as for :func:`domain_fingerprints`.
    """
    return _packed(smiles, rdFingerprintGenerator.GetAtomPairGenerator(fpSize=N_BITS))


def _packed(smiles: list[str], generator) -> np.ndarray:
    bits = np.zeros((len(smiles), N_BITS), dtype=np.uint8)
    with rdkit_quiet():
        for i, smi in enumerate(smiles):
            mol = Chem.MolFromSmiles(smi)
            if mol is not None:
                bits[i] = generator.GetFingerprintAsNumPy(mol)
    return np.packbits(bits, axis=1)
