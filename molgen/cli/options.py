"""Command-line options shared by the subcommands and the Ray jobs, and renamed (deprecated) flags.

Imports nothing heavy: every subcommand's parser is built on each ``molgen`` call.
"""

import argparse
import warnings

DATA_HELP = "molecule file (.csv, .tsv, .parquet, .sdf, .smi; .gz allowed)"
TABLE_HELP = ".csv, .csv.gz, .tsv, .tsv.gz or .parquet"

#: Namespace attribute holding the messages of the renamed flags that were used.
_RENAMED = "_renamed_flags"


def add_command(subparsers, name: str, run, help: str, description: str) -> argparse.ArgumentParser:
    """A subcommand parser with its ``help`` line and ``description`` (white space is refilled) that calls
    ``run(args)``; ``run=None`` for a command with sub-commands of its own."""
    parser = subparsers.add_parser(name, help=help, description=description)
    if run is not None:
        parser.set_defaults(run=run)
    return parser


def add_model(parser) -> None:
    """``--model MODEL_DIR``: a model directory from ``molgen train``."""
    parser.add_argument("--model", required=True, metavar="MODEL_DIR", help="model directory from 'molgen train'")


def add_data(parser, *, smiles_help: str = "column holding the SMILES") -> None:
    """``--data FILE --smiles-col COL``: the input molecule file."""
    parser.add_argument("--data", required=True, metavar="FILE", help=DATA_HELP)
    parser.add_argument("--smiles-col", required=True, metavar="COL", help=smiles_help)


def add_sep(parser, what: str = "input") -> None:
    """``--sep``: the field separator of CSV/TSV input."""
    parser.add_argument("--sep", help=f"field separator for CSV/TSV {what} (default: by extension)")


def add_predict_batch_size(parser) -> None:
    """``--batch-size``: molecules predicted at a time."""
    parser.add_argument("--batch-size", type=int, default=2048, help="molecules predicted at a time (default: %(default)s)")


def add_renamed(parser, old: str, new: str, **kwargs) -> None:
    """Accept ``old`` as a deprecated, hidden alias of the option ``new`` until molgen 0.2.

    ``kwargs`` are ``new``'s ``dest``, ``type``, ``nargs``, ... Using ``old`` stores the value
    as ``new`` does, and :func:`parse_args` then issues a ``DeprecationWarning``.
    """
    parser.add_argument(old, action=_Renamed, new=new, default=argparse.SUPPRESS, help=argparse.SUPPRESS, **kwargs)


def add_address(parser) -> None:
    """``--address``: the Ray cluster to join."""
    parser.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS, else a local instance)")


def parse_args(parser, argv=None) -> argparse.Namespace:
    """``parser.parse_args(argv)``, then a ``DeprecationWarning`` for each renamed flag used.

    The warning points at the caller of the ``main(argv)`` that calls this function: the
    ``molgen`` script or a Ray job's ``__main__``, where Python shows it by default.
    """
    args = parser.parse_args(argv)
    for message in getattr(args, _RENAMED, ()):
        warnings.warn(message, DeprecationWarning, stacklevel=3)
    return args


class _Renamed(argparse.Action):
    """An old option name: stores its value under the new name's ``dest`` and records a message."""

    def __init__(self, option_strings, dest, *, new: str, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        message = f"{option_string} is deprecated; use {self.new} (the old name goes in molgen 0.2)"
        setattr(namespace, _RENAMED, [*getattr(namespace, _RENAMED, []), message])
