"""``molgen demo``: load the bundled efficacy data set, validate it and summarize it."""

import json


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="load the bundled pIC50 data set, validate it and print its summary",
        description="Load the bundled CHEMBL2321810 pIC50 series, standardize and validate every "
        "molecule, and print a data, drug-likeness and split summary.",
    )
    parser.add_argument("--dataset", default="chembl2321810", help="built-in data set name (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(run=run)


def run(args) -> int:
    from molgen.pipeline.demo import demo_report, format_demo_report

    report = demo_report(args.dataset)
    print(json.dumps(report, indent=2) if args.json else format_demo_report(report))
    return 0
