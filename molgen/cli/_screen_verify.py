"""``molgen screen verify OUT_DIR``: check a finished screening output without changing it.

Exit status 0 when every input row is present once and every shard intact, 1 when problems
were found (listed on stdout, one per line), 2 for a folder that is not a screening output.
"""

import sys

from molgen.cli.options import add_command

HELP = "check a finished screening output: every input row present once, every shard intact"
DESCRIPTION = """Checksum every shard of OUT_DIR against its marker, read every shard's file and row columns against the
library plan in OUT_DIR/manifest.json, list files in OUT_DIR/shards that belong to no shard, and check summary.json and
top_k.parquet. Nothing is changed. Exit status 0: intact; 1: problems found (listed; rerun the same 'molgen screen' command
to redo the damaged shards); 2: OUT_DIR is not a screening output."""


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "verify", run, HELP, DESCRIPTION)
    parser.add_argument("out_dir", metavar="OUT_DIR", help="output folder of 'molgen screen'")


def run(args) -> int:
    from molgen.cli import UserError
    from molgen.distributed.output import OutputError, verify_output

    try:
        result = verify_output(args.out_dir)
    except OutputError as err:
        raise UserError(str(err)) from None
    print(result.report())
    if not result.ok:
        n = len(result.problems)
        print(f"molgen screen verify: {args.out_dir}: {n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
    return 0 if result.ok else 1
