"""Ray job: hyperparameter search (Ray Tune + ASHA) over depth, hidden size, dropout, lr, batch size.

    ray job submit --working-dir . -- python ray_jobs/tune.py --data data/chembl2321810.csv \
        --smiles-col smiles --target-col pIC50 --out tune_out --samples 32 --max-epochs 100

Writes OUT/best_config.json and OUT/model/ (a molgen model directory fitted with the best configuration).
"""

import argparse
import json
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--smiles-col", required=True)
    parser.add_argument("--target-col", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--samples", type=int, default=16, help="trials")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--grace-period", type=int, default=3, help="ASHA: epochs before a trial can be stopped")
    parser.add_argument("--split", default="scaffold")
    parser.add_argument("--ensemble", type=int, default=1, help="members of the final model")
    parser.add_argument("--address", help="Ray cluster (default: RAY_ADDRESS, else a local instance)")
    args = parser.parse_args(argv)

    from molgen.data import read_table
    from molgen.distributed.tune import tune_efficacy_model

    frame = read_table(args.data)
    record = tune_efficacy_model(
        frame[args.smiles_col].tolist(), frame[args.target_col].astype(float).to_numpy(), out=args.out,
        num_samples=args.samples, max_epochs=args.max_epochs, grace_period=args.grace_period, split_method=args.split,
        ensemble_size=args.ensemble, address=args.address,
    )
    print(json.dumps(record, indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
