"""Ray job: hyperparameter search (Ray Tune + ASHA) over depth, hidden size, dropout, lr, batch size.

    ray job submit --working-dir ray_jobs -- python tune.py --data /shared/data/chembl2321810.csv \
        --smiles-col smiles --target-col pIC50 --out /shared/tune --samples 32 --epochs 100

Writes OUT/best_config.json and OUT/model/ (a molgen model directory fitted with the best configuration).
"""

import argparse
import json
import sys


def build_parser() -> argparse.ArgumentParser:
    from molgen.cli._io import positive_int
    from molgen.cli.options import add_address, add_renamed
    from molgen.distributed.tune import ENSEMBLE_SIZE, GRACE_PERIOD, NUM_SAMPLES
    from molgen.train.config import FitConfig, TrainConfig

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--smiles-col", required=True)
    parser.add_argument("--target-col", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--samples", type=positive_int, default=NUM_SAMPLES, help="trials (default: %(default)s)")
    parser.add_argument(
        "--epochs", type=positive_int, default=TrainConfig.epochs, help="ASHA's max_t and the final model's epochs (default: %(default)s)"
    )
    add_renamed(parser, "--max-epochs", "--epochs", dest="epochs", type=positive_int)
    parser.add_argument("--grace-period", type=positive_int, default=GRACE_PERIOD, help="ASHA: epochs before a trial can be stopped")
    parser.add_argument("--split", default=FitConfig.split_method, help="split method (default: %(default)s)")
    parser.add_argument(
        "--ensemble-size", type=positive_int, default=ENSEMBLE_SIZE, metavar="N", help="members of the final model (default: %(default)s)"
    )
    add_renamed(parser, "--ensemble", "--ensemble-size", dest="ensemble_size", type=positive_int)
    add_address(parser)
    return parser


def main(argv=None) -> int:
    from molgen.cli.options import parse_args
    from molgen.data import read_table
    from molgen.distributed.tune import tune_efficacy_model

    args = parse_args(build_parser(), argv)
    frame = read_table(args.data)
    record = tune_efficacy_model(
        frame[args.smiles_col].tolist(),
        frame[args.target_col].astype(float).to_numpy(),
        out_dir=args.out,
        num_samples=args.samples,
        epochs=args.epochs,
        grace_period=args.grace_period,
        split_method=args.split,
        ensemble_size=args.ensemble_size,
        address=args.address,
    )
    print(json.dumps(record, indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
