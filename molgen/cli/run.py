"""``molgen run [CONFIG.toml]``: the whole job, from measured data to a ranked, explained report."""

import sys
import warnings

from molgen.cli.options import add_command

HELP = "train a model, generate and screen candidates, and write an HTML report"
DESCRIPTION = """Run the molgen pipeline from one TOML config (the embedded default when none is given): load the efficacy data -> train
a model ensemble with calibrated uncertainty -> optimize new candidates toward the scorer -> screen the candidates and a library with
Ray -> write report.html. Finished stages are cached in the output folder and reused by the next run with the same config."""


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "run", run, HELP, DESCRIPTION)
    parser.add_argument("config", nargs="?", metavar="CONFIG.toml", help="run config (default: the embedded one)")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: the config's run.out_dir)")
    parser.add_argument("--print-default", action="store_true", help="print the embedded default config and exit")


def run(args) -> int:
    from molgen.pipeline.config import default_config_text, load_run_config
    from molgen.pipeline.run import run_pipeline

    if args.print_default:
        sys.stdout.write(default_config_text())
        return 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = load_run_config(args.config)
    for warning in caught:  # renamed config keys: warn at main()'s caller, as for a renamed flag
        warnings.warn(warning.message, warning.category, stacklevel=3)
    result = run_pipeline(config, out_dir=args.out, announce=lambda line: print(line, file=sys.stderr, flush=True))
    print(result.report.resolve())
    return 0
