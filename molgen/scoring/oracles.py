"""The download-free PMO oracles: GuacaMol's goal-directed scoring functions as TDC wraps them.

PMO (Gao et al., "Sample Efficiency Matters: A Benchmark for Practical Molecular
Optimization", NeurIPS 2022 Datasets and Benchmarks) scores its 23 tasks with TDC oracles,
most of them TDC's copies of GuacaMol's benchmark objectives (Brown et al., J. Chem. Inf.
Model. 2019). The 20 that need no downloaded model file are reimplemented here, with RDKit
alone, because neither package imports on this stack (GuacaMol 0.5.5 imports
``scipy.histogram``, removed from SciPy; PyTDC imports ``rdkit.six`` and ``pkg_resources``).

Sources, both MIT-licensed, read for their definitions (fingerprints, modifiers and their
parameters, target molecules, SMARTS, means): GuacaMol 0.5.5 (BenevolentAI)
``guacamol/standard_benchmarks.py``, ``common_scoring_functions.py``, ``score_modifier.py``,
``utils/fingerprints.py``, ``utils/descriptors.py``; TDC (PyTDC 0.3.6 and 1.1.15, the TDC team)
``tdc/chem_utils/oracle/oracle.py``. The tasks are those of GuacaMol's v2 goal-directed suite,
which TDC copies, not of its v1 suite: ``ranolazine_mpo`` is the geometric mean with a TPSA term
(v1's ``start_pop_ranolazine`` is an arithmetic mean with aromatic rings instead), and
``median1``, ``osimertinib_mpo``, ``fexofenadine_mpo`` and the isomer scores use geometric
means (v1 used arithmetic ones). The arithmetic follows TDC step by step (``np.exp`` and
``np.clip`` as its modifiers compute them, SciPy's ``gmean`` as ``exp(mean(log))``, the terms
in TDC's order), so scores agree with TDC's own code to the last bit on this RDKit;
``tests/generate/test_oracles.py`` checks them against values computed with TDC's original
functions, and against their definitions.

Fingerprints are GuacaMol's unfolded count fingerprints through ``rdFingerprintGenerator``
(``GetMorganFingerprint`` and ``GetAtomPairFingerprint`` are deprecated; the generators give
identical Tanimoto values): ECFP4 / ECFP6 = Morgan radius 2 / 3, FCFP4 = Morgan radius 2 on
feature invariants, AP = atom pairs up to distance 10, PHCO = Gobbi 2D pharmacophores.

The isomer tasks (``isomers_c7h8n2o2``, ``isomers_c9h10n2o2pf2cl``) and the MPO tasks with an
isomer term (``sitagliptin_mpo``, ``zaleplon_mpo``) come in two versions:

* the plain names count the molecule's atoms, H included (GuacaMol, and TDC since its
  2022-08-26 fix);
* the ``_prev`` names (TDC's own names for the old behaviour) count "total atoms" by running
  the molecular-formula pattern ``([A-Z][a-z]*)(\\d*)`` over the SMILES text, as the TDC code
  that PMO ran did: aromatic atoms are skipped unless glued to a capital (``Cc1`` counts once),
  implicit H never count and ring-closure digits read as counts. PMO's published figures for
  these four tasks are comparable only with the ``_prev`` versions.

DRD2, GSK3B and JNK3 are left out: they score with scikit-learn model files that are downloads.

Every oracle scores the RDKit canonical SMILES of the molecule, parsed again, as PMO's
``mol_opt`` passes canonical SMILES to TDC; a molecule that RDKit cannot parse raises
:class:`~molgen.chem.InvalidMoleculeError` (PMO never scores those; GuacaMol gives them -1).
"""

import functools
import re
from collections.abc import Callable

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import QED, Descriptors, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.Pharm2D import Generate, Gobbi_Pharm2D

from molgen.chem import InvalidMoleculeError
from molgen.utils.quiet import rdkit_quiet
from molgen.utils.registry import Registry

__all__ = [
    "FINGERPRINT_TYPES",
    "ORACLES",
    "clipped",
    "fingerprint",
    "gaussian",
    "geometric_mean",
    "isomer_score",
    "max_gaussian",
    "min_gaussian",
    "oracle_function",
    "score_oracle",
    "similarity",
]

#: name -> ``fn(mol, canonical_smiles) -> float`` in [0, 1]; use :func:`score_oracle` to call one.
ORACLES: Registry = Registry("oracle")

# ------------------------------------------------------------------ building blocks
_MORGAN2 = rdFingerprintGenerator.GetMorganGenerator(radius=2)
_MORGAN3 = rdFingerprintGenerator.GetMorganGenerator(radius=3)
_FEATURE_MORGAN2 = rdFingerprintGenerator.GetMorganGenerator(
    radius=2, atomInvariantsGenerator=rdFingerprintGenerator.GetMorganFeatureAtomInvGen()
)
_ATOM_PAIR = rdFingerprintGenerator.GetAtomPairGenerator(minDistance=1, maxDistance=10)

#: GuacaMol's fingerprint types: name -> function of a molecule.
FINGERPRINT_TYPES: dict[str, Callable] = {
    "ECFP4": _MORGAN2.GetSparseCountFingerprint,
    "ECFP6": _MORGAN3.GetSparseCountFingerprint,
    "FCFP4": _FEATURE_MORGAN2.GetSparseCountFingerprint,
    "AP": _ATOM_PAIR.GetSparseCountFingerprint,
    "PHCO": lambda mol: Generate.Gen2DFingerprint(mol, Gobbi_Pharm2D.factory),
}


def fingerprint(mol: Chem.Mol, fp_type: str):
    """GuacaMol fingerprint ``fp_type`` (``ECFP4``, ``ECFP6``, ``FCFP4``, ``AP``, ``PHCO``) of ``mol``.

    Raises
    ------
    ValueError
        For an unknown ``fp_type``.
    """
    try:
        fn = FINGERPRINT_TYPES[fp_type]
    except KeyError:
        raise ValueError(f"unknown fingerprint type {fp_type!r}; choose one of: {', '.join(FINGERPRINT_TYPES)}") from None
    return fn(mol)


@functools.cache
def _target_fingerprint(smiles: str, fp_type: str):
    return fingerprint(Chem.MolFromSmiles(smiles), fp_type)


def similarity(mol: Chem.Mol, target: str, fp_type: str) -> float:
    """Tanimoto similarity of ``mol`` to the molecule ``target`` (SMILES) on ``fp_type``.

    On count fingerprints this is ``sum(min) / (sum(a) + sum(b) - sum(min))``.
    """
    return DataStructs.TanimotoSimilarity(fingerprint(mol, fp_type), _target_fingerprint(target, fp_type))


def gaussian(x, mu: float, sigma: float):
    """GuacaMol's ``GaussianModifier``: ``exp(-0.5 * ((x - mu) / sigma) ** 2)``."""
    return np.exp(-0.5 * np.power((x - mu) / sigma, 2.0))


def min_gaussian(x, mu: float, sigma: float):
    """``MinGaussianModifier``: 1 for ``x <= mu``, the Gaussian above (lower is better)."""
    return gaussian(np.maximum(x, mu), mu, sigma)


def max_gaussian(x, mu: float, sigma: float):
    """``MaxGaussianModifier``: 1 for ``x >= mu``, the Gaussian below (higher is better)."""
    return gaussian(np.minimum(x, mu), mu, sigma)


def clipped(x, upper_x: float, lower_x: float = 0.0):
    """``ClippedScoreModifier``: 0 at ``lower_x`` rising linearly to 1 at ``upper_x``, clipped to [0, 1]."""
    slope = 1.0 / (upper_x - lower_x)
    intercept = 1.0 - slope * upper_x
    return np.clip(slope * x + intercept, 0.0, 1.0)


def geometric_mean(values) -> float:
    """TDC's mean (``scipy.stats.mstats.gmean``): ``exp(mean(log(values)))``; a zero gives 0."""
    with np.errstate(divide="ignore"):
        return float(np.exp(np.mean(np.log(np.asarray(values, dtype=float)))))


def _arithmetic_mean(values) -> float:
    return float(np.mean(values))


_FORMULA = re.compile(r"([A-Z][a-z]*)(\d*)")


def _parse_formula(text: str) -> list[tuple[str, int]]:
    """GuacaMol's ``parse_molecular_formula``: ``[(element, count), ...]``; also run on SMILES text by TDC's old isomer score."""
    return [(element, int(count) if count else 1) for element, count in _FORMULA.findall(text)]


def _count_element(mol: Chem.Mol, element: str) -> int:
    if element == "H":
        mol = Chem.AddHs(mol)
    return sum(1 for atom in mol.GetAtoms() if atom.GetSymbol() == element)


def isomer_score(mol: Chem.Mol, smiles: str, formula: str, *, total: str = "molecule") -> float:
    """Closeness of ``mol`` to the molecular formula ``formula`` (GuacaMol / TDC isomer score).

    The geometric mean of ``gaussian(count of X, n_X, 1)`` for each element X of ``formula``
    (H counted after adding hydrogens) and ``gaussian(total atoms, n_total, 2)``.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
    smiles : str
        ``mol``'s canonical SMILES (read when ``total="smiles_text"``).
    formula : str
        E.g. ``"C7H8N2O2"``.
    total : {"molecule", "smiles_text"}
        How the molecule's total atom count is found: from its formula, H included
        (GuacaMol; TDC since 2022-08-26), or by the formula pattern run over ``smiles``
        (TDC before that fix, which PMO ran: see the module docstring).

    Raises
    ------
    ValueError
        For an unknown ``total``.
    """
    if total not in ("molecule", "smiles_text"):
        raise ValueError(f"total must be 'molecule' or 'smiles_text', got {total!r}")
    target = _parse_formula(formula)
    n_total = sum(count for _, count in target)
    if total == "molecule":
        # TDC's fixed Isomer_scoring: canonical SMILES -> AddHs -> SMILES -> molecule; total from its formula.
        with_h = Chem.MolToSmiles(Chem.AddHs(Chem.MolFromSmiles(Chem.MolToSmiles(mol))))
        mol = Chem.MolFromSmiles(with_h)
        n_test = sum(count for _, count in _parse_formula(rdMolDescriptors.CalcMolFormula(Chem.MolFromSmiles(with_h))))
    else:
        n_test = sum(count for _, count in _parse_formula(smiles))
    scores = [gaussian(_count_element(mol, element), count, 1.0) for element, count in target]
    scores.append(gaussian(n_test, n_total, 2.0))
    return geometric_mean(scores)


def _smarts_present(mol: Chem.Mol, smarts: str) -> float:
    return 1.0 if len(mol.GetSubstructMatches(_smarts(smarts))) > 0 else 0.0


@functools.cache
def _smarts(smarts: str) -> Chem.Mol:
    return Chem.MolFromSmarts(smarts)


@functools.cache
def _target_property(smiles: str, name: str) -> float:
    fn = {"logp": Descriptors.MolLogP, "tpsa": Descriptors.TPSA, "bertz": Descriptors.BertzCT}[name]
    return float(fn(Chem.MolFromSmiles(smiles)))


# ------------------------------------------------------------------ the oracles
def _oracle(name: str):
    return ORACLES.register(name)


@_oracle("qed")
def qed(mol, smiles):
    """QED (RDKit's ``QED.qed``, default weights)."""
    return QED.qed(mol)


CELECOXIB = "CC1=CC=C(C=C1)C1=CC(=NN1C1=CC=C(C=C1)S(N)(=O)=O)C(F)(F)F"
TROGLITAZONE = "Cc1c(C)c2OC(C)(COc3ccc(CC4SC(=O)NC4=O)cc3)CCc2c(C)c1O"
THIOTHIXENE = "CN(C)S(=O)(=O)c1ccc2Sc3ccccc3C(=CCCN4CCN(C)CC4)c2c1"
ALBUTEROL = "CC(C)(C)NCC(O)c1ccc(O)c(CO)c1"
MESTRANOL = "COc1ccc2[C@H]3CC[C@@]4(C)[C@@H](CC[C@@]4(O)C#C)[C@@H]3CCc2c1"
CAMPHOR = "CC1(C)C2CCC1(C)C(=O)C2"
MENTHOL = "CC(C)C1CCC(C)CC1O"
TADALAFIL = "O=C1N(CC(N2C1CC3=C(C2C4=CC5=C(OCO5)C=C4)NC6=C3C=CC=C6)=O)C"
SILDENAFIL = "CCCC1=NN(C2=C1N=C(NC2=O)C3=C(C=CC(=C3)S(=O)(=O)N4CCN(CC4)C)OCC)C"
OSIMERTINIB = "COc1cc(N(C)CCN(C)C)c(NC(=O)C=C)cc1Nc2nccc(n2)c3cn(C)c4ccccc34"
FEXOFENADINE = "CC(C)(C(=O)O)c1ccc(cc1)C(O)CCCN2CCC(CC2)C(O)(c3ccccc3)c4ccccc4"
RANOLAZINE = "COc1ccccc1OCC(O)CN2CCN(CC(=O)Nc3c(C)cccc3C)CC2"
PERINDOPRIL = "O=C(OCC)C(NC(C(=O)N1C(C(=O)O)CC2CCCCC12)C)CCC"
AMLODIPINE = r"Clc1ccccc1C2C(=C(/N/C(=C2/C(=O)OCC)COCCN)C)\C(=O)OC"
SITAGLIPTIN = "Fc1cc(c(F)cc1F)CC(N)CC(=O)N3Cc2nnc(n2CC3)C(F)(F)F"
ZALEPLON = "O=C(C)N(CC)C1=CC=CC(C2=CC=NC3=C(C=NN23)C#N)=C1"
#: valsartan_smarts takes its property targets from this SMILES of sitagliptin (another writing than SITAGLIPTIN's).
SITAGLIPTIN_VALSARTAN = "NC(CC(=O)N1CCn2c(nnc2C(F)(F)F)C1)Cc1cc(F)c(F)cc1F"
VALSARTAN_SMARTS = "CN(C=O)Cc1ccc(c2ccccc2)cc1"
#: deco_hop's and scaffold_hop's pharmacophore reference.
HOP_REFERENCE = "CCCOc1cc2ncnc(Nc3ccc4ncsc4c3)c2cc1S(=O)(=O)C(C)(C)C"
HOP_SCAFFOLD = "[#7]-c1n[c;h1]nc2[c;h1]c(-[#8])[c;h0][c;h1]c12"


@_oracle("celecoxib_rediscovery")
def celecoxib_rediscovery(mol, smiles):
    """ECFP4 Tanimoto similarity to celecoxib."""
    return similarity(mol, CELECOXIB, "ECFP4")


@_oracle("troglitazone_rediscovery")
def troglitazone_rediscovery(mol, smiles):
    """ECFP4 Tanimoto similarity to troglitazone."""
    return similarity(mol, TROGLITAZONE, "ECFP4")


@_oracle("thiothixene_rediscovery")
def thiothixene_rediscovery(mol, smiles):
    """ECFP4 Tanimoto similarity to thiothixene."""
    return similarity(mol, THIOTHIXENE, "ECFP4")


@_oracle("albuterol_similarity")
def albuterol_similarity(mol, smiles):
    """FCFP4 similarity to albuterol, clipped at 0.75."""
    return clipped(similarity(mol, ALBUTEROL, "FCFP4"), 0.75)


@_oracle("mestranol_similarity")
def mestranol_similarity(mol, smiles):
    """Atom-pair similarity to mestranol, clipped at 0.75."""
    return clipped(similarity(mol, MESTRANOL, "AP"), 0.75)


@_oracle("median1")
def median1(mol, smiles):
    """Geometric mean of the ECFP4 similarities to camphor and menthol."""
    return geometric_mean([similarity(mol, CAMPHOR, "ECFP4"), similarity(mol, MENTHOL, "ECFP4")])


@_oracle("median2")
def median2(mol, smiles):
    """Geometric mean of the ECFP6 similarities to tadalafil and sildenafil."""
    return geometric_mean([similarity(mol, TADALAFIL, "ECFP6"), similarity(mol, SILDENAFIL, "ECFP6")])


@_oracle("osimertinib_mpo")
def osimertinib_mpo(mol, smiles):
    """Like osimertinib (FCFP4, clipped at 0.8) but not too alike (ECFP6 <= 0.85), TPSA >= 100, logP <= 1."""
    return geometric_mean(
        [
            max_gaussian(Descriptors.TPSA(mol), 100, 10),
            min_gaussian(Descriptors.MolLogP(mol), 1, 1),
            clipped(similarity(mol, OSIMERTINIB, "FCFP4"), 0.8),
            min_gaussian(similarity(mol, OSIMERTINIB, "ECFP6"), 0.85, 0.1),
        ]
    )


@_oracle("fexofenadine_mpo")
def fexofenadine_mpo(mol, smiles):
    """Like fexofenadine (atom pairs, clipped at 0.8), TPSA >= 90, logP <= 4."""
    return geometric_mean(
        [
            max_gaussian(Descriptors.TPSA(mol), 90, 10),
            min_gaussian(Descriptors.MolLogP(mol), 4, 1),
            clipped(similarity(mol, FEXOFENADINE, "AP"), 0.8),
        ]
    )


@_oracle("ranolazine_mpo")
def ranolazine_mpo(mol, smiles):
    """Like ranolazine (atom pairs, clipped at 0.7), TPSA >= 95, logP >= 7, one fluorine."""
    return geometric_mean(
        [
            max_gaussian(Descriptors.TPSA(mol), 95, 20),
            max_gaussian(Descriptors.MolLogP(mol), 7, 1),
            clipped(similarity(mol, RANOLAZINE, "AP"), 0.7),
            gaussian(_count_element(mol, "F"), 1, 1.0),
        ]
    )


@_oracle("perindopril_mpo")
def perindopril_mpo(mol, smiles):
    """ECFP4 similarity to perindopril and two aromatic rings."""
    return geometric_mean([similarity(mol, PERINDOPRIL, "ECFP4"), gaussian(rdMolDescriptors.CalcNumAromaticRings(mol), 2, 0.5)])


@_oracle("amlodipine_mpo")
def amlodipine_mpo(mol, smiles):
    """ECFP4 similarity to amlodipine and three rings."""
    return geometric_mean([similarity(mol, AMLODIPINE, "ECFP4"), gaussian(rdMolDescriptors.CalcNumRings(mol), 3, 0.5)])


def _sitagliptin(mol, smiles, total):
    return geometric_mean(
        [
            gaussian(similarity(mol, SITAGLIPTIN, "ECFP4"), 0, 0.1),
            gaussian(Descriptors.MolLogP(mol), _target_property(SITAGLIPTIN, "logp"), 0.2),
            gaussian(Descriptors.TPSA(mol), _target_property(SITAGLIPTIN, "tpsa"), 5),
            isomer_score(mol, smiles, "C16H15F6N5O", total=total),
        ]
    )


@_oracle("sitagliptin_mpo")
def sitagliptin_mpo(mol, smiles):
    """Unlike sitagliptin (ECFP4) with its logP, TPSA and formula C16H15F6N5O."""
    return _sitagliptin(mol, smiles, "molecule")


@_oracle("sitagliptin_mpo_prev")
def sitagliptin_mpo_prev(mol, smiles):
    """``sitagliptin_mpo`` with the isomer total counted over the SMILES text (as PMO ran it)."""
    return _sitagliptin(mol, smiles, "smiles_text")


@_oracle("zaleplon_mpo")
def zaleplon_mpo(mol, smiles):
    """ECFP4 similarity to zaleplon and the formula C19H17N3O2."""
    return geometric_mean([similarity(mol, ZALEPLON, "ECFP4"), isomer_score(mol, smiles, "C19H17N3O2")])


@_oracle("zaleplon_mpo_prev")
def zaleplon_mpo_prev(mol, smiles):
    """``zaleplon_mpo`` with the isomer total counted over the SMILES text (as PMO ran it)."""
    return geometric_mean([similarity(mol, ZALEPLON, "ECFP4"), isomer_score(mol, smiles, "C19H17N3O2", total="smiles_text")])


@_oracle("isomers_c7h8n2o2")
def isomers_c7h8n2o2(mol, smiles):
    """Isomer score for C7H8N2O2."""
    return isomer_score(mol, smiles, "C7H8N2O2")


@_oracle("isomers_c7h8n2o2_prev")
def isomers_c7h8n2o2_prev(mol, smiles):
    """Isomer score for C7H8N2O2, total counted over the SMILES text (as PMO ran it)."""
    return isomer_score(mol, smiles, "C7H8N2O2", total="smiles_text")


@_oracle("isomers_c9h10n2o2pf2cl")
def isomers_c9h10n2o2pf2cl(mol, smiles):
    """Isomer score for C9H10N2O2PF2Cl."""
    return isomer_score(mol, smiles, "C9H10N2O2PF2Cl")


@_oracle("isomers_c9h10n2o2pf2cl_prev")
def isomers_c9h10n2o2pf2cl_prev(mol, smiles):
    """Isomer score for C9H10N2O2PF2Cl, total counted over the SMILES text (as PMO ran it)."""
    return isomer_score(mol, smiles, "C9H10N2O2PF2Cl", total="smiles_text")


@_oracle("valsartan_smarts")
def valsartan_smarts(mol, smiles):
    """Valsartan's biphenyl-amide SMARTS with sitagliptin's logP, TPSA and Bertz complexity."""
    return geometric_mean(
        [
            _smarts_present(mol, VALSARTAN_SMARTS),
            gaussian(Descriptors.TPSA(mol), _target_property(SITAGLIPTIN_VALSARTAN, "tpsa"), 5),
            gaussian(Descriptors.MolLogP(mol), _target_property(SITAGLIPTIN_VALSARTAN, "logp"), 0.2),
            gaussian(Descriptors.BertzCT(mol), _target_property(SITAGLIPTIN_VALSARTAN, "bertz"), 30),
        ]
    )


@_oracle("deco_hop")
def deco_hop(mol, smiles):
    """Keep the quinazoline scaffold, change the decorations (mean of a pharmacophore similarity and three SMARTS)."""
    return _arithmetic_mean(
        [
            clipped(similarity(mol, HOP_REFERENCE, "PHCO"), 0.85),
            1.0 - _smarts_present(mol, "CS([#6])(=O)=O"),
            1.0 - _smarts_present(mol, "[#7]-c1ccc2ncsc2c1"),
            _smarts_present(mol, HOP_SCAFFOLD),
        ]
    )


@_oracle("scaffold_hop")
def scaffold_hop(mol, smiles):
    """Keep the decorations, change the scaffold (mean of a pharmacophore similarity and two SMARTS)."""
    return _arithmetic_mean(
        [
            clipped(similarity(mol, HOP_REFERENCE, "PHCO"), 0.75),
            _smarts_present(mol, "[#6]-[#6]-[#6]-[#8]-[#6]~[#6]~[#6]~[#6]~[#6]-[#7]-c1ccc2ncsc2c1"),
            1.0 - _smarts_present(mol, HOP_SCAFFOLD),
        ]
    )


# ------------------------------------------------------------------ calling one
def oracle_function(name: str) -> Callable[[str], float]:
    """``f(smiles) -> float`` for oracle ``name`` (see :func:`score_oracle`).

    Raises
    ------
    ValueError
        For an unknown name, listing the valid ones.
    """
    fn = ORACLES.get(name)
    return functools.partial(_score, fn)


def _score(fn, smiles: str) -> float:
    with rdkit_quiet():
        mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles.strip() else None
        if mol is None:
            raise InvalidMoleculeError("" if smiles is None else str(smiles), "invalid_smiles", "RDKit cannot parse it")
        canonical = Chem.MolToSmiles(mol)
        return float(fn(Chem.MolFromSmiles(canonical), canonical))


def score_oracle(name: str, smiles: str) -> float:
    """Score one molecule with oracle ``name``, in [0, 1].

    The molecule is written as RDKit canonical SMILES and parsed again, then scored, as PMO's
    ``mol_opt`` hands canonical SMILES to TDC.

    Parameters
    ----------
    name : str
        One of :data:`ORACLES` (e.g. ``"osimertinib_mpo"``, ``"zaleplon_mpo_prev"``).
    smiles : str

    Raises
    ------
    ValueError
        For an unknown name.
    molgen.chem.InvalidMoleculeError
        If RDKit cannot parse ``smiles``.

    Examples
    --------
    >>> score_oracle("celecoxib_rediscovery", "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1")
    1.0
    """
    return oracle_function(name)(smiles)
