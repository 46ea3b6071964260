"""``molgen demo``: load the bundled efficacy data set, validate it and summarize it."""

import json

from molgen.cli.options import add_command

HELP = "load the bundled pIC50 data set, validate it and print its summary"
DESCRIPTION = """Load the bundled CHEMBL2321810 pIC50 series, standardize and validate every molecule, and print a data, drug-likeness
and split summary."""


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "demo", run, HELP, DESCRIPTION)
    parser.add_argument("--dataset", default="chembl2321810", help="built-in data set name (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def run(args) -> int:
    from molgen.pipeline.demo import demo_report, format_demo_report

    report = demo_report(args.dataset)
    print(json.dumps(report, indent=2) if args.json else format_demo_report(report))
    return 0
