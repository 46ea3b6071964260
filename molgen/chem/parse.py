"""Parse SMILES and SDF records with RDKit, recording why a molecule failed."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
import math

from rdkit import Chem

from molgen.chem.states import InvalidMoleculeError, MolState
from molgen.utils.quiet import rdkit_quiet

#: Default limit on heavy atoms; larger inputs get state ``too_many_atoms``.
DEFAULT_MAX_HEAVY_ATOMS = 200


def _as_text(smiles) -> str:
    if smiles is None or (isinstance(smiles, float) and math.isnan(smiles)):
        return ""
    return str(smiles).strip()


def check_mol(mol: Chem.Mol, text: str, max_heavy_atoms: int | None) -> Chem.Mol:
    """Sanitize ``mol`` in place and apply the size limit, raising on failure."""
    try:
        Chem.SanitizeMol(mol)
    except Exception as err:  # RDKit raises several exception types here
        raise InvalidMoleculeError(text, MolState.SANITIZATION_ERROR, str(err).strip() or type(err).__name__) from None
    if mol.GetNumAtoms() == 0:
        raise InvalidMoleculeError(text, MolState.EMPTY, "molecule has no atoms")
    if max_heavy_atoms is not None and mol.GetNumHeavyAtoms() > max_heavy_atoms:
        raise InvalidMoleculeError(
            text,
            MolState.TOO_MANY_ATOMS,
            f"{mol.GetNumHeavyAtoms()} heavy atoms exceeds the limit of {max_heavy_atoms}",
        )
    return mol


def parse_smiles(smiles: str, *, max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS) -> Chem.Mol:
    """Parse and sanitize one SMILES.

    Parameters
    ----------
    smiles : str
        The SMILES string; surrounding whitespace is ignored.
    max_heavy_atoms : int or None
        Reject molecules with more heavy atoms than this (``None``: no limit).

    Returns
    -------
    rdkit.Chem.Mol

    Raises
    ------
    InvalidMoleculeError
        With state ``empty``, ``invalid_smiles`` (syntax), ``sanitization_error``
        (valence, aromaticity, ...) or ``too_many_atoms``.
    """
    with rdkit_quiet():
        return _parse(smiles, max_heavy_atoms)


def _parse(smiles, max_heavy_atoms: int | None) -> Chem.Mol:
    text = _as_text(smiles)
    if not text:
        raise InvalidMoleculeError(text, MolState.EMPTY, "empty SMILES")
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        raise InvalidMoleculeError(text, MolState.INVALID_SMILES, "RDKit could not parse the SMILES syntax")
    return check_mol(mol, text, max_heavy_atoms)


@dataclass
class ParseResult:
    """Aligned outputs of a batch parse: ``mols[i]`` is ``None`` unless ``states[i] == "valid"``."""

    mols: list
    states: list[str]
    errors: list[str]

    def __len__(self) -> int:
        return len(self.mols)


def parse_smiles_batch(
    smiles: Iterable, *, max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS
) -> ParseResult:
    """Parse many SMILES; never raises for a bad molecule, output aligned with input."""
    mols, states, errors = [], [], []
    with rdkit_quiet():
        for smi in smiles:
            try:
                mol = _parse(smi, max_heavy_atoms)
            except InvalidMoleculeError as err:
                mols.append(None)
                states.append(err.state.value)
                errors.append(err.reason)
            else:
                mols.append(mol)
                states.append(MolState.VALID.value)
                errors.append("")
    return ParseResult(mols, states, errors)


@dataclass
class SDFRecord:
    """One SDF record: the molecule (or ``None``), its properties and its parse outcome."""

    index: int
    mol: object
    props: dict
    state: str
    error: str


def _split_sdf_blocks(lines: Iterable[str]) -> Iterator[str]:
    block: list[str] = []
    for line in lines:
        if line.startswith("$$$$"):
            yield "".join(block)
            block = []
        else:
            block.append(line)
    if "".join(block).strip():
        yield "".join(block)


def _read_props(block: str) -> dict:
    """Read ``> <NAME>`` data items from a record, even if its molblock is broken."""
    props, name, values = {}, None, []
    for line in block.splitlines()[1:]:
        if line.startswith(">") and "<" in line and ">" in line[1:]:
            if name is not None:
                props[name] = "\n".join(values).strip()
            name = line[line.index("<") + 1 : line.rindex(">")]
            values = []
        elif name is not None:
            if line.strip() == "":
                props[name] = "\n".join(values).strip()
                name = None
            else:
                values.append(line)
    if name is not None:
        props[name] = "\n".join(values).strip()
    return props


def iter_sdf(
    source, *, max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS
) -> Iterator[SDFRecord]:
    """Read SDF records one at a time from a path or a text stream.

    Broken records come back with state ``invalid_record`` (molblock unreadable) or a
    parse state, and their data items, instead of being skipped.
    """
    if isinstance(source, (str, Path)):
        from molgen.data.readers import open_text

        with open_text(source) as handle:
            yield from iter_sdf(handle, max_heavy_atoms=max_heavy_atoms)
        return
    with rdkit_quiet():
        for i, block in enumerate(_split_sdf_blocks(source)):
            props = _read_props(block)
            mol = Chem.MolFromMolBlock(block, sanitize=False, removeHs=False)
            if mol is None:
                yield SDFRecord(i, None, props, MolState.INVALID_RECORD.value, "RDKit could not read the molblock")
                continue
            try:
                mol = check_mol(mol, f"SDF record {i}", max_heavy_atoms)
                mol = Chem.RemoveHs(mol)
            except InvalidMoleculeError as err:
                yield SDFRecord(i, None, props, err.state.value, err.reason)
                continue
            except Exception as err:
                yield SDFRecord(i, None, props, MolState.SANITIZATION_ERROR.value, str(err))
                continue
            yield SDFRecord(i, mol, props, MolState.VALID.value, "")
