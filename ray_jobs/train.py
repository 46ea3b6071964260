"""Ray job: data-parallel training of the efficacy model (Ray Train TorchTrainer, DDP).

    ray job submit --working-dir . -- python ray_jobs/train.py --data data/chembl2321810.csv \
        --smiles-col smiles --target-col pIC50 --out models/efficacy --ensemble 3 --workers 4
"""

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="training table (.csv/.tsv/.parquet/.sdf/.smi)")
    parser.add_argument("--smiles-col", required=True)
    parser.add_argument("--target-col", required=True, action="append", help="target column (repeat for several)")
    parser.add_argument("--out", required=True, help="model directory to write")
    parser.add_argument("--task", default="regression", choices=("regression", "binary", "multiclass"))
    parser.add_argument("--ensemble", type=int, default=3, help="members, trained in parallel")
    parser.add_argument("--workers", type=int, default=2, help="DDP workers per member")
    parser.add_argument("--gpu", action=argparse.BooleanOptionalAction, default=None, help="a GPU per worker (default: if present)")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--split", default="scaffold")
    parser.add_argument("--descriptors", choices=("rdkit2d", "morgan_counts"), help="molecule-level features joined after the readout")
    parser.add_argument("--max-failures", type=int, default=2, help="restarts from the last checkpoint")
    parser.add_argument("--storage", help="Ray Train storage path (checkpoints; shared storage on a cluster)")
    parser.add_argument("--address", help="Ray cluster (default: RAY_ADDRESS, else a local instance)")
    args = parser.parse_args(argv)

    from molgen.data import read_table
    from molgen.distributed.train import fit_distributed
    from molgen.train import TrainConfig

    frame = read_table(args.data)
    missing = [c for c in [args.smiles_col, *args.target_col] if c not in frame.columns]
    if missing:
        parser.error(f"{args.data}: no column(s) {missing}; columns: {', '.join(map(str, frame.columns))}")
    targets = frame[args.target_col].apply(lambda col: col.astype(float))
    model = fit_distributed(
        frame[args.smiles_col].tolist(), targets, out=args.out, task=args.task, ensemble_size=args.ensemble,
        num_workers=args.workers, use_gpu=args.gpu, split_method=args.split, descriptors=args.descriptors, max_failures=args.max_failures,
        train_config=TrainConfig(epochs=args.epochs, batch_size=args.batch_size), storage_path=args.storage, address=args.address,
    )
    print(f"saved {args.out}: test metrics {model.metrics.get('test')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
