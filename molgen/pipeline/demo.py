"""The demo job: load a built-in data set, validate it, and summarize data, drug-likeness and splits."""

import numpy as np

from molgen.chem import descriptor_table, filter_table
from molgen.data import MoleculeTable, load_dataset, split, summarize
from molgen.data.summary import format_summary


def demo_report(dataset: str = "chembl2321810", *, seed: int = 0) -> dict:
    """Validate a built-in data set and return a JSON-ready report.

    Parameters
    ----------
    dataset : str
        A name from :func:`molgen.data.list_datasets`.
    seed : int
        Seed of the scaffold split shown in the report.

    Returns
    -------
    dict
        ``dataset`` (name, source, license), ``summary`` (:func:`molgen.data.summarize`),
        ``druglikeness`` (medians and pass rates over unique valid molecules) and
        ``scaffold_split`` (part sizes).

    Raises
    ------
    ValueError
        For an unknown data set name (the message lists the choices).
    """
    data = load_dataset(dataset)
    table = MoleculeTable.from_frame(data.frame, data.smiles_col, data.target_cols, data.id_col, source=f"built-in data set {data.name}")
    unique = table.unique["smiles_std"].tolist()
    desc = descriptor_table(unique)
    flags = filter_table(unique)
    parts = split(unique, method="scaffold", seed=seed) if len(unique) >= 10 else None
    return {
        "dataset": {
            "name": data.name,
            "description": data.description,
            "units": data.units,
            "source": data.source,
            "license": data.license,
        },
        "summary": summarize(table),
        "druglikeness": {
            "molecules": len(unique),
            **{f"median_{c}": _median(desc[c]) for c in ("mw", "clogp", "tpsa", "qed", "sa_score")},
            "lipinski_pass": _share(flags["lipinski"]),
            "veber_pass": _share(flags["veber"]),
            "with_alerts": _share(flags["n_alerts"] > 0),
            "with_pains": _share(flags["alerts"].str.contains("PAINS")),
        },
        "scaffold_split": None
        if parts is None
        else {"seed": seed, "train": len(parts.train), "valid": len(parts.valid), "test": len(parts.test)},
    }


def _median(values) -> float | None:
    values = np.asarray(values, dtype=float)
    return None if np.isnan(values).all() else round(float(np.nanmedian(values)), 3)


def _share(mask) -> float | None:
    mask = mask.dropna().astype(bool)
    return None if mask.empty else round(float(mask.mean()), 3)


def format_demo_report(report: dict) -> str:
    """The report as short text for the terminal."""
    info, drug, parts = report["dataset"], report["druglikeness"], report["scaffold_split"]
    lines = [
        f"molgen demo: {info['name']} - {info['description']}",
        f"source   {info['source']}",
        f"license  {info['license']}",
        "",
        format_summary(report["summary"]),
        "",
        f"drug-likeness of {drug['molecules']} unique valid molecules (medians)",
        "  MW {median_mw}  cLogP {median_clogp}  TPSA {median_tpsa}  QED {median_qed}  SA {median_sa_score}".format(**drug),
        f"  Lipinski pass {drug['lipinski_pass']:.1%}  Veber pass {drug['veber_pass']:.1%}  "
        f"with PAINS/Brenk alerts {drug['with_alerts']:.1%} (PAINS {drug['with_pains']:.1%})",
    ]
    if parts:
        lines += ["", f"scaffold split (seed {parts['seed']}): train {parts['train']}, valid {parts['valid']}, test {parts['test']}"]
    return "\n".join(lines)
