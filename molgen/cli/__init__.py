"""The ``molgen`` command line. Each subcommand module offers ``add_parser`` and ``run``."""

import argparse
import importlib
import logging
import sys

#: subcommand name -> module under molgen.cli
COMMANDS = {
    "data": "molgen.cli.data",
    "demo": "molgen.cli.demo",
    "train": "molgen.cli.train",
    "predict": "molgen.cli.predict",
    "evaluate": "molgen.cli.evaluate",
    "score": "molgen.cli.score",
    "generate": "molgen.cli.generate",
    "screen": "molgen.cli.screen",
    "sar": "molgen.cli.sar",
    "run": "molgen.cli.run",
}


class UserError(Exception):
    """An error caused by the user's input: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    from molgen import __version__

    parser = argparse.ArgumentParser(prog="molgen", description="Molecular modeling for drug discovery.")
    parser.add_argument("--version", action="version", version=f"molgen {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from molgen.cli.options import parse_args

    args = parse_args(build_parser(), argv)  # renamed flags work, with a warning, until molgen 0.2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.run(args) or 0)
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (UserError, ValueError, FileNotFoundError, KeyError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        message = " ".join(str(message).split())  # one line, even for wrapped library errors
        print(f"molgen {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
