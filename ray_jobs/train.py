"""Ray job: data-parallel training of the efficacy model (Ray Train TorchTrainer, DDP).

    ray job submit --working-dir ray_jobs -- python train.py --data /shared/data/chembl2321810.csv \
        --smiles-col smiles --target-col pIC50 --out /shared/models/efficacy --ensemble-size 3 --num-workers 4

Takes the data, split, model and training options of ``molgen train`` (same names and defaults),
and the Ray options below.
"""

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from molgen.cli._io import positive_int
    from molgen.cli.options import add_address, add_renamed
    from molgen.cli.train import add_fit_arguments, add_table_arguments
    from molgen.distributed.train import MAX_FAILURES, NUM_WORKERS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_fit_arguments(parser)
    add_renamed(parser, "--ensemble", "--ensemble-size", dest="ensemble_size", type=positive_int)
    add_table_arguments(parser)
    parser.add_argument(
        "--num-workers", type=positive_int, default=NUM_WORKERS, metavar="N", help="DDP workers per member (default: %(default)s)"
    )
    add_renamed(parser, "--workers", "--num-workers", dest="num_workers", type=positive_int)
    parser.add_argument("--gpu", action=argparse.BooleanOptionalAction, default=None, help="a GPU per worker (default: if present)")
    parser.add_argument("--max-failures", type=int, default=MAX_FAILURES, help="restarts from the last checkpoint (default: %(default)s)")
    parser.add_argument("--storage", help="Ray Train storage path (checkpoints; shared storage on a cluster)")
    add_address(parser)
    return parser


def main(argv=None) -> int:
    import functools

    from molgen.cli.options import parse_args
    from molgen.cli.train import fit_options
    from molgen.distributed.train import fit_distributed
    from molgen.efficacy import fit_from_file

    args = parse_args(build_parser(), argv)
    fit = functools.partial(
        fit_distributed,
        out_dir=args.out,
        num_workers=args.num_workers,
        use_gpu=args.gpu,
        max_failures=args.max_failures,
        storage_path=args.storage,
        address=args.address,
    )
    model = fit_from_file(
        args.data, out_dir=args.out, **fit_options(args), fit=fit, announce=lambda line: print(f"note: {line}", file=sys.stderr)
    )
    print(f"saved {args.out}: test metrics {model.metrics.get('test')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
