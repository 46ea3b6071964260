"""``molgen generate``: train a SMILES prior, sample from it, optimize and evaluate.

``molgen generate sample --n N --seed S --out FILE [--model DIR] [--temperature T]``
``molgen generate train-prior --out DIR [--data FILE] [--resume] ...``

``optimize`` and ``evaluate`` live in ``molgen/cli/_generate_optimize.py`` and
``molgen/cli/_generate_evaluate.py``; each is listed only when its module is installed.
"""

import argparse
import importlib
import sys
from pathlib import Path

from molgen.cli._io import positive_int as _positive_int
from molgen.cli.options import TABLE_HELP, add_command

#: sub-subcommand -> module offering ``add_parser(subparsers)`` and ``run(args)``
DELEGATED = {"optimize": "molgen.cli._generate_optimize", "evaluate": "molgen.cli._generate_evaluate"}

HELP = "generative design: train a SMILES prior, sample, optimize, evaluate"
DESCRIPTION = """Generate molecules with a SMILES language model. 'sample' uses the small MOSES-trained prior shipped with molgen unless
--model names another."""
SAMPLE_HELP = "sample SMILES from a prior and label each valid / invalid_smiles / duplicate"
SAMPLE_DESCRIPTION = """Sample N strings from a prior and write a table with smiles (canonical when valid), raw_smiles, state (valid,
invalid_smiles or duplicate), error and log_likelihood, in draw order."""
TRAIN_HELP = "train a SMILES prior (GRU/LSTM/transformer) on MOSES or a SMILES file, with checkpoints"
TRAIN_DESCRIPTION = """Train a SMILES language model by teacher forcing, streaming the file in chunks. Writes OUT/checkpoint.pt every
--checkpoint-every steps (continue with --resume) and the prior (prior.json + weights.safetensors) at the end. Default data: the MOSES
training set."""


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "generate", None, HELP, DESCRIPTION)
    sub = parser.add_subparsers(dest="generate_command", required=True, metavar="ACTION")
    _add_train(sub)
    _add_sample(sub)
    for module in DELEGATED.values():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise
            continue
        mod.add_parser(sub)


def _add_sample(sub) -> None:
    p = add_command(sub, "sample", run_sample, SAMPLE_HELP, SAMPLE_DESCRIPTION)
    p.add_argument("--n", type=_positive_int, required=True, help="number of strings to sample")
    p.add_argument("--out", required=True, metavar="FILE", help=f"output table: {TABLE_HELP}")
    p.add_argument("--seed", type=int, help="random seed (same seed, n and device -> same table)")
    p.add_argument("--model", metavar="DIR", help="prior directory (default: the shipped MOSES prior)")
    p.add_argument("--temperature", type=_positive_float, default=1.0, help="softmax temperature (default: %(default)s)")
    p.add_argument("--batch-size", type=_positive_int, default=1024, help="strings drawn at once (default: %(default)s)")
    p.add_argument("--device", default="auto", help="torch device: auto (CUDA when present), cpu, cuda, ...")


def _add_train(sub) -> None:
    p = add_command(sub, "train-prior", run_train, TRAIN_HELP, TRAIN_DESCRIPTION)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder for the checkpoint and the prior")
    p.add_argument("--data", metavar="FILE", help="CSV/TSV (.gz allowed) with a SMILES column, or .smi (default: MOSES train)")
    p.add_argument("--smiles-col", metavar="COL", help="SMILES column of a CSV (default: SMILES or smiles)")
    p.add_argument(
        "--tokenizer", default="smiles", choices=["smiles", "selfies"], help="regex SMILES tokens or SELFIES symbols (default: %(default)s)"
    )
    p.add_argument("--architecture", default="gru", choices=["gru", "lstm", "transformer"])
    p.add_argument("--hidden-size", type=_positive_int, default=512, help="RNN width (default: %(default)s)")
    p.add_argument("--num-layers", type=_positive_int, default=3, help="RNN / transformer layers (default: %(default)s)")
    p.add_argument("--embedding-dim", type=_positive_int, default=128, help="RNN token embedding (default: %(default)s)")
    p.add_argument("--d-model", type=_positive_int, default=256, help="transformer width (default: %(default)s)")
    p.add_argument("--num-heads", type=_positive_int, default=8, help="transformer heads (default: %(default)s)")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--batch-size", type=_positive_int, default=128)
    p.add_argument("--learning-rate", type=_positive_float, default=1e-3)
    p.add_argument("--lr-decay", type=_positive_float, default=0.5, help="LR factor per --lr-decay-molecules")
    p.add_argument("--lr-decay-molecules", type=_positive_int, default=500_000)
    p.add_argument("--clip-grad", type=_positive_float, default=1.0, help="max gradient norm")
    p.add_argument("--epochs", type=_positive_float, default=1.0, help="passes over the data (fractions allowed)")
    p.add_argument("--max-molecules", type=_positive_int, help="stop after this many training molecules")
    p.add_argument("--time-limit", type=_positive_float, metavar="SECONDS", help="stop after this much training time")
    p.add_argument("--val-size", type=int, default=2000, help="SMILES held out for the validation NLL")
    p.add_argument(
        "--shuffle",
        default="global",
        choices=["global", "chunk"],
        help="chunks drawn from the whole file (for ordered files such as MOSES), or consecutive rows (default: %(default)s)",
    )
    p.add_argument("--checkpoint-every", type=_positive_int, default=500, metavar="STEPS")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt exactly")
    p.add_argument(
        "--init-from",
        metavar="DIR",
        help="start from this saved prior's weights and vocabulary (transfer learning; its sizes replace the size options)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="torch device: auto (CUDA when present), cpu, cuda, ...")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run_sample(args) -> int:
    from molgen.cli import UserError
    from molgen.cli._io import check_output_file, state_summary, write_table
    from molgen.generate import PriorLoadError, load_prior

    out = check_output_file(args.out)
    try:
        prior = load_prior(args.model, device=_device(args.device))
    except PriorLoadError as err:
        raise UserError(str(err)) from None
    table = prior.sample(args.n, temperature=args.temperature, seed=args.seed, batch_size=args.batch_size)
    write_table(table, out)
    print(f"sampled {state_summary(table['state'])}; wrote -> {out}", file=sys.stderr)
    return 0


def run_train(args) -> int:
    from molgen.cli import UserError
    from molgen.cli._io import check_writable_folder
    from molgen.generate import train_prior

    out = Path(args.out)
    check_writable_folder(out.parent if not out.exists() else out, out)
    if args.val_size < 0:
        raise UserError(f"--val-size must be >= 0, got {args.val_size}")
    prior = train_prior(
        out,
        data=args.data,
        smiles_col=args.smiles_col,
        tokenizer=args.tokenizer,
        architecture=args.architecture,
        hidden_size=args.hidden_size,
        num_layers=args.num_layers,
        embedding_dim=args.embedding_dim,
        d_model=args.d_model,
        num_heads=args.num_heads,
        dropout=args.dropout,
        shuffle=args.shuffle,
        init_from=args.init_from,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        lr_decay=args.lr_decay,
        lr_decay_molecules=args.lr_decay_molecules,
        clip_grad=args.clip_grad,
        epochs=args.epochs,
        max_molecules=args.max_molecules,
        time_limit=args.time_limit,
        val_size=args.val_size,
        checkpoint_every=args.checkpoint_every,
        resume=args.resume,
        device=_device(args.device),
        seed=args.seed,
        progress=not args.quiet,
    )
    info = prior.metadata["training"]
    print(
        f"trained on {info['molecules_seen']} molecules ({info['epochs']} epochs, {info['steps']} steps, "
        f"{info['wall_time_s']} s); validation NLL {info['final_val_nll']}; wrote prior -> {out}",
        file=sys.stderr,
    )
    return 0


def _device(text: str):
    return None if text == "auto" else text


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value
