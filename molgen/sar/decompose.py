"""R-group decomposition of a congeneric series around its core (RDKit ``rdRGroupDecomposition``).

The core is given as SMILES or SMARTS (R labels such as ``[*:1]`` fix the positions; without
them RDKit labels every substituted core atom), or found by :func:`find_core`.
"""

import logging
import random
import re
from collections.abc import Iterable, Sequence

import pandas as pd
from rdkit import Chem
from rdkit.Chem import rdFMCS
from rdkit.Chem import rdRGroupDecomposition as rgd

from molgen.chem.parse import DEFAULT_MAX_HEAVY_ATOMS, parse_smiles_batch
from molgen.chem.states import InvalidMoleculeError
from molgen.utils.quiet import rdkit_quiet

__all__ = ["CORE_COL", "NO_CORE_MATCH", "assemble", "attachment_positions", "decompose", "find_core", "position_columns"]

log = logging.getLogger(__name__)

#: State of a parsed molecule that does not contain the core.
NO_CORE_MATCH = "no_core_match"

#: Column of the R-group table holding each molecule's core, its attachment points labelled.
CORE_COL = "core"

_R_COL = re.compile(r"R(\d+)")
_ATTACHMENT = re.compile(r"\[\*:(\d+)\]")
# syntax of SMARTS that SMILES does not have (or, for [#6], reads differently: an atom without hydrogens)
_SMARTS_ONLY = re.compile(r"\[#|[&;,~!]|\$\(")
# a ring-membership constraint (R, not !R) in an MCS query atom such as [#6&R]
_RING_QUERY = re.compile(r"(?<![!a-zA-Z])R(?![a-z])")


def position_columns(columns: Iterable) -> list[str]:
    """The R-group table's position columns in order: ``core``, then ``R1``, ``R2``, ... by number.

    Parameters
    ----------
    columns : iterable of str
        Column names, e.g. ``table.columns``; other names are left out.

    Returns
    -------
    list of str

    Examples
    --------
    >>> position_columns(["state", "R10", "R2", "core", "error"])
    ['core', 'R2', 'R10']
    """
    names = [str(c) for c in columns]
    groups = sorted((c for c in names if _R_COL.fullmatch(c)), key=lambda c: int(c[1:]))
    return ([CORE_COL] if CORE_COL in names else []) + groups


def attachment_positions(core_smiles: str) -> list[str]:
    """The R positions a core SMILES from :func:`decompose` carries: ``"c1cc([*:2])ccc1[*:1]"`` -> ``['R1', 'R2']``."""
    return [f"R{n}" for n in sorted({int(n) for n in _ATTACHMENT.findall(core_smiles)})]


def _trim_partial_rings(query: Chem.Mol) -> Chem.Mol:
    """Drop query atoms that must be in a ring but are not in one of the query's rings.

    With ``completeRingsOnly`` RDKit's MCS can still end in a single ring atom (``-[#6&R]``);
    as part of a core it makes the rest of that ring an R group attached twice to one label.
    """
    mol = Chem.RWMol(query)
    while True:
        mol.UpdatePropertyCache(strict=False)
        Chem.FastFindRings(mol)
        loose = [a.GetIdx() for a in mol.GetAtoms() if not a.IsInRing() and _RING_QUERY.search(a.GetSmarts())]
        if not loose or len(loose) == mol.GetNumAtoms():
            return mol.GetMol()
        for idx in sorted(loose, reverse=True):
            mol.RemoveAtom(idx)


def find_core(
    smiles,
    *,
    threshold: float = 0.8,
    timeout: float = 10.0,
    sample_size: int | None = 100,
    seed: int = 0,
    min_atoms: int = 6,
    standardizer=None,
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
) -> str:
    """Find the core of a series: the maximum common substructure (RDKit ``rdFMCS``) of most of it.

    The core is the largest substructure shared by at least ``threshold`` of the molecules,
    with rings matching only rings and only whole rings kept (``ringMatchesRingOnly``,
    ``completeRingsOnly``), atoms compared by element and bonds by order. RDKit grows the
    search from the smallest molecule, so the smallest ``1 - threshold`` of the molecules,
    which may lack the core, are left out of it (with the threshold lowered to match): a
    small outlier no longer reduces the core to a few atoms. The most common
    Bemis-Murcko scaffold is not used: a scaffold keeps every ring, those of the substituents
    included, so where the R groups carry rings (as in CHEMBL2321810, whose 1,017 molecules
    have 278 scaffolds, the most common one held by 67) it is the core of a small part of the
    series only. The MCS at a coverage threshold is what R-group decomposition needs: the
    part held in common, with the variation around it.

    Parameters
    ----------
    smiles : iterable of str
        The series; molecules that cannot be parsed are left out of the search.
    threshold : float
        Fraction of the (sampled) molecules that must contain the core, in (0, 1].
    timeout : float
        Seconds the MCS search may take. When it runs out, the largest common substructure
        found so far is used and a warning is logged.
    sample_size : int or None
        Search the MCS of this many molecules drawn at random (``seed``) instead of all of
        them: the search time grows quickly with the number of molecules, and the core of a
        series is found as well in a sample. ``None``: all molecules.
    seed : int
        Seed of the sample.
    min_atoms : int
        A common substructure with fewer atoms is not taken as a core.
    standardizer : molgen.chem.Standardizer or None
        As for :func:`decompose`; molecules it fails on are left out.
    max_heavy_atoms : int or None
        Passed to :func:`molgen.chem.parse_smiles_batch`.

    Returns
    -------
    str
        The core as SMARTS, for :func:`decompose` (``core=``) or ``molgen sar --core``.

    Raises
    ------
    ValueError
        Fewer than two valid molecules, ``threshold`` or ``timeout`` out of range, or no
        common substructure of at least ``min_atoms`` atoms (the message says what to try).

    Examples
    --------
    >>> find_core(["c1ccccc1CCN", "c1ccccc1CCO", "Clc1ccccc1CC", "c1ccccc1CC(F)(F)F"], threshold=1.0)
    '[#6]1:&@[#6]:&@[#6]:&@[#6]:&@[#6]:&@[#6]:&@1-&!@[#6&!R]-&!@[#6&!R]'
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    mols = [m for m in _read(smiles, standardizer, max_heavy_atoms)[0] if m is not None]
    if len(mols) < 2:
        raise ValueError(f"finding a core needs at least 2 valid molecules, got {len(mols)}; give the core as SMARTS")
    if sample_size is not None and len(mols) > sample_size:
        mols = random.Random(seed).sample(mols, sample_size)
    # RDKit grows the MCS from the smallest molecule, even under a threshold: one small outlier
    # (a reagent, a fragment) would shrink the core to a few atoms. The smallest molecules that
    # the threshold allows to lack the core are left out, and the threshold is lowered so that
    # every substructure in `threshold` of all molecules still qualifies.
    n_all = len(mols)
    skip = min(int((1 - threshold) * n_all + 1e-9), n_all - 2)
    mols = sorted(mols, key=lambda m: (m.GetNumAtoms(), m.GetNumBonds()))[skip:]
    with rdkit_quiet():
        result = rdFMCS.FindMCS(
            mols,
            threshold=max(threshold * n_all - skip, 1) / len(mols),
            timeout=max(1, round(timeout)),
            ringMatchesRingOnly=True,
            completeRingsOnly=True,
        )
        query = Chem.MolFromSmarts(result.smartsString) if result.numAtoms else None
        core = _trim_partial_rings(query) if query is not None else None
    n_atoms = 0 if core is None else core.GetNumAtoms()
    if n_atoms < min_atoms:
        raise ValueError(
            f"no common core found: the largest substructure shared by {threshold:.0%} of {len(mols)} molecules has "
            f"{n_atoms} atom(s) (at least {min_atoms} needed); give the core as SMARTS or SMILES, or lower the threshold"
        )
    if result.canceled:
        log.warning("the core search stopped after %s s; the core is the largest common substructure found by then", timeout)
    return Chem.MolToSmarts(core)


def _read(smiles, standardizer, max_heavy_atoms: int | None) -> tuple[list, list[str], list[str]]:
    """Parsed (and standardized) molecules, states and errors, aligned with ``smiles``."""
    parsed = parse_smiles_batch(smiles, max_heavy_atoms=max_heavy_atoms)
    mols, states, errors = list(parsed.mols), list(parsed.states), list(parsed.errors)
    if standardizer is not None:
        for i, mol in enumerate(mols):
            if mol is None:
                continue
            try:
                mols[i] = standardizer(mol)
            except InvalidMoleculeError as err:
                mols[i], states[i], errors[i] = None, err.state.value, err.reason
    return mols, states, errors


def _core_mol(core) -> tuple[Chem.Mol, str]:
    """``(query molecule, text for messages)`` of a core given as a molecule, SMILES or SMARTS."""
    if isinstance(core, Chem.Mol):
        return core, Chem.MolToSmarts(core)
    if not isinstance(core, str):
        raise TypeError(f"core must be a SMILES or SMARTS string or an RDKit molecule, got {type(core).__name__}")
    text = core.strip()
    if not text:
        raise ValueError("core is empty; give a SMILES or SMARTS, or None to find the core")
    with rdkit_quiet():
        mol = None if _SMARTS_ONLY.search(text) else Chem.MolFromSmiles(text)
        if mol is None:
            mol = Chem.MolFromSmarts(text)
    if mol is None or mol.GetNumAtoms() == 0:
        raise ValueError(f"core {text!r} is neither a valid SMILES nor a valid SMARTS")
    return mol, text


def _parameters(timeout: float | None) -> rgd.RGroupDecompositionParameters:
    """Decomposition settings: see :func:`decompose`."""
    params = rgd.RGroupDecompositionParameters()
    params.matchingStrategy = rgd.Greedy
    params.scoreMethod = rgd.RGroupScore.FingerprintVariance
    params.onlyMatchAtRGroups = False
    if timeout is not None:
        params.timeout = float(timeout)
    return params


def decompose(
    smiles,
    core=None,
    *,
    standardizer=None,
    timeout: float | None = None,
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
) -> pd.DataFrame:
    """R-group table of a series: each molecule's core and substituents, one row per input row.

    RDKit's ``RGroupDecomposition`` with a greedy match scored by fingerprint variance (the
    scoring RDKit's Contrib Free-Wilson uses, which puts like substituents of a symmetric core
    under one label; the greedy search gives the same table as that code's genetic search on
    CHEMBL2321810 and is much faster). Substituents may sit anywhere on the core
    (``onlyMatchAtRGroups=False``); a core without R labels gets them from RDKit.

    Parameters
    ----------
    smiles : iterable of str or pandas.Series
        The series. A Series keeps its index in the table.
    core : str, rdkit.Chem.Mol or None
        SMILES or SMARTS of the core, R labels written ``[*:n]``
        (``"[*:1]c1ccc(cc1)S(=O)(=O)N[*:2]"``), an RDKit molecule (e.g. a molfile with R
        labels), or ``None`` to find it with :func:`find_core` and its defaults. A string
        with SMARTS-only syntax (``[#6]``, ``&``, ``;``, ``,``, ``~``, ``!``, ``$(``) is read as
        SMARTS, any other as SMILES (so a Kekulé ring matches aromatic rings), then as SMARTS.
    standardizer : molgen.chem.Standardizer or None
        Applied to each parsed molecule before the decomposition (strips salts: a counter-ion
        would otherwise become a substituent or block the match). ``None``: as parsed.
    timeout : float or None
        Seconds the decomposition may take (``None``: no limit).
    max_heavy_atoms : int or None
        Passed to :func:`molgen.chem.parse_smiles_batch`.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``smiles``: column ``core`` (the molecule's core with its attachment
        points ``[*:n]``), ``R1``, ``R2``, ... (canonical SMILES of each substituent, ``[H][*:n]``
        for hydrogen; ``""`` where the molecule has none), then ``state`` (``"valid"``, a
        :class:`molgen.chem.MolState` value for a molecule that could not be read, or
        ``"no_core_match"``) and ``error`` (why; ``""`` if valid). A row that is not valid
        has ``""`` in every position column. Nothing is dropped.

    Raises
    ------
    ValueError
        ``core`` is not a valid SMILES or SMARTS; ``core=None`` and no core was found; the
        decomposition did not finish within ``timeout``.
    TypeError
        ``core`` is of another type.

    Examples
    --------
    >>> table = decompose(["Oc1ccc(C)cc1", "Oc1ccc(Cl)cc1", "CCO", "C1CC"], core="[*:1]c1ccc([*:2])cc1")
    >>> table[["R1", "R2", "state"]].values.tolist()
    [['O[*:1]', 'C[*:2]', 'valid'], ['O[*:1]', 'Cl[*:2]', 'valid'], ['', '', 'no_core_match'], ['', '', 'invalid_smiles']]
    """
    if not isinstance(smiles, pd.Series):
        smiles = list(smiles)
    index = smiles.index if isinstance(smiles, pd.Series) else pd.RangeIndex(len(smiles))
    if core is None:
        core = find_core(smiles, standardizer=standardizer, max_heavy_atoms=max_heavy_atoms)
    mols, states, errors = _read(smiles, standardizer, max_heavy_atoms)
    valid = [i for i, mol in enumerate(mols) if mol is not None]
    core_mol, core_text = _core_mol(core)
    matched, rows = [], []
    with rdkit_quiet():
        decomposition = rgd.RGroupDecomposition([core_mol], _parameters(timeout))
        for i in valid:
            if decomposition.Add(mols[i]) >= 0:
                matched.append(i)
            else:
                states[i], errors[i] = NO_CORE_MATCH, f"does not contain the core {core_text}"
        if matched:
            if not decomposition.Process():
                reason = "failed" if timeout is None else f"did not finish within {timeout} s; allow more time or give a more specific core"
                raise ValueError(f"the R-group decomposition of {len(matched)} molecules around {core_text} {reason}")
            rows = [{key: Chem.MolToSmiles(mol) for key, mol in row.items()} for row in decomposition.GetRGroupsAsRows()]
    positions = position_columns({("core" if key == "Core" else key) for row in rows for key in row} | {CORE_COL})
    table = pd.DataFrame("", index=index, columns=positions, dtype=object)
    for i, row in zip(matched, rows, strict=True):
        for key, value in row.items():
            table.iat[i, positions.index(CORE_COL if key == "Core" else key)] = value
    table["state"] = states
    table["error"] = errors
    return table


def assemble(core: str, rgroups: Sequence[str]) -> str:
    """Join a core and its substituents (``[*:n]`` attachment points) into one molecule (``Chem.molzip``).

    Parameters
    ----------
    core : str
        A core SMILES from :func:`decompose`.
    rgroups : sequence of str
        Substituent SMILES, one per attachment point of ``core``; ``""`` entries are skipped.

    Returns
    -------
    str
        Canonical SMILES, hydrogens implicit.

    Raises
    ------
    ValueError
        The pieces do not join into a valid molecule, or an attachment point is left open.

    Examples
    --------
    >>> assemble("c1cc([*:2])ccc1[*:1]", ["Cl[*:1]", "[H][*:2]"])
    'Clc1ccccc1'
    """
    text = ".".join([core, *(g for g in rgroups if g)])
    with rdkit_quiet():
        pieces = Chem.MolFromSmiles(text, sanitize=False)
        try:
            if pieces is None:
                raise ValueError("unreadable SMILES")
            mol = Chem.molzip(pieces)
            if any(atom.GetAtomicNum() == 0 for atom in mol.GetAtoms()):
                raise ValueError("an attachment point is left open")
            mol = Chem.RemoveHs(mol)
        except Exception as err:  # RDKit raises several exception types here
            raise ValueError(f"cannot join {text}: {str(err).strip() or type(err).__name__}") from None
    return Chem.MolToSmiles(mol)
