"""Per-atom attributions of an efficacy prediction, and a drawing of them.

Two methods, both model-agnostic within :class:`~molgen.models.MoleculeModel`:

``"gradient"``
    Gradient x input: the gradient of the prediction with respect to the atom feature
    matrix ``x`` (``n_atoms x ATOM_FDIM``), multiplied elementwise by ``x`` and summed over
    the features of each atom. One backward pass per ensemble member; values are
    averaged over members. It is a first-order (local, linear) estimate of how much
    each atom's features push the prediction.
``"occlusion"``
    For each atom, the prediction of the full molecule minus the prediction with that
    atom's feature row zeroed, together with the features of its incident directed
    edges (both directions of each of its bonds). The occluded copies are predicted as
    one batch. The atom still takes part in message passing as a featureless node: this
    is feature occlusion, not deletion of the atom.

Both explain the graph ensemble. A regression model's fingerprint members (Tanimoto kernel
ridge on Morgan and atom-pair bits, random forest on Morgan bits, blended into
``EfficacyModel.predict``) are not attributed, so ``Attribution.prediction`` is the
ensemble's mean, which differs from the blended prediction when their weights are above 0.

Positive values mean the atom raises the prediction, negative that it lowers it. For a
regression model both are in target units (e.g. pIC50 units); for a binary classifier
in probability units.
"""

from dataclasses import dataclass

import numpy as np
import torch
from rdkit import Chem
from rdkit.Chem.Draw import rdMolDraw2D
from torch_geometric.data import Batch

from molgen.chem import InvalidMoleculeError, MolState, clean_smiles
from molgen.featurize import smiles_to_graph
from molgen.utils.quiet import rdkit_quiet

METHODS = ("gradient", "occlusion")
FORMATS = ("svg", "png")

#: Diverging colour map of the drawings: negative, zero, positive (RdBu end points).
COLOURS = ((0.129, 0.400, 0.675), (1.0, 1.0, 1.0), (0.698, 0.094, 0.169))


@dataclass(frozen=True)
class Attribution:
    """Per-atom attributions of one prediction.

    Attributes
    ----------
    smiles : str
        The standardized canonical SMILES the model saw. ``values[i]`` belongs to atom
        ``i`` of ``Chem.MolFromSmiles(smiles)``.
    values : numpy.ndarray
        ``n_atoms`` float64 attributions (see the module docstring for their meaning).
    prediction : float
        The attributed quantity for the whole molecule: the graph ensemble's mean prediction
        in target units (regression; without the fingerprint members), the probability (binary) or the probability of
        ``class_index`` (multiclass).
    method : str
        ``"gradient"`` or ``"occlusion"``.
    target : str
        Name of the attributed target.
    class_index : int or None
        Multiclass only: the class whose probability is attributed (the predicted class).
    """

    smiles: str
    values: np.ndarray
    prediction: float
    method: str
    target: str
    class_index: int | None = None

    def __len__(self) -> int:
        return len(self.values)


def atom_attributions(model, smiles: str, *, method: str = "gradient", target: int | str = 0) -> Attribution:
    """Attribute one prediction of an efficacy model to the atoms of the molecule.

    Parameters
    ----------
    model : molgen.efficacy.EfficacyModel
        A fitted or loaded model; every ensemble member is attributed and the values
        averaged.
    smiles : str
        The molecule. It is standardized with the model's own standardizer first, so the
        atoms are those of the returned ``Attribution.smiles`` (salts stripped,
        charges neutralized, canonical atom order), exactly as :meth:`EfficacyModel.predict`
        sees them.
    method : {"gradient", "occlusion"}
        See the module docstring.
    target : int or str
        Index or name of the target to attribute (``model.target_names``).

    Returns
    -------
    Attribution
        ``values`` has one entry per atom of the standardized molecule.

    Raises
    ------
    InvalidMoleculeError
        The SMILES cannot be parsed, sanitized, standardized or featurized, or is over
        the model's ``max_heavy_atoms``; the error carries the state and reason.
    ValueError
        Unknown ``method`` (the message lists the choices) or a ``target`` that is not
        an index or name of ``model.target_names``.

    Examples
    --------
    >>> attr = atom_attributions(model, "CC(=O)Nc1ccc(O)cc1", method="occlusion")  # doctest: +SKIP
    >>> len(attr.values) == Chem.MolFromSmiles(attr.smiles).GetNumAtoms()  # doctest: +SKIP
    True
    """
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; choose one of: {', '.join(METHODS)}")
    k = _target_index(model, target)
    std_smiles, graph = _standardized_graph(model, smiles)
    full = Batch.from_data_list([graph])
    outputs = _member_outputs(model.members, full, k)
    class_index = int(outputs.mean(0)[0].argmax()) if model.task == "multiclass" else None
    if class_index is not None:
        outputs = outputs[..., class_index]
    scale, offset = _units(model, k)
    prediction = float(outputs.mean()) * scale + offset
    if method == "gradient":
        values = _gradient_x_input(model.members, full, k, class_index)
    else:
        values = _occlusion(model.members, graph, k, class_index)
    return Attribution(
        smiles=std_smiles,
        values=values * scale,
        prediction=prediction,
        method=method,
        target=str(model.target_names[k]),
        class_index=class_index,
    )


def _target_index(model, target) -> int:
    names = [str(n) for n in model.target_names]
    if isinstance(target, str):
        if target in names:
            return names.index(target)
    elif isinstance(target, (int, np.integer)) and not isinstance(target, bool) and 0 <= target < len(names):
        return int(target)
    raise ValueError(f"target must be an index 0..{len(names) - 1} or one of the names {names}, got {target!r}")


def _standardized_graph(model, smiles):
    """Standardize like ``EfficacyModel.predict`` does, then featurize the canonical SMILES."""
    row = clean_smiles([smiles], standardizer=model.standardizer, max_heavy_atoms=model.max_heavy_atoms, with_inchikey=False).iloc[0]
    if row["state"] != MolState.VALID.value:
        raise InvalidMoleculeError(row["input"], MolState(row["state"]), row["error"])
    graph = smiles_to_graph(row["smiles"], standardizer=None, max_heavy_atoms=None)
    model.attach_descriptors([graph], [row["smiles"]])
    return row["smiles"], graph


def _units(model, k: int) -> tuple[float, float]:
    """(scale, offset) from model units to target units for target ``k``."""
    if model.task == "regression":
        return float(np.atleast_1d(model.scaler.std_)[k]), float(np.atleast_1d(model.scaler.mean_)[k])
    return 1.0, 0.0


def _select(member, output: torch.Tensor, k: int) -> torch.Tensor:
    """The attributed output of every graph: ``n_graphs`` (``n_graphs x n_classes`` multiclass)."""
    if getattr(member.head, "mean_variance", False):
        output = output[..., 0]
    return output[:, k]


def _device(member) -> torch.device:
    return next(member.parameters()).device


def _member_outputs(members, batch, k: int) -> np.ndarray:
    """``n_members x n_graphs`` (``x n_classes``) activated outputs, without gradients."""
    outs = []
    with torch.no_grad():
        for member in members:
            member.eval()
            outs.append(_select(member, member.predict(batch.to(_device(member))), k).double().cpu().numpy())
    return np.stack(outs)


def _gradient_x_input(members, batch, k: int, class_index: int | None) -> np.ndarray:
    total = np.zeros(batch.num_nodes, dtype=np.float64)
    with torch.enable_grad():
        for member in members:
            member.eval()
            batch = batch.to(_device(member))
            x = batch.x.detach().clone().requires_grad_(True)
            batch.x = x
            out = _select(member, member.predict(batch), k)
            if class_index is not None:
                out = out[..., class_index]
            (grad,) = torch.autograd.grad(out.sum(), x)
            total += (grad * x).sum(dim=1).detach().double().cpu().numpy()
    return total / len(members)


def _occluded_copies(graph) -> list:
    """``n_atoms`` copies of ``graph``; copy ``i`` has atom ``i`` and its edges' features zeroed."""
    n = graph.num_nodes
    atoms = torch.arange(n)
    x = graph.x.unsqueeze(0).repeat(n, 1, 1)
    x[atoms, atoms] = 0
    edge_attr = graph.edge_attr.unsqueeze(0).repeat(n, 1, 1)
    src, dst = graph.edge_index
    incident = (src.unsqueeze(0) == atoms.unsqueeze(1)) | (dst.unsqueeze(0) == atoms.unsqueeze(1))  # n x n_edges
    edge_attr[incident] = 0
    copies = []
    for i in range(n):
        copy = graph.clone()
        copy.x, copy.edge_attr = x[i], edge_attr[i]
        copies.append(copy)
    return copies


def _occlusion(members, graph, k: int, class_index: int | None) -> np.ndarray:
    batch = Batch.from_data_list([graph] + _occluded_copies(graph))  # the full molecule first
    outputs = _member_outputs(members, batch, k)
    if class_index is not None:
        outputs = outputs[..., class_index]
    mean = outputs.mean(axis=0)  # n_atoms + 1
    return mean[0] - mean[1:]


# ------------------------------------------------------------------------ drawing
def draw_attributions(
    attribution: Attribution,
    *,
    size: tuple[int, int] = (400, 300),
    fmt: str = "svg",
    scale: float | None = None,
    legend: str = "",
) -> str | bytes:
    """Draw the molecule with atoms and bonds coloured by their attributions.

    Blue-white-red: red atoms raise the prediction, blue atoms lower it, white ones are
    neutral; the colour saturates at ``|value| = scale``. A bond takes the mean colour
    of its two atoms. Drawn with RDKit's ``rdMolDraw2D`` (no matplotlib, no window).

    Parameters
    ----------
    attribution : Attribution
        From :func:`atom_attributions`.
    size : (int, int)
        Width and height in pixels.
    fmt : {"svg", "png"}
    scale : float, optional
        The absolute value drawn at full colour. Default: the largest absolute value of
        this molecule. Pass one shared value to compare several molecules by colour.
    legend : str
        Text under the molecule.

    Returns
    -------
    str or bytes
        SVG text, or PNG bytes.

    Raises
    ------
    ValueError
        Unknown ``fmt``, a non-positive ``size`` or ``scale``, non-finite values, or
        values whose length does not match the molecule's atoms.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    width, height = (int(v) for v in size)
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be two positive integers, got {size!r}")
    values = np.asarray(attribution.values, dtype=np.float64)
    if values.ndim != 1 or not np.isfinite(values).all():
        raise ValueError("attribution values must be a 1-d array of finite numbers")
    with rdkit_quiet():
        mol = Chem.MolFromSmiles(attribution.smiles)
    if mol is None or mol.GetNumAtoms() != len(values):
        n = None if mol is None else mol.GetNumAtoms()
        raise ValueError(f"{len(values)} attribution values for {attribution.smiles!r} with {n} atoms")
    if scale is None:
        scale = float(np.abs(values).max()) or 1.0
    elif not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    t = np.clip(values / scale, -1.0, 1.0)

    atoms = list(range(mol.GetNumAtoms()))
    atom_colours = {i: _colour(t[i]) for i in atoms}
    bonds, bond_colours = [], {}
    for bond in mol.GetBonds():
        b = bond.GetIdx()
        bonds.append(b)
        bond_colours[b] = _colour(0.5 * (t[bond.GetBeginAtomIdx()] + t[bond.GetEndAtomIdx()]))
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height) if fmt == "svg" else rdMolDraw2D.MolDraw2DCairo(width, height)
    options = drawer.drawOptions()
    options.fillHighlights = True
    options.continuousHighlight = True
    options.highlightRadius = 0.45
    options.setHighlightColour(COLOURS[1])
    with rdkit_quiet():
        rdMolDraw2D.PrepareAndDrawMolecule(
            drawer,
            mol,
            legend=legend,
            highlightAtoms=atoms,
            highlightAtomColors=atom_colours,
            highlightBonds=bonds,
            highlightBondColors=bond_colours,
            highlightAtomRadii={i: 0.45 for i in atoms},
        )
        drawer.FinishDrawing()
    return drawer.GetDrawingText()


def _colour(t: float) -> tuple[float, float, float]:
    """Blend white towards blue (``t < 0``) or red (``t > 0``) by ``|t|`` in [0, 1]."""
    end = COLOURS[2] if t > 0 else COLOURS[0]
    w = abs(float(t))
    return tuple(float((1 - w) * a + w * b) for a, b in zip(COLOURS[1], end))
