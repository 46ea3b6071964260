"""The one batch loop shared by all featurizers: parse, standardize, featurize, record state."""

import itertools
from collections.abc import Callable, Iterable

import numpy as np
from rdkit import Chem

from molgen.chem.parse import ATOMS_PER_HEAVY_ATOM, _as_text, _parse
from molgen.chem.states import InvalidMoleculeError, MolState
from molgen.utils.quiet import rdkit_quiet

_VALID = MolState.VALID.value
_FAILED = MolState.FEATURIZATION_FAILED.value
_GROUP = 8  # molecules parsed before they are featurized


class AlignedStates:
    """Per-row ``states`` and ``errors`` aligned with a batch's input (mixin).

    ``states`` holds :class:`molgen.chem.MolState` values; ``errors`` says why a row failed
    (``""`` for valid rows). ``len(batch)`` is the number of rows.
    """

    states: list[str]
    errors: list[str]

    def __len__(self) -> int:
        return len(self.states)

    @property
    def valid_mask(self) -> np.ndarray:
        """Boolean array, shape ``n``: ``True`` where the row was featurized."""
        return np.fromiter((s == _VALID for s in self.states), dtype=bool, count=len(self.states))


def check_given_mol(mol: Chem.Mol, max_heavy_atoms: int | None) -> Chem.Mol:
    """Apply the empty and size checks of :func:`molgen.chem.parse` to a ready-made molecule."""
    if mol.GetNumAtoms() == 0:
        raise InvalidMoleculeError("", MolState.EMPTY, "molecule has no atoms")
    if max_heavy_atoms is not None and mol.GetNumHeavyAtoms() > max_heavy_atoms:
        raise InvalidMoleculeError(
            "",  # writing the SMILES of a huge molecule is the cost this check avoids
            MolState.TOO_MANY_ATOMS,
            f"{mol.GetNumHeavyAtoms()} heavy atoms exceeds the limit of {max_heavy_atoms}",
        )
    if max_heavy_atoms is not None and mol.GetNumAtoms() > ATOMS_PER_HEAVY_ATOM * max_heavy_atoms:
        raise InvalidMoleculeError(
            "",
            MolState.TOO_MANY_ATOMS,
            f"{mol.GetNumAtoms()} atoms (explicit hydrogens included) exceeds the limit of "
            f"{ATOMS_PER_HEAVY_ATOM * max_heavy_atoms} ({ATOMS_PER_HEAVY_ATOM} per allowed heavy atom)",
        )
    return mol


def parse(smiles, max_heavy_atoms: int | None) -> Chem.Mol:
    """Parse and sanitize like :func:`molgen.chem.parse_smiles`, then perceive stereo.

    ``molgen.chem`` parses with ``sanitize=False`` and sanitizes afterwards, which skips
    the stereo perception ``Chem.MolFromSmiles`` does: E/Z bonds would keep
    ``STEREONONE`` and chiral tags on atoms that are not stereocentres would stay. This
    runs it (only when the text has stereo marks), so molecules match ``MolFromSmiles``.
    Call it inside :func:`molgen.utils.rdkit_quiet`. Raises :class:`InvalidMoleculeError`.
    """
    mol = _parse(smiles, max_heavy_atoms)
    text = smiles if isinstance(smiles, str) else ""
    if "@" in text or "/" in text or "\\" in text or "|" in text:
        Chem.AssignStereochemistry(mol, cleanIt=True, force=False)
    return mol


def run_batch(
    inputs: Iterable,
    featurize: Callable[[Chem.Mol, str], object],
    *,
    standardizer=None,
    max_heavy_atoms: int | None,
    progress: bool = False,
    desc: str = "featurizing",
) -> tuple[list, list[str], list[str]]:
    """Featurize every input, never raising for a bad molecule.

    Parameters
    ----------
    inputs : iterable of str, rdkit.Chem.Mol or None
        SMILES are parsed and sanitized; molecules are used as they are (after the
        empty/size checks); ``None``/NaN/blank strings are ``empty``.
    featurize : callable
        ``featurize(mol, text)`` returns one output; any exception it raises becomes
        state ``featurization_failed``.
    standardizer : molgen.chem.Standardizer or None
    max_heavy_atoms : int or None
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    outputs, states, errors : list
        Aligned with ``inputs``; ``outputs[i]`` is ``None`` where ``states[i] != "valid"``.
    """
    if progress:
        from tqdm import tqdm

        inputs = tqdm(inputs, desc=desc, unit="mol")
    outputs, states, errors = [], [], []
    items = iter(inputs)
    with rdkit_quiet():
        # Parse a few molecules, then featurize them: RDKit's C++ and the featurizer's
        # Python each run with warm caches, which is ~5% faster than alternating.
        while group := list(itertools.islice(items, _GROUP)):
            for mol, text, error in [_prepare(item, standardizer, max_heavy_atoms) for item in group]:
                if mol is None:
                    outputs.append(None)
                    states.append(text)
                    errors.append(error)
                    continue
                try:
                    outputs.append(featurize(mol, text))
                except Exception as err:  # a featurizer bug must not stop the batch
                    outputs.append(None)
                    states.append(_FAILED)
                    errors.append(f"{type(err).__name__}: {err}".strip())
                    continue
                states.append(_VALID)
                errors.append("")
    return outputs, states, errors


def _prepare(item, standardizer, max_heavy_atoms):
    """``(mol, text, None)`` ready to featurize, or ``(None, state, reason)``."""
    try:
        if isinstance(item, Chem.Mol):
            mol, text = check_given_mol(item, max_heavy_atoms), None
        else:
            mol, text = parse(item, max_heavy_atoms), _as_text(item)
        if standardizer is not None:
            mol = standardizer(mol)
    except InvalidMoleculeError as err:
        return None, err.state.value, err.reason
    return mol, text, None
