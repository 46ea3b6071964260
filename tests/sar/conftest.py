"""A synthetic series with exactly additive activities: a benzamide core, R1 on the ring, R2 on the amide N."""

import itertools
from pathlib import Path

import pandas as pd
import pytest

#: The core, asymmetric so that RDKit cannot swap the two labels.
CORE = "[*:1]c1ccc(cc1)C(=O)N[*:2]"

#: substituent SMILES written into the template -> its true contribution
R1 = {"": 0.0, "F": 0.3, "Cl": 0.8, "C": -0.2, "OC": 0.5}
R2 = {"C": 0.0, "CC": 0.4, "C1CC1": 1.0, "c1ccccc1": -0.6}
BASE = 5.0

#: combinations left out of the data; ("Cl", "C1CC1") is the best of all
LEFT_OUT = {("Cl", "C1CC1"), ("OC", "C1CC1"), ("F", "c1ccccc1")}


def series_smiles(r1: str, r2: str) -> str:
    return f"{r1}c1ccc(cc1)C(=O)N{r2}"


@pytest.fixture(scope="session")
def additive_series() -> pd.DataFrame:
    """17 molecules, columns smiles, pIC50, r1, r2 (the template's substituents)."""
    rows = [
        {"smiles": series_smiles(r1, r2), "pIC50": BASE + R1[r1] + R2[r2], "r1": r1, "r2": r2}
        for r1, r2 in itertools.product(R1, R2)
        if (r1, r2) not in LEFT_OUT
    ]
    return pd.DataFrame(rows)


#: The README, whose ``molgen sar`` block tests/sar/test_sar_cli.py runs.
README = Path(__file__).resolve().parents[2] / "README.md"
