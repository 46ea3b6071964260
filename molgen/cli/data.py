"""``molgen data``: look at molecule files. ``molgen data inspect FILE --smiles-col COL``."""

import json
import sys

#: Files with more rows than this show a progress bar on stderr (when it is a terminal).
PROGRESS_MIN_ROWS = 10_000


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("data", help="inspect molecule files", description="Work with molecule files.")
    sub = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    inspect = sub.add_parser(
        "inspect",
        help="count valid, invalid and duplicate molecules and describe the targets",
        description="Read a CSV, TSV, Parquet, SDF or SMI file (plain or gzipped), parse and standardize "
        "every SMILES, and report valid / invalid / duplicate counts, why rows are invalid, target "
        "statistics and conflicting duplicate measurements.",
    )
    inspect.add_argument("file", metavar="FILE", help="molecule file (.csv, .tsv, .parquet, .sdf, .smi; .gz allowed)")
    inspect.add_argument("--smiles-col", required=True, metavar="COL", help="column holding the SMILES")
    inspect.add_argument(
        "--target-col",
        action="append",
        default=[],
        metavar="COL",
        dest="target_cols",
        help="numeric target column (repeat for several)",
    )
    inspect.add_argument("--id-col", metavar="COL", help="identifier column")
    inspect.add_argument("--sep", help="field separator for CSV/TSV files (default: by extension)")
    inspect.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    inspect.add_argument(
        "--no-standardize",
        action="store_true",
        help="only parse and sanitize; do not strip salts, neutralize or normalize",
    )
    inspect.set_defaults(run=run_inspect)


def run_inspect(args) -> int:
    from molgen.chem.standardize import Standardizer
    from molgen.data.readers import read_table
    from molgen.data.summary import format_summary, summarize
    from molgen.data.table import MoleculeTable

    frame = read_table(args.file, sep=args.sep)
    table = MoleculeTable.from_frame(
        frame,
        args.smiles_col,
        args.target_cols,
        args.id_col,
        standardizer=None if args.no_standardize else Standardizer(),
        progress=len(frame) > PROGRESS_MIN_ROWS and sys.stderr.isatty(),
        source=args.file,
    )
    summary = summarize(table)
    summary["standardized"] = not args.no_standardize
    print(json.dumps(summary, indent=2, allow_nan=False) if args.json else format_summary(summary))
    return 0
