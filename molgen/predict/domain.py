"""Applicability domain: packed Morgan bits of the training molecules."""

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from molgen.utils.quiet import rdkit_quiet

RADIUS, N_BITS = 2, 2048


def domain_fingerprints(smiles: list[str]) -> np.ndarray:
    """Packed (``np.packbits``) Morgan radius-2, 2048-bit fingerprints: ``n x 256`` uint8.

    Inputs are expected to be valid, standardized SMILES; an unparsable one gets a zero row.
    """
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=RADIUS, fpSize=N_BITS)
    bits = np.zeros((len(smiles), N_BITS), dtype=np.uint8)
    with rdkit_quiet():
        for i, smi in enumerate(smiles):
            mol = Chem.MolFromSmiles(smi)
            if mol is not None:
                bits[i] = generator.GetFingerprintAsNumPy(mol)
    return np.packbits(bits, axis=1)
