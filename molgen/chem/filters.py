"""Rule filters (Lipinski, Veber), ring size and structural alerts (PAINS, Brenk, REINVENT's) via RDKit's FilterCatalog."""

import functools
from collections.abc import Iterable

import pandas as pd
from rdkit import Chem
from rdkit.Chem import Crippen, Descriptors, Lipinski, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogEntry, FilterCatalogParams, SmartsMatcher

from molgen.chem.parse import DEFAULT_MAX_HEAVY_ATOMS, parse_smiles_batch
from molgen.utils.quiet import rdkit_quiet
from molgen.utils.registry import Registry

#: REINVENT 4's standard "custom_alerts" (``configs/toml/staged_learning.toml`` and the demo
#: configs of github.com/MolecularAI/REINVENT4, Apache-2.0): description -> SMARTS. Note that
#: ``C(=[O,S])[O,S]`` flags carboxylic acids and esters too, as REINVENT's list does.
REINVENT_ALERTS = {
    "ring of 8-17 atoms": "[*;r{8-17}]",
    "O-O bond": "[#8][#8]",
    "carbocation": "[#6;+]",
    "S-S bond": "[#16][#16]",
    "N-S bond (not a sulfonyl)": "[#7;!n][S;!$(S(=O)=O)]",
    "non-aromatic N-N bond": "[#7;!n][#7;!n]",
    "C#C triple bond": "C#C",
    "acid, ester or thioester": "C(=[O,S])[O,S]",
    "N-C-S (aminal-like)": "[#7;!n][C;!$(C(=[O,N])[N,O])][#16;!s]",
    "N-C-N (aminal)": "[#7;!n][C;!$(C(=[O,N])[N,O])][#7;!n]",
    "N-C-O (hemiaminal-like)": "[#7;!n][C;!$(C(=[O,N])[N,O])][#8;!o]",
    "O-C-S (thioacetal-like)": "[#8;!o][C;!$(C(=[O,N])[N,O])][#16;!s]",
    "O-C-O (acetal)": "[#8;!o][C;!$(C(=[O,N])[N,O])][#8;!o]",
    "S-C-S (dithioacetal)": "[#16;!s][C;!$(C(=[O,N])[N,O])][#16;!s]",
}

#: name -> RDKit's built-in catalog, or a ``{description: SMARTS}`` mapping.
ALERT_CATALOGS = Registry("alert catalog")
for _name, _entry in {
    "pains": FilterCatalogParams.FilterCatalogs.PAINS,
    "brenk": FilterCatalogParams.FilterCatalogs.BRENK,
    "reinvent": REINVENT_ALERTS,
}.items():
    ALERT_CATALOGS.register(_name)(_entry)


def lipinski_violations(mol: Chem.Mol) -> int:
    """Number of Lipinski rule-of-five violations (MW > 500, cLogP > 5, HBD > 5, HBA > 10)."""
    return sum(
        (
            Descriptors.MolWt(mol) > 500,
            Crippen.MolLogP(mol) > 5,
            Lipinski.NumHDonors(mol) > 5,
            Lipinski.NumHAcceptors(mol) > 10,
        )
    )


def passes_lipinski(mol: Chem.Mol, max_violations: int = 1) -> bool:
    """Lipinski's rule of five, allowing ``max_violations`` (1, as Lipinski stated it)."""
    return lipinski_violations(mol) <= max_violations


def passes_veber(mol: Chem.Mol) -> bool:
    """Veber's oral bioavailability rule: at most 10 rotatable bonds and TPSA at most 140 Å²."""
    return rdMolDescriptors.CalcNumRotatableBonds(mol) <= 10 and rdMolDescriptors.CalcTPSA(mol) <= 140


def smarts_catalog(alerts: dict) -> FilterCatalog:
    """A FilterCatalog of ``{description: SMARTS}``; raise ``ValueError`` naming a SMARTS RDKit cannot read."""
    catalog = FilterCatalog()
    for description, smarts in alerts.items():
        with rdkit_quiet():
            query = Chem.MolFromSmarts(smarts) if isinstance(smarts, str) else None
        if query is None:
            raise ValueError(f"alert {description!r}: not a valid SMARTS: {smarts!r}")
        catalog.AddEntry(FilterCatalogEntry(description, SmartsMatcher(description, smarts, 1)))
    return catalog


@functools.cache
def _catalog(name: str) -> FilterCatalog:
    entry = ALERT_CATALOGS.get(name)
    if isinstance(entry, dict):
        return smarts_catalog(entry)
    params = FilterCatalogParams()
    params.AddCatalog(entry)
    return FilterCatalog(params)


def largest_ring_size(mol: Chem.Mol) -> int:
    """Atoms in the largest ring of the smallest set of smallest rings (0 for an acyclic molecule)."""
    return max((len(ring) for ring in mol.GetRingInfo().AtomRings()), default=0)


def structural_alerts(mol: Chem.Mol, catalogs: Iterable[str] = ("pains", "brenk")) -> list[str]:
    """Names of the structural alerts that match, e.g. ``["PAINS: ene_five_het_A(201)"]``.

    ``catalogs`` are names of :data:`ALERT_CATALOGS`: ``pains``, ``brenk`` and ``reinvent``
    (:data:`REINVENT_ALERTS`, e.g. ``"REINVENT: non-aromatic N-N bond"``).
    """
    alerts = set()
    for name in catalogs:
        for match in _catalog(name.lower()).GetMatches(mol):
            alerts.add(f"{name.upper()}: {match.GetDescription()}")
    return sorted(alerts)


def filter_table(
    smiles: Iterable,
    *,
    catalogs: Iterable[str] = ("pains", "brenk"),
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
) -> pd.DataFrame:
    """Rule and alert flags for a batch of SMILES, aligned with the input.

    Columns: ``lipinski_violations``, ``lipinski``, ``veber``, ``n_alerts``, ``alerts``
    ("; "-joined names), ``state``, ``error``. Failed molecules get missing values.
    """
    catalogs = tuple(catalogs)
    parsed = parse_smiles_batch(smiles, max_heavy_atoms=max_heavy_atoms)
    rows = []
    for mol in parsed.mols:
        if mol is None:
            rows.append((pd.NA, pd.NA, pd.NA, pd.NA, ""))
            continue
        alerts = structural_alerts(mol, catalogs)
        n = lipinski_violations(mol)
        rows.append((n, n <= 1, passes_veber(mol), len(alerts), "; ".join(alerts)))
    table = pd.DataFrame(rows, columns=["lipinski_violations", "lipinski", "veber", "n_alerts", "alerts"])
    table["state"] = parsed.states
    table["error"] = parsed.errors
    return table
