"""Read a molecule's atoms, bonds and rings from RDKit's binary pickle in one C++ call.

Why: reading a molecule through RDKit's Python API costs about a microsecond per atom and
per bond (one wrapper object plus one call per property), which alone takes longer than
parsing the SMILES. ``Mol.ToBinary()`` serializes everything in one call; this module
only splits that byte string into per-atom and per-bond records.

It does not interpret the property bytes. The featurizer uses each record's raw bytes as
a cache key and computes the features of a key it has not seen from the RDKit atom or
bond itself (the public API), so the only thing this module must get right is where
records start and end. The pickle round-trips every property the features depend on
(element, charge, chiral tag, hybridization, aromaticity, hydrogen counts and valences,
isotope; bond type, conjugation, stereo), so equal records mean equal features.

Any layout it does not know (another pickle major version, more than 255 atoms, query
atoms or bonds, atom-map numbers, dummy labels, monomer info, explicit coordinates)
makes :func:`split_pickle` return ``None`` and the caller uses the public API instead.
Record boundaries are checked against the section tags that follow them.
"""

from rdkit import Chem

#: Pickle major versions whose atom and bond record layout this module knows.
SUPPORTED_MAJOR_VERSIONS = (16,)

_NO_PROPS = Chem.PropertyPickleOptions.NoProps
_MAGIC = b"\xef\xbe\xad\xde\x00\x00\x00\x00"  # endian id, VERSION tag
# Section tags (MolPickler::Tags).
_BEGIN_ATOM, _BEGIN_BOND = 1, 11
_RING_TAGS = frozenset({20, 66, 67, 68})  # SSSR, symmetrized SSSR, fast find, other
# Sections that may follow the bonds or the rings: props, end, conformers, atom/bond
# props, query atom data, substance groups, stereo groups, double conformers.
_LATER_TAGS = frozenset({18, 22, 23, 58, 59, 60, 61, 62, 64})

# Atom record: atomic number (1), flags (1), property flags (int32), then one byte per
# property-flag bit 1-7 that is set and four bytes (isotope) for bit 8. Only the atom
# flags aromatic (bit 6) and no-implicit (bit 5) are handled; the others (coordinates,
# query, map number, dummy label, monomer info) add variable payloads. Keyed by the five
# bytes after the atomic number; a missing key means "not handled".
_ATOM_LEN = {
    bytes((flags, pf & 0xFF, pf >> 8, 0, 0)): 6 + bin(pf).count("1") + 3 * (pf >> 8)
    for flags in (0, 1 << 5, 1 << 6, 1 << 6 | 1 << 5)
    for pf in range(2, 512, 2)
} | {bytes((flags, 0, 0, 0, 0)): 6 for flags in (0, 1 << 5, 1 << 6, 1 << 6 | 1 << 5)}
# Bond record: begin and end atom (1 each), flags (1), then a type byte if flag bit 3 is
# set, a direction byte for bit 2, and for bit 1 the stereo value, a count and that many
# stereo atoms. Query bonds (bit 4) and end points (bit 0) are not handled. Indexed by
# the flags byte: the record size, negated when a stereo block follows, 0 if unhandled.
_BOND_LEN = tuple(
    0 if flags & (1 << 7 | 1 << 4 | 1) else (-1 if flags & 2 else 1) * (3 + (flags >> 3 & 1) + (flags >> 2 & 1)) for flags in range(256)
)


def _header() -> bytes | None:
    probe = Chem.MolFromSmiles("C").ToBinary(_NO_PROPS)
    if probe[:8] != _MAGIC or int.from_bytes(probe[8:12], "little") not in SUPPORTED_MAJOR_VERSIONS:
        return None
    return probe[:20]


_HEADER = _header()


def split_pickle(mol: Chem.Mol):
    """Split ``mol.ToBinary()`` into raw atom records, bond end points, bond records and rings.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        A sanitized molecule.

    Returns
    -------
    tuple or None
        ``(atom_records, ends, bond_records, rings)``: a list of ``bytes`` per atom (index
        order); ``bytes`` ``b0 e0 b1 e1 ...`` with each bond's begin and end atom; a list
        of ``bytes`` per bond (everything after its end points); and the rings as
        ``bytes`` of atom indices (``None`` if the pickle carries no ring information).
        ``None`` when the layout is not one this module reads; never raises.
    """
    if _HEADER is None:
        return None
    b = mol.ToBinary(_NO_PROPS)
    if b[:20] != _HEADER:
        return None
    n_atoms = int.from_bytes(b[20:24], "little")
    n_bonds = int.from_bytes(b[24:28], "little")
    if n_atoms > 255 or b[28] != 0x80 or b[29] != _BEGIN_ATOM:
        return None
    try:
        p = 30
        atoms = []
        add_atom, atom_len = atoms.append, _ATOM_LEN
        for _ in range(n_atoms):
            size = atom_len.get(b[p + 1 : p + 6])
            if size is None:
                return None
            add_atom(b[p : p + size])
            p += size
        if b[p] != _BEGIN_BOND:
            return None
        p += 1
        ends, bonds = [], []
        add_ends, add_bond, bond_len = ends.append, bonds.append, _BOND_LEN
        for _ in range(n_bonds):
            size = bond_len[b[p + 2]]
            if size <= 0:
                if not size:
                    return None
                size = 2 - size + b[p - size + 1]  # stereo value, count, stereo atoms
            add_ends(b[p : p + 2])
            add_bond(b[p + 2 : p + size])
            p += size
        rings = None
        if b[p] in _RING_TAGS:
            n_rings = int.from_bytes(b[p + 1 : p + 5], "little")
            p += 5
            rings = []
            for _ in range(n_rings):
                size = b[p]
                rings.append(b[p + 1 : p + 1 + size])
                p += 1 + size
        if b[p] not in _LATER_TAGS:
            return None
    except IndexError:  # truncated: not the layout we expect
        return None
    return atoms, b"".join(ends), bonds, rings
