"""``molgen screen``: screen a molecule library with a model on Ray (or in-process).

``molgen screen --model MODEL_DIR --library FILE_OR_DIR --smiles-col COL [--id-col COL]
[--scorer CONFIG] --top-k K --out OUT_DIR``

``molgen screen verify OUT_DIR`` (in ``molgen/cli/_screen_verify.py``) checks a finished output.
"""

import sys

from molgen.cli import _screen_verify
from molgen.cli.options import add_address, add_command, add_renamed

HELP = "screen a molecule library (file or folder, any size) with a model on Ray"
DESCRIPTION = """Predict and score every row of a library (.smi/.csv/.tsv, optionally gzipped, .parquet, or a folder of them) with a
model directory from 'molgen train'. OUT_DIR gets Parquet shards with every input row (id, SMILES, state, error, predictions,
uncertainty, score), top_k.parquet/top_k.csv and summary.json. Running the same command again finishes only missing shards; an OUT_DIR
written by another model, library or settings is refused; a damaged shard (truncated or changed after writing) is redone. Joins the
Ray cluster in RAY_ADDRESS or --address, else starts a local one. 'molgen screen verify OUT_DIR' checks a finished output."""
USAGE = """molgen screen --model MODEL_DIR --library FILE_OR_DIR --smiles-col COL --top-k K --out OUT_DIR [options]
       molgen screen verify OUT_DIR"""
#: (flag, attribute) of the options a screening run needs; not argparse-required, so that 'verify' can do without them
REQUIRED = (("--model", "model"), ("--library", "library"), ("--smiles-col", "smiles_col"), ("--top-k", "top_k"), ("--out", "out"))


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "screen", run, HELP, DESCRIPTION)
    parser.usage = USAGE
    parser.add_argument("--model", metavar="MODEL_DIR", help="model directory from 'molgen train' (required)")
    parser.add_argument("--library", metavar="FILE_OR_DIR", help="library file or folder of files (required)")
    parser.add_argument("--smiles-col", metavar="COL", help="column holding the SMILES ('smiles' for .smi files) (required)")
    parser.add_argument("--id-col", metavar="COL", help="identifier column to carry into the results ('id' for .smi files)")
    parser.add_argument("--scorer", metavar="CONFIG", help="scorer config (.toml/.yaml/.json); default: score = prediction")
    parser.add_argument("--top-k", type=int, metavar="K", help="rows in the top-k table (required)")
    parser.add_argument("--out", metavar="OUT_DIR", help="output folder (created; resumable) (required)")
    parser.add_argument("--shard-size", type=int, default=8192, help="rows per shard (default: %(default)s)")
    parser.add_argument("--num-workers", type=int, metavar="N", help="CPU workers (default: all CPUs of the cluster)")
    add_renamed(parser, "--workers", "--num-workers", dest="num_workers", type=int)
    parser.add_argument("--gpus", type=int, help="GPU model actors (default: every GPU; 0 forces CPU)")
    add_address(parser)
    parser.add_argument("--local", action="store_true", help="run in this process without Ray")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    actions = parser.add_subparsers(dest="screen_action", metavar="ACTION", prog="molgen screen")
    _screen_verify.add_parser(actions)


def run(args) -> int:
    from molgen.cli import UserError
    from molgen.distributed import screen
    from molgen.efficacy import CheckpointError

    missing = [flag for flag, name in REQUIRED if getattr(args, name) is None]
    if missing:
        raise UserError(
            f"the following arguments are required: {', '.join(missing)} (or check an output with 'molgen screen verify OUT_DIR')"
        )
    for name in ("top_k", "shard_size", "num_workers", "gpus"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "gpus" else 1):
            raise UserError(f"--{name.replace('_', '-')} must be >= {0 if name == 'gpus' else 1}, got {value}")
    try:
        result = screen(
            args.model,
            args.library,
            out_dir=args.out,
            smiles_col=args.smiles_col,
            id_col=args.id_col,
            scorer=args.scorer,
            top_k=args.top_k,
            shard_size=args.shard_size,
            engine="local" if args.local else "ray",
            num_workers=args.num_workers,
            gpus=args.gpus,
            address=args.address,
            progress=not args.no_progress,
        )
    except CheckpointError as err:
        raise UserError(str(err)) from None
    except OSError as err:
        raise UserError(f"{getattr(err, 'filename', None) or args.out}: {err.strerror or err}") from None
    print(result.report(), file=sys.stderr)
    return 0
