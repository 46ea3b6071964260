"""Graph mutations and crossover of Jensen's GB-GA, driven by one seeded numpy generator.

Jensen, "A graph-based genetic algorithm and generative model/Monte Carlo tree search for
the exploration of chemical space", Chem. Sci. 2019, 10, 3567. Mutations: insert, append
and delete an atom, change an atom's element, change a bond order, delete a ring bond,
add a ring. Crossover cuts both parents at a non-ring single bond or across a ring and
joins a fragment of each. Children larger than a size drawn from a normal distribution
(GuacaMol's 39.15 ± 3.50 heavy atoms), with rings of more than 6 atoms, allenes in rings
or double bonds in 3/4-rings are rejected, as in the original.
"""

from functools import cache

import numpy as np
from rdkit import Chem
from rdkit.Chem import AllChem

from molgen.utils.quiet import rdkit_quiet

AVERAGE_SIZE = 39.15
SIZE_STDEV = 3.50


@cache
def _smarts(text: str) -> Chem.Mol:
    return Chem.MolFromSmarts(text)


@cache
def _reaction(text: str):
    return AllChem.ReactionFromSmarts(text)


def _choice(rng: np.random.Generator, items, p=None):
    return items[int(rng.choice(len(items), p=p))]


def mol_ok(mol, rng: np.random.Generator, average_size: float = AVERAGE_SIZE, size_stdev: float = SIZE_STDEV) -> bool:
    """Sanitizes ``mol`` in place; True if it is valid and not too large (random size cap)."""
    try:
        Chem.SanitizeMol(mol)
    except Exception:
        return False
    target = size_stdev * rng.standard_normal() + average_size
    return 5 < mol.GetNumAtoms() < target


def ring_ok(mol) -> bool:
    """No ring allenes, no rings larger than 6 atoms, no double bonds in 3- or 4-rings."""
    if not mol.HasSubstructMatch(_smarts("[R]")):
        return True
    if mol.HasSubstructMatch(_smarts("[R]=[R]=[R]")):
        return False
    if max(len(r) for r in mol.GetRingInfo().AtomRings()) > 6:
        return False
    return not mol.HasSubstructMatch(_smarts("[r3,r4]=[r3,r4]"))


# ---------------------------------------------------------------- crossover
def _cut(mol, rng):
    matches = mol.GetSubstructMatches(_smarts("[*]-;!@[*]"))
    if not matches:
        return None
    a, b = _choice(rng, matches)
    bond = mol.GetBondBetweenAtoms(a, b).GetIdx()
    pieces = Chem.FragmentOnBonds(mol, [bond], addDummies=True, dummyLabels=[(1, 1)])
    try:
        return Chem.GetMolFrags(pieces, asMols=True, sanitizeFrags=True)
    except Exception:
        return None


def _cut_ring(mol, rng):
    for _ in range(10):
        if rng.random() < 0.5:
            matches = mol.GetSubstructMatches(_smarts("[R]@[R]@[R]@[R]"))
            if not matches:
                return None
            m = _choice(rng, matches)
            pairs = ((m[0], m[1]), (m[2], m[3]))
        else:
            matches = mol.GetSubstructMatches(_smarts("[R]@[R;!D2]@[R]"))
            if not matches:
                return None
            m = _choice(rng, matches)
            pairs = ((m[0], m[1]), (m[1], m[2]))
        bonds = [mol.GetBondBetweenAtoms(x, y).GetIdx() for x, y in pairs]
        pieces = Chem.FragmentOnBonds(mol, bonds, addDummies=True, dummyLabels=[(1, 1), (1, 1)])
        try:
            frags = Chem.GetMolFrags(pieces, asMols=True, sanitizeFrags=True)
        except Exception:
            return None
        if len(frags) == 2:
            return frags
    return None


_RING_JOIN = ("[*:1]~[1*].[1*]~[*:2]>>[*:1]-[*:2]", "[*:1]~[1*].[1*]~[*:2]>>[*:1]=[*:2]")
_RING_CLOSE = ("([*:1]~[1*].[1*]~[*:2])>>[*:1]-[*:2]", "([*:1]~[1*].[1*]~[*:2])>>[*:1]=[*:2]")


def _crossover_ring(a, b, rng):
    ring = _smarts("[R]")
    if not a.HasSubstructMatch(ring) and not b.HasSubstructMatch(ring):
        return None
    for _ in range(10):
        fa, fb = _cut_ring(a, rng), _cut_ring(b, rng)
        if fa is None or fb is None:
            return None
        trial = []
        for rs in _RING_JOIN:
            rxn = _reaction(rs)
            for x in fa:
                for y in fb:
                    trial.extend(rxn.RunReactants((x, y)))
        joined = []
        for rs in _RING_CLOSE:
            rxn = _reaction(rs)
            for products in trial:
                m = products[0]
                if mol_ok(m, rng):
                    joined.extend(rxn.RunReactants((m,)))
        children = [p[0] for p in joined if mol_ok(p[0], rng) and ring_ok(p[0])]
        if children:
            return _choice(rng, children)
    return None


def _crossover_non_ring(a, b, rng):
    rxn = _reaction("[*:1]-[1*].[1*]-[*:2]>>[*:1]-[*:2]")
    for _ in range(10):
        fa, fb = _cut(a, rng), _cut(b, rng)
        if fa is None or fb is None:
            return None
        trial = []
        for x in fa:
            for y in fb:
                products = rxn.RunReactants((x, y))
                if products:
                    trial.append(products[0][0])
        children = [m for m in trial if mol_ok(m, rng)]
        if children:
            return _choice(rng, children)
    return None


def crossover(parent_a: Chem.Mol, parent_b: Chem.Mol, rng: np.random.Generator) -> Chem.Mol | None:
    """A child of two parents that differs from both, or ``None`` after 10 failed tries.

    The parents are copied (kekulized copies are cut); they are not modified.
    """
    with rdkit_quiet():
        parents = {Chem.MolToSmiles(parent_a), Chem.MolToSmiles(parent_b)}
        a, b = Chem.Mol(parent_a), Chem.Mol(parent_b)
        for m in (a, b):
            try:
                Chem.Kekulize(m, clearAromaticFlags=True)
            except Exception:
                pass
        for _ in range(10):
            child = _crossover_non_ring(a, b, rng) if rng.random() <= 0.5 else _crossover_ring(a, b, rng)
            if child is not None:
                smi = Chem.MolToSmiles(child)
                if smi and smi not in parents:
                    return child
    return None


# ---------------------------------------------------------------- mutation
def _delete_atom(rng, mol):
    choices = (
        "[*:1]~[D1:2]>>[*:1]",
        "[*:1]~[D2:2]~[*:3]>>[*:1]-[*:3]",
        "[*:1]~[D3:2](~[*;!H0:3])~[*:4]>>[*:1]-[*:3]-[*:4]",
        "[*:1]~[D4:2](~[*;!H0:3])(~[*;!H0:4])~[*:5]>>[*:1]-[*:3]-[*:4]-[*:5]",
        "[*:1]~[D4:2](~[*;!H0;!H1:3])(~[*:4])~[*:5]>>[*:1]-[*:3](-[*:4])-[*:5]",
    )
    return _choice(rng, choices, p=[0.25, 0.25, 0.25, 0.1875, 0.0625])


def _append_atom(rng, mol):
    options = (
        ("-", ("C", "N", "O", "F", "S", "Cl", "Br"), "[*;!H0:1]>>[*:1]"),
        ("=", ("C", "N", "O"), "[*;!H0;!H1:1]>>[*:1]"),
        ("#", ("C", "N"), "[*;H3:1]>>[*:1]"),
    )
    bond, atoms, head = _choice(rng, options, p=[0.60, 0.35, 0.05])
    return head + bond + _choice(rng, atoms)


def _insert_atom(rng, mol):
    options = (
        (("C", "N", "O", "S"), "[*:1]~[*:2]>>[*:1]{}[*:2]"),
        (("C", "N"), "[*;!H0:1]~[*:2]>>[*:1]={}-[*:2]"),
        (("C",), "[*;!R;!H1;!H0:1]~[*:2]>>[*:1]#{}-[*:2]"),
    )
    atoms, template = _choice(rng, options, p=[0.60, 0.35, 0.05])
    return template.format(_choice(rng, atoms))


def _change_bond_order(rng, mol):
    choices = (
        "[*:1]!-[*:2]>>[*:1]-[*:2]",
        "[*;!H0:1]-[*;!H0:2]>>[*:1]=[*:2]",
        "[*:1]#[*:2]>>[*:1]=[*:2]",
        "[*;!R;!H1;!H0:1]~[*:2]>>[*:1]#[*:2]",
    )
    return _choice(rng, choices, p=[0.45, 0.45, 0.05, 0.05])


def _delete_cyclic_bond(rng, mol):
    return "[*:1]@[*:2]>>([*:1].[*:2])"


def _add_ring(rng, mol):
    choices = (
        "[*;!r;!H0:1]~[*;!r:2]~[*;!r;!H0:3]>>[*:1]1~[*:2]~[*:3]1",
        "[*;!r;!H0:1]~[*!r:2]~[*!r:3]~[*;!r;!H0:4]>>[*:1]1~[*:2]~[*:3]~[*:4]1",
        "[*;!r;!H0:1]~[*!r:2]~[*:3]~[*:4]~[*;!r;!H0:5]>>[*:1]1~[*:2]~[*:3]~[*:4]~[*:5]1",
        "[*;!r;!H0:1]~[*!r:2]~[*:3]~[*:4]~[*!r:5]~[*;!r;!H0:6]>>[*:1]1~[*:2]~[*:3]~[*:4]~[*:5]~[*:6]1",
    )
    return _choice(rng, choices, p=[0.05, 0.05, 0.45, 0.45])


_ELEMENTS = ("#6", "#7", "#8", "#9", "#16", "#17", "#35")
_ELEMENT_P = (0.15, 0.15, 0.14, 0.14, 0.14, 0.14, 0.14)


def _change_atom(rng, mol):
    present = [e for e in _ELEMENTS if mol.HasSubstructMatch(_smarts(f"[{e}]"))]
    if not present:
        return None
    p = np.array([_ELEMENT_P[_ELEMENTS.index(e)] for e in present])
    x = _choice(rng, present, p=p / p.sum())
    others = [e for e in _ELEMENTS if e != x]
    q = np.array([_ELEMENT_P[_ELEMENTS.index(e)] for e in others])
    y = _choice(rng, others, p=q / q.sum())
    return f"[{x}:1]>>[{y}:1]"


#: (name, template maker, probability) of each mutation, as in GB-GA.
MUTATIONS = (
    ("insert_atom", _insert_atom, 0.15),
    ("change_bond_order", _change_bond_order, 0.14),
    ("delete_cyclic_bond", _delete_cyclic_bond, 0.14),
    ("add_ring", _add_ring, 0.14),
    ("delete_atom", _delete_atom, 0.14),
    ("change_atom", _change_atom, 0.14),
    ("append_atom", _append_atom, 0.15),
)


def mutate(mol: Chem.Mol, rng: np.random.Generator, mutation_rate: float = 1.0) -> Chem.Mol | None:
    """With probability ``mutation_rate`` apply one random GB-GA mutation.

    Returns the molecule unchanged when no mutation is drawn, a mutated copy, or ``None``
    when 10 attempts gave no acceptable product. ``mol`` itself is not modified.
    """
    if rng.random() > mutation_rate:
        return mol
    with rdkit_quiet():
        work = Chem.Mol(mol)
        try:
            Chem.Kekulize(work, clearAromaticFlags=True)
        except Exception:
            return None
        probs = [p for _, _, p in MUTATIONS]
        for _ in range(10):
            _, make, _ = MUTATIONS[int(rng.choice(len(MUTATIONS), p=probs))]
            template = make(rng, work)
            if template is None:
                continue
            products = _reaction(template).RunReactants((work,))
            children = [p[0] for p in products if mol_ok(p[0], rng) and ring_ok(p[0])]
            if children:
                return _choice(rng, children)
    return None
