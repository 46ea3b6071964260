"""Rule filters (Lipinski, Veber) and structural alerts (PAINS, Brenk) via RDKit's FilterCatalog."""

import functools
from collections.abc import Iterable

import pandas as pd
from rdkit import Chem
from rdkit.Chem import Crippen, Descriptors, Lipinski, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from molgen.chem.parse import DEFAULT_MAX_HEAVY_ATOMS, parse_smiles_batch
from molgen.utils.registry import Registry

ALERT_CATALOGS = Registry("alert catalog")
for _name, _entry in {
    "pains": FilterCatalogParams.FilterCatalogs.PAINS,
    "brenk": FilterCatalogParams.FilterCatalogs.BRENK,
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


@functools.cache
def _catalog(name: str) -> FilterCatalog:
    params = FilterCatalogParams()
    params.AddCatalog(ALERT_CATALOGS.get(name))
    return FilterCatalog(params)


def structural_alerts(mol: Chem.Mol, catalogs: Iterable[str] = ("pains", "brenk")) -> list[str]:
    """Names of the structural alerts that match, e.g. ``["PAINS: ene_five_het_A(201)"]``."""
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
