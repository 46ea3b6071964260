"""Parse SMILES and SDF records with RDKit, recording why a molecule failed."""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rdkit import Chem

from molgen.chem.states import InvalidMoleculeError, MolState
from molgen.utils.quiet import rdkit_quiet
from molgen.utils.text_files import open_text

#: Default limit on heavy atoms; larger inputs get state ``too_many_atoms``.
DEFAULT_MAX_HEAVY_ATOMS = 200

#: SMILES characters allowed per allowed heavy atom. A SMILES longer than
#: ``SMILES_CHARS_PER_ATOM * max_heavy_atoms`` is refused (state ``too_many_atoms``) before
#: RDKit reads it, so a megabyte of text cannot stall a batch. 25 characters covers the
#: longest atom tokens (``[13CH2@@+]``), ring-closure digits, bonds and branches.
SMILES_CHARS_PER_ATOM = 25

#: Atoms, explicit hydrogens included, allowed per allowed heavy atom: hydrogens written as
#: atoms (``[H][H].[H][H]...``) do not count as heavy atoms but cost as much to standardize.
ATOMS_PER_HEAVY_ATOM = 2

#: SDF limits: a record with more atoms (explicit hydrogens included, read from the counts
#: line before RDKit parses the record) gets state ``too_many_atoms``; a record longer
#: than this many characters gets ``invalid_record`` and only its start is kept in memory.
MAX_SDF_RECORD_ATOMS = 2_000
MAX_SDF_RECORD_CHARS = 2_000_000
_SDF_LINE_CHUNK = 65_536


def max_smiles_length(max_heavy_atoms: int | None) -> int | None:
    """The longest SMILES read under a heavy-atom limit (``None``: no limit)."""
    return None if max_heavy_atoms is None else SMILES_CHARS_PER_ATOM * max(int(max_heavy_atoms), 1)


def _as_text(smiles) -> str:
    if smiles is None or (isinstance(smiles, float) and math.isnan(smiles)):
        return ""
    return str(smiles).strip()


def check_mol(mol: Chem.Mol, text: str, max_heavy_atoms: int | None) -> Chem.Mol:
    """Apply the size limit, then sanitize ``mol`` in place, raising on failure.

    The size is checked first: sanitizing (ring perception, aromaticity) is the costly
    step on a huge molecule, and it is never run on one that would be refused anyway.
    """
    if mol.GetNumAtoms() == 0:
        raise InvalidMoleculeError(text, MolState.EMPTY, "molecule has no atoms")
    if max_heavy_atoms is not None and mol.GetNumHeavyAtoms() > max_heavy_atoms:
        raise InvalidMoleculeError(
            text,
            MolState.TOO_MANY_ATOMS,
            f"{mol.GetNumHeavyAtoms()} heavy atoms exceeds the limit of {max_heavy_atoms}",
        )
    if max_heavy_atoms is not None and mol.GetNumAtoms() > ATOMS_PER_HEAVY_ATOM * max_heavy_atoms:
        raise InvalidMoleculeError(
            text,
            MolState.TOO_MANY_ATOMS,
            f"{mol.GetNumAtoms()} atoms (explicit hydrogens included) exceeds the limit of "
            f"{ATOMS_PER_HEAVY_ATOM * max_heavy_atoms} ({ATOMS_PER_HEAVY_ATOM} per allowed heavy atom)",
        )
    try:
        Chem.SanitizeMol(mol)
    except Exception as err:  # RDKit raises several exception types here
        raise InvalidMoleculeError(text, MolState.SANITIZATION_ERROR, str(err).strip() or type(err).__name__) from None
    return mol


def parse_smiles(smiles: str, *, max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS) -> Chem.Mol:
    """Parse and sanitize one SMILES.

    Parameters
    ----------
    smiles : str
        The SMILES string; surrounding whitespace is ignored.
    max_heavy_atoms : int or None
        Reject molecules with more heavy atoms than this (``None``: no limit). A SMILES
        longer than ``SMILES_CHARS_PER_ATOM * max_heavy_atoms`` characters is refused
        before it is parsed.

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
    limit = max_smiles_length(max_heavy_atoms)
    if limit is not None and len(text) > limit:
        raise InvalidMoleculeError(
            text,
            MolState.TOO_MANY_ATOMS,
            f"SMILES of {len(text)} characters is longer than {limit} "
            f"({SMILES_CHARS_PER_ATOM} per allowed heavy atom, limit {max_heavy_atoms}); not parsed",
        )
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


def parse_smiles_batch(smiles: Iterable, *, max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS) -> ParseResult:
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


def _lines(source) -> Iterator[str]:
    """Lines of a text stream in pieces of at most ``_SDF_LINE_CHUNK`` characters."""
    if hasattr(source, "readline"):
        return iter(lambda: source.readline(_SDF_LINE_CHUNK), "")
    return iter(source)


def _split_sdf_blocks(lines: Iterable[str], max_chars: int | None = None) -> Iterator[tuple[str, bool]]:
    """``(block, oversized)`` per record; an oversized block keeps only its first ``max_chars``."""
    block: list[str] = []
    size, oversized = 0, False
    for line in lines:
        if line.startswith("$$$$"):
            yield "".join(block), oversized
            block, size, oversized = [], 0, False
        elif not oversized:
            size += len(line)
            if max_chars is not None and size > max_chars:
                oversized = True
            else:
                block.append(line)
    if oversized or "".join(block).strip():
        yield "".join(block), oversized


def _record_atoms(block: str) -> int | None:
    """The atom count of a molblock's counts line (V2000 or V3000), ``None`` if unreadable."""
    lines = block.split("\n", 4)
    if len(lines) < 4:
        return None
    counts = lines[3]
    if "V3000" in counts:
        start = block.find("COUNTS")
        fields = block[start : start + 200].split() if start >= 0 else []
        return int(fields[1]) if len(fields) > 1 and fields[1].isdecimal() else None
    head = counts[:3].strip()
    return int(head) if head.isdecimal() else None


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
    source,
    *,
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
    max_record_atoms: int | None = MAX_SDF_RECORD_ATOMS,
    max_record_chars: int | None = MAX_SDF_RECORD_CHARS,
) -> Iterator[SDFRecord]:
    """Read SDF records one at a time from a path, a text stream or an iterable of lines.

    Parameters
    ----------
    source : str, pathlib.Path, text stream or iterable of str
        A path (plain or gzipped) or the lines of an SDF file.
    max_heavy_atoms : int or None
        Records whose molecule has more heavy atoms get ``too_many_atoms``.
    max_record_atoms : int or None
        Records whose counts line declares more atoms (hydrogens included) get
        ``too_many_atoms`` without being parsed.
    max_record_chars : int or None
        Records longer than this get ``invalid_record``; only their start is kept.

    Yields
    ------
    SDFRecord
        One per record, in file order. Broken records come back with state
        ``invalid_record`` (molblock unreadable or too long) or a parse state, and their
        data items, instead of being skipped. A file that cannot be read raises
        :class:`molgen.data.DataFileError` (defined in :mod:`molgen.utils.text_files`).
    """
    if isinstance(source, (str, Path)):
        with open_text(source) as handle:
            yield from iter_sdf(
                handle, max_heavy_atoms=max_heavy_atoms, max_record_atoms=max_record_atoms, max_record_chars=max_record_chars
            )
        return
    with rdkit_quiet():
        for i, (block, oversized) in enumerate(_split_sdf_blocks(_lines(source), max_record_chars)):
            props = _read_props(block)
            if oversized:
                reason = f"record longer than {max_record_chars} characters; not parsed"
                yield SDFRecord(i, None, props, MolState.INVALID_RECORD.value, reason)
                continue
            n_atoms = _record_atoms(block)
            if max_record_atoms is not None and n_atoms is not None and n_atoms > max_record_atoms:
                reason = f"record declares {n_atoms} atoms, more than the limit of {max_record_atoms}; not parsed"
                yield SDFRecord(i, None, props, MolState.TOO_MANY_ATOMS.value, reason)
                continue
            try:
                mol = Chem.MolFromMolBlock(block, sanitize=False, removeHs=False)
            except Exception:  # RDKit raises on some malformed blocks instead of returning None
                mol = None
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
                yield SDFRecord(i, None, props, MolState.SANITIZATION_ERROR.value, str(err).strip() or type(err).__name__)
                continue
            yield SDFRecord(i, mol, props, MolState.VALID.value, "")
