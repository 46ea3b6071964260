"""``molgen sar``: R-group table and Free-Wilson analysis of a series.

``molgen sar --data FILE --smiles-col COL --target-col COL [--core SMARTS] --out DIR``
"""

import sys
from pathlib import Path

from molgen.cli.options import add_command, add_data, add_sep

HELP = "R-group decomposition and Free-Wilson analysis of a series"
DESCRIPTION = """Decompose every molecule of a series around its core (given with --core as SMARTS or SMILES, else the maximum
common substructure of 80% of the series) and fit a Free-Wilson model: one contribution per substituent with a confidence interval.
DIR gets rgroups.csv (every input row with its core, R1, R2, ..., state, error, prediction and leave-one-out prediction),
contributions.csv (position, substituent, n, contribution, std_error, lower, upper) and untested.csv (the combinations of seen
substituents predicted best that are not in the data). Molecules are standardized first (salts stripped) unless --no-standardize."""

#: Files written into --out.
OUTPUTS = ("rgroups.csv", "contributions.csv", "untested.csv")


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "sar", run, HELP, DESCRIPTION)
    add_data(parser)
    parser.add_argument("--target-col", required=True, metavar="COL", help="numeric target column (e.g. pIC50)")
    parser.add_argument("--core", metavar="SMARTS", help="core as SMARTS or SMILES, R labels as [*:1] (default: found by MCS)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created; its three CSV files are replaced)")
    parser.add_argument("--top", type=int, default=20, metavar="N", help="untested combinations to list (default: %(default)s)")
    parser.add_argument("--alpha", type=float, default=1.0, help="ridge penalty of the Free-Wilson fit (default: %(default)s)")
    parser.add_argument(
        "--lower-is-better", action="store_true", help="rank untested combinations by lowest prediction (IC50-like targets)"
    )
    parser.add_argument(
        "--mcs-timeout", type=float, default=10.0, metavar="S", help="seconds the core search may take (default: %(default)s)"
    )
    parser.add_argument("--no-standardize", action="store_true", help="decompose molecules as parsed; do not strip salts or neutralize")
    add_sep(parser)


def run(args) -> int:
    from molgen.chem import Standardizer
    from molgen.cli import UserError
    from molgen.cli._io import apply_record_states, check_columns, check_writable_folder, join_columns, state_summary, write_table
    from molgen.data import read_table
    from molgen.data.table import target_to_float
    from molgen.sar import FreeWilson, decompose, find_core

    if args.top < 1:
        raise UserError(f"--top must be >= 1, got {args.top}")
    if not args.mcs_timeout > 0:
        raise UserError(f"--mcs-timeout must be > 0 seconds, got {args.mcs_timeout}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder")
    check_writable_folder(next(p for p in (out, *out.parents) if p.exists()), out)
    frame = read_table(args.data, sep=args.sep)
    check_columns(frame, args.smiles_col, [args.target_col])
    target = target_to_float(frame[args.target_col], args.target_col)
    standardizer = None if args.no_standardize else Standardizer()
    core = args.core
    if core is None:
        core = find_core(frame[args.smiles_col], standardizer=standardizer, timeout=args.mcs_timeout)
        print(f"core (maximum common substructure): {core}", file=sys.stderr)
    table = apply_record_states(frame, decompose(frame[args.smiles_col], core, standardizer=standardizer))
    n_fit = int(((table["state"] == "valid") & target.notna()).sum())
    if n_fit < 2:
        raise UserError(f"{n_fit} molecule(s) contain the core {core} and have a {args.target_col} value; a fit needs 2 or more")
    model = FreeWilson(alpha=args.alpha).fit(table, target.to_numpy())
    table["prediction"] = model.predict(table)
    table["loo_prediction"] = model.loo_predictions_
    untested = model.untested(args.top, maximize=not args.lower_is_better)
    out.mkdir(parents=True, exist_ok=True)
    rgroups = join_columns(frame, table)
    for name, result in zip(OUTPUTS, (rgroups, model.contributions_, untested), strict=True):
        write_table(result, out / name)
    print(
        f"decomposed {state_summary(table['state'])}\n"
        f"Free-Wilson on {model.n_samples_} molecules, {len(model.contributions_)} substituents: "
        f"R2 {model.r2_:.3f}  leave-one-out RMSE {model.loo_rmse_:.3f}  leave-one-out R2 {model.loo_r2_:.3f}\n"
        f"wrote {', '.join(str(out / name) for name in OUTPUTS)}"
    )
    return 0
