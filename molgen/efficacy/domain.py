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


#: Share of the calibration molecules (as new to the model as the test part) that fall inside
#: the domain: the similarity threshold is their 5th percentile.
DOMAIN_QUANTILE = 0.05


def domain_record(train_smiles: list[str], calibration_similarity: np.ndarray) -> dict:
    """The applicability domain stored with a model: the elements of the training molecules and
    the similarity threshold (the :data:`DOMAIN_QUANTILE` quantile of the calibration molecules'
    ``ad_similarity``; ``None`` without calibration molecules)."""
    elements = set()
    with rdkit_quiet():
        for smi in train_smiles:
            mol = Chem.MolFromSmiles(smi)
            if mol is not None:
                elements.update(atom.GetSymbol() for atom in mol.GetAtoms())
    sims = np.asarray(calibration_similarity, dtype=np.float64)
    sims = sims[np.isfinite(sims)]
    threshold = round(float(np.quantile(sims, DOMAIN_QUANTILE)), 4) if len(sims) else None
    return {"elements": sorted(elements), "similarity_threshold": threshold, "quantile": DOMAIN_QUANTILE}


def domain_reasons(smiles: list[str], similarity: np.ndarray, domain: dict | None) -> list[str | None]:
    """Why each molecule is outside the model's applicability domain (``None``: inside).

    Out of domain: a dummy atom (``*``), no heavy atom, an element none of the training
    molecules has, or ``similarity`` (max Tanimoto to the training molecules) below the
    stored threshold. ``domain`` is :func:`domain_record`'s dict; without one (models saved
    before format 5) only the first two checks run.
    """
    domain = domain or {}
    known = set(domain.get("elements") or ())
    threshold = domain.get("similarity_threshold")
    out = []
    with rdkit_quiet():
        for smi, sim in zip(smiles, similarity):
            mol = Chem.MolFromSmiles(smi) if smi else None
            reasons = []
            if mol is not None:
                symbols = {atom.GetSymbol() for atom in mol.GetAtoms()}
                if "*" in symbols:
                    reasons.append("dummy atom (*)")
                if mol.GetNumHeavyAtoms() == 0:
                    reasons.append("no heavy atom")
                unseen = sorted(symbols - known - {"*", "H"}) if known else []
                if unseen:
                    reasons.append(f"element{'s' if len(unseen) > 1 else ''} {', '.join(unseen)} not in the training molecules")
            if threshold is not None and np.isfinite(sim) and sim < threshold:
                reasons.append(f"similarity {sim:.2f} to the training molecules is below the domain threshold {threshold:.2f}")
            out.append(("out of domain: " + "; ".join(reasons)) if reasons else None)
    return out
