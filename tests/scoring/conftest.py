"""Small real predictors that honour the ``predict(smiles) -> DataFrame`` contract."""

import numpy as np
import pandas as pd
import pytest

from molgen.chem import parse_smiles_batch


class ElementCountModel:
    """Predicts the heavy-atom count, and refuses elements outside its 'training' set.

    Like a real featurizer, it marks molecules it cannot featurize (here: any element other
    than C, N, O) with state ``featurization_failed`` and an error, instead of raising.
    """

    ELEMENTS = {"C", "N", "O"}

    def __init__(self):
        self.calls = 0

    def predict(self, smiles):
        self.calls += 1
        parsed = parse_smiles_batch(smiles)
        values, states, errors = [], list(parsed.states), list(parsed.errors)
        for i, mol in enumerate(parsed.mols):
            if mol is None:
                values.append(np.nan)
                continue
            other = sorted({a.GetSymbol() for a in mol.GetAtoms()} - self.ELEMENTS)
            if other:
                values.append(np.nan)
                states[i], errors[i] = "featurization_failed", f"unsupported element {other[0]}"
            else:
                values.append(float(mol.GetNumHeavyAtoms()))
        return pd.DataFrame({"prediction": values, "atoms_x2": 2 * np.array(values), "state": states, "error": errors})


@pytest.fixture
def element_model():
    return ElementCountModel()
