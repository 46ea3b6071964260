"""Per-molecule states and the typed error raised by single-item functions."""

from enum import Enum


class MolState(str, Enum):
    """What happened to one input row. Batch outputs store the ``.value`` strings."""

    VALID = "valid"
    EMPTY = "empty"
    INVALID_SMILES = "invalid_smiles"
    SANITIZATION_ERROR = "sanitization_error"
    TOO_MANY_ATOMS = "too_many_atoms"
    STANDARDIZATION_FAILED = "standardization_failed"
    INVALID_RECORD = "invalid_record"
    FEATURIZATION_FAILED = "featurization_failed"
    DUPLICATE = "duplicate"
    FILTERED = "filtered"

    def __str__(self) -> str:
        return self.value


#: States that mean "the molecule itself could not be read".
INVALID_STATES = frozenset(
    {
        MolState.EMPTY,
        MolState.INVALID_SMILES,
        MolState.SANITIZATION_ERROR,
        MolState.TOO_MANY_ATOMS,
        MolState.STANDARDIZATION_FAILED,
        MolState.INVALID_RECORD,
    }
)


class InvalidMoleculeError(ValueError):
    """A molecule that could not be parsed, sanitized, standardized or featurized.

    Attributes
    ----------
    smiles : str
        The input as given (may be empty).
    state : MolState
        Why it failed.
    reason : str
        A human-readable explanation (RDKit's message where there is one).
    """

    def __init__(self, smiles: str, state: MolState, reason: str):
        self.smiles = smiles
        self.state = MolState(state)
        self.reason = reason
        shown = smiles if len(smiles) <= 80 else smiles[:77] + "..."
        super().__init__(f"{self.state.value}: {reason} (input: {shown!r})")
