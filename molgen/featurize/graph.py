"""Molecule -> PyTorch Geometric graph, in the directed-edge layout a D-MPNN needs.

Edge layout
-----------
Every bond ``k`` between atoms ``i`` and ``j`` (``i = bond.GetBeginAtomIdx()``) becomes two
directed edges stored next to each other::

    edge 2k     : i -> j
    edge 2k + 1 : j -> i

so the reverse of directed edge ``e`` is ``e ^ 1`` (``e XOR 1``), and both directions
carry the same bond features. Each graph holds an even number of edges, so the
property survives :meth:`torch_geometric.data.Batch.from_data_list`, which
concatenates edge lists: a Chemprop-style bond message-passing layer can find reverse
edges of a whole batch with ``torch.arange(n_edges) ^ 1``.

Speed
-----
Reading atoms one Python call at a time costs more than parsing the SMILES, so the
atoms, bonds and rings are read from RDKit's binary pickle in one call and each distinct
atom or bond record is featurized once and cached (see :mod:`molgen.featurize._arrays`;
the features are exactly those of :func:`molgen.featurize.atoms.atom_features`), and
``Data`` objects are assembled the way ``Data.__copy__`` does, after a self-check against
the public constructor. Figures are in ``BENCHMARKS.md``.
"""

import copy
import pickle
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import torch
from rdkit import Chem
from torch_geometric.data import Batch, Data
from torch_geometric.data.storage import GlobalStorage

from molgen.chem.parse import DEFAULT_MAX_HEAVY_ATOMS
from molgen.chem.states import InvalidMoleculeError, MolState
from molgen.featurize._arrays import graph_arrays
from molgen.featurize._batch import AlignedStates, parse, run_batch
from molgen.utils.quiet import rdkit_quiet


def _public_data(fields: dict) -> Data:
    return Data(**fields)


_DATA_ATTRS = {k: v for k, v in Data().__dict__.items() if k != "_store"}


def _direct_data(fields: dict) -> Data:
    # What Data.__copy__ does, from an empty Data: PyG's constructor costs ~4 us (store
    # setup and per-attribute setters), a quarter of the whole featurization.
    data = Data.__new__(Data)
    data.__dict__.update(_DATA_ATTRS)
    store = GlobalStorage.__new__(GlobalStorage)
    store.__dict__["_mapping"] = fields
    store.__dict__["_parent"] = weakref.ref(data)
    data.__dict__["_store"] = store
    return data


def _pick_data_constructor():
    """``_direct_data`` if it builds the same graphs as the public constructor here."""
    try:
        fields = {"x": torch.ones(2, 3), "edge_index": torch.tensor([[0, 1], [1, 0]]), "edge_attr": torch.ones(2, 4), "smiles": "CC"}
        direct, public = _direct_data(dict(fields)), _public_data(dict(fields))
        same = (
            set(direct.__dict__) == set(public.__dict__)
            and set(direct._store.__dict__) == set(public._store.__dict__)
            and direct.keys() == public.keys()
            and direct.num_nodes == public.num_nodes == 2
            and direct.is_node_attr("x")
            and direct.is_edge_attr("edge_attr")
            and pickle.loads(pickle.dumps(direct)).keys() == public.keys()
            and copy.copy(direct).num_edges == 2
            and torch.equal(Batch.from_data_list([direct, direct]).edge_index, Batch.from_data_list([public, public]).edge_index)
        )
        direct.validate(raise_on_error=True)
    except Exception:
        same = False
    return _direct_data if same else _public_data


_new_data = _pick_data_constructor()


def _to_data(mol: Chem.Mol, smiles: str | None) -> Data:
    x, edge_index, edge_attr = graph_arrays(mol)
    fields = {"x": torch.from_numpy(x), "edge_index": torch.from_numpy(edge_index), "edge_attr": torch.from_numpy(edge_attr)}
    if smiles is not None:
        fields["smiles"] = smiles
    return _new_data(fields)


def mol_to_graph(mol: Chem.Mol, *, smiles: str | None = None) -> Data:
    """Featurize one sanitized molecule as a PyG graph (see the module docstring for the layout).

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        A sanitized molecule with at least one atom. Hydrogens are features of their heavy
        atom unless the molecule carries them as explicit atoms.
    smiles : str, optional
        Stored as ``data.smiles`` when given.

    Returns
    -------
    torch_geometric.data.Data
        ``x``: ``n_atoms x ATOM_FDIM`` float32; ``edge_index``: ``2 x 2*n_bonds`` int64;
        ``edge_attr``: ``2*n_bonds x BOND_FDIM`` float32. A single atom gives
        ``edge_index`` of shape ``2 x 0`` and ``edge_attr`` of shape ``0 x BOND_FDIM``.

    Raises
    ------
    InvalidMoleculeError
        State ``empty`` for ``None`` or a molecule without atoms; state
        ``featurization_failed`` when RDKit cannot provide a feature (e.g. the molecule
        was not sanitized).

    Examples
    --------
    >>> from rdkit import Chem
    >>> g = mol_to_graph(Chem.MolFromSmiles("CCO"))
    >>> tuple(g.x.shape), tuple(g.edge_index.shape)
    ((3, 73), (2, 4))
    """
    if mol is None or mol.GetNumAtoms() == 0:
        raise InvalidMoleculeError(smiles or "", MolState.EMPTY, "molecule has no atoms")
    try:
        return _to_data(mol, smiles)
    except Exception as err:
        text = smiles if smiles is not None else ""
        raise InvalidMoleculeError(text, MolState.FEATURIZATION_FAILED, f"{type(err).__name__}: {err}") from None


def smiles_to_graph(smiles: str, *, standardizer=None, max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS) -> Data:
    """Parse, optionally standardize, and featurize one SMILES.

    Returns
    -------
    torch_geometric.data.Data
        As :func:`mol_to_graph`, with ``data.smiles`` set to the input.

    Raises
    ------
    InvalidMoleculeError
        With the parse, standardization or featurization state.
    """
    with rdkit_quiet():
        mol = parse(smiles, max_heavy_atoms)
        if standardizer is not None:
            mol = standardizer(mol)
        return mol_to_graph(mol, smiles=str(smiles).strip())


@dataclass
class GraphBatch(AlignedStates):
    """Graphs of a batch, aligned with its input.

    Attributes
    ----------
    graphs : list of torch_geometric.data.Data or None
        ``None`` where ``states[i] != "valid"``.
    states : list of str
        :class:`molgen.chem.MolState` values.
    errors : list of str
        Why a row failed; ``""`` for valid rows.
    """

    graphs: list
    states: list[str]
    errors: list[str]

    def __iter__(self) -> Iterator:
        return iter(self.graphs)

    def __getitem__(self, i):
        return self.graphs[i]

    def valid_graphs(self) -> list[Data]:
        """The graphs of valid rows, in input order (use ``valid_mask`` to map back)."""
        return [g for g in self.graphs if g is not None]


def _graph_or_raise(mol: Chem.Mol, text: str | None) -> Data:
    return _to_data(mol, text if text is not None else Chem.MolToSmiles(mol))


def graphs_from_smiles(
    smiles: Iterable,
    *,
    standardizer=None,
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
    progress: bool = False,
) -> GraphBatch:
    """Featurize a batch of SMILES as PyG graphs; never raises for a bad molecule.

    Parameters
    ----------
    smiles : iterable of str
        ``None``/NaN/blank entries are ``empty``; RDKit molecules are accepted too.
    standardizer : molgen.chem.Standardizer, optional
        Applied after parsing. ``None`` (default) featurizes the parsed molecule as is;
        standardization belongs to the data layer.
    max_heavy_atoms : int or None
        Larger molecules get state ``too_many_atoms``.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    GraphBatch
        ``graphs[i]`` as :func:`mol_to_graph` with ``smiles`` set to the (stripped) input,
        or ``None`` with the failing state: ``empty``, ``invalid_smiles``,
        ``sanitization_error``, ``too_many_atoms``, ``standardization_failed`` or
        ``featurization_failed``.

    Examples
    --------
    >>> batch = graphs_from_smiles(["CCO", "not a smiles"])
    >>> batch.states
    ['valid', 'invalid_smiles']
    """
    graphs, states, errors = run_batch(
        smiles,
        _graph_or_raise,
        standardizer=standardizer,
        max_heavy_atoms=max_heavy_atoms,
        progress=progress,
        desc="graphs",
    )
    return GraphBatch(graphs, states, errors)
