"""``molgen score``: rank a molecule file with a multi-objective scorer config.

``molgen score --config SCORER.toml --data FILE --smiles-col COL --out FILE [--top-k K]``
"""

import sys
from pathlib import Path

from molgen.cli.options import TABLE_HELP, add_command, add_data, add_sep

HELP = "score and rank a molecule file with a scorer config (models, QED, SA, ...)"
DESCRIPTION = """Build a scorer from a TOML/YAML/JSON config (see molgen/scoring/example_scorer.toml), score every molecule of a file
and write the table sorted best first: rank, the input columns, then state, error, each objective's raw value and desirability, and
score. Molecules that cannot be scored get NaN and come last. A 'model' objective's path is read relative to the current folder, or else
relative to the config file's folder."""


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "score", run, HELP, DESCRIPTION)
    parser.add_argument("--config", required=True, metavar="SCORER", help="scorer config (.toml, .yaml, .yml or .json)")
    add_data(parser)
    parser.add_argument("--out", required=True, metavar="FILE", help=f"ranked table: {TABLE_HELP}")
    parser.add_argument("--top-k", type=int, metavar="K", help="keep only the K best rows")
    add_sep(parser)


def run(args) -> int:
    from molgen.cli import UserError
    from molgen.cli._io import COLLISION_PREFIX, apply_record_states, check_columns, check_output_file, join_columns, write_table
    from molgen.data import read_table
    from molgen.scoring import Scorer

    if args.top_k is not None and args.top_k < 1:
        raise UserError(f"--top-k must be >= 1, got {args.top_k}")
    config = Path(args.config)
    if not config.is_file():
        raise UserError(f"{config}: no such config file")
    out = check_output_file(args.out)
    frame = read_table(args.data, sep=args.sep)
    check_columns(frame, args.smiles_col)
    scorer = Scorer.from_config(config, model_loader=model_loader(config.parent))
    ranked = scorer.rank(frame[args.smiles_col].tolist())
    ranked = apply_record_states(frame, ranked, positions=ranked.index.to_numpy())
    scored = int(ranked["score"].notna().sum())
    if args.top_k is not None:
        ranked = ranked.head(args.top_k)
    inputs = frame.iloc[ranked.index.to_numpy()].set_axis(ranked.index)  # rank's index is the input position
    table = join_columns(inputs, ranked.drop(columns=["rank", "smiles"]))
    name = "rank"
    while name in table.columns:
        name = COLLISION_PREFIX + name
    table.insert(0, name, ranked["rank"])
    write_table(table, out)
    print(
        f"scored {len(frame)} rows: {scored} scored, {len(frame) - scored} failed (NaN, ranked last); wrote {len(table)} rows -> {out}",
        file=sys.stderr,
    )
    return 0


def model_loader(base: Path):
    """``load(spec)`` for 'model' objectives: ``spec`` as given if it exists, else relative to ``base``."""

    def load(spec: str):
        from molgen.efficacy import load_model

        path = Path(spec).expanduser()
        if not path.is_absolute() and not path.exists():
            path = base / path
        return load_model(path)

    return load
