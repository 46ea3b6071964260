"""``molgen generate evaluate``: MOSES metrics of a file of generated SMILES.

``molgen generate evaluate --samples FILE [--smiles-col smiles] [--n N] --out DIR``
writes ``DIR/metrics.json`` and ``DIR/properties.png``. Delegated from
``molgen/cli/generate.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from molgen.cli.options import add_command, add_renamed

HELP = "MOSES metrics of generated SMILES (validity, uniqueness, novelty, FCD, SNN, ...)"
DESCRIPTION = """Score a file of generated SMILES with the MOSES distribution-learning metrics: validity, unique@1k/@10k, novelty vs the
training set, IntDiv1/2, FCD, SNN, Frag and Scaf against the test and scaffold-test sets, the MOSES filters, and Wasserstein distances
of logP, SA, QED and molecular weight. By default the references are the MOSES sets (molsets package) with MOSES's published test
statistics; --train/--test/--test-scaffolds replace them (their statistics are cached under --cache-dir). Writes DIR/metrics.json and
DIR/properties.png. Invalid SMILES are counted in 'valid' and left out of the other metrics, as in MOSES."""


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "evaluate", run, HELP, DESCRIPTION)
    parser.add_argument("--samples", required=True, metavar="FILE", help="generated molecules (.csv, .tsv, .smi, .parquet; .gz allowed)")
    parser.add_argument("--smiles-col", default="smiles", metavar="COL", help="column holding the SMILES (default: smiles)")
    parser.add_argument("--n", type=int, metavar="N", help="score only the first N rows (MOSES uses 30,000 samples)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    parser.add_argument("--train", metavar="FILE", help="training molecules for novelty (default: MOSES train)")
    parser.add_argument("--test", metavar="FILE", help="test molecules (default: MOSES test)")
    parser.add_argument("--test-scaffolds", metavar="FILE", help="scaffold-test molecules (default: MOSES test_scaffolds)")
    parser.add_argument("--ref-smiles-col", default="smiles", metavar="COL", help="SMILES column of --train/--test/--test-scaffolds files")
    parser.add_argument("--no-moses", action="store_true", help="do not fall back to the MOSES sets for references not given")
    parser.add_argument("--num-workers", type=int, default=1, metavar="N", help="processes for the RDKit work (default 1)")
    add_renamed(parser, "--n-jobs", "--num-workers", dest="num_workers", type=int)
    parser.add_argument("--device", default="cpu", help="torch device for ChemNet and similarities (default cpu)")
    parser.add_argument("--batch-size", type=int, default=512, metavar="B", help="ChemNet batch size")
    parser.add_argument("--cache-dir", metavar="DIR", help="reference-statistics cache (default ~/.cache/molgen or $MOLGEN_CACHE_DIR)")
    parser.add_argument("--progress", action="store_true", help="show progress bars")


def _smiles_from(path, col: str, what: str) -> list[str]:
    from molgen.cli import UserError
    from molgen.data import read_table

    frame = read_table(path)
    if col not in frame.columns:
        raise UserError(f"{what} file {path} has no column {col!r}; columns: {', '.join(map(str, frame.columns))}")
    return ["" if v is None or v != v else str(v) for v in frame[col].tolist()]


def run(args) -> int:
    import warnings

    from molgen import __version__
    from molgen.cli import UserError
    from molgen.cli._io import check_writable_folder, json_safe
    from molgen.generate.moses import evaluate_samples
    from molgen.utils.files import write_text

    if args.n is not None and args.n < 1:
        raise UserError(f"--n must be >= 1, got {args.n}")
    if args.num_workers < 1:
        raise UserError(f"--num-workers must be >= 1, got {args.num_workers}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder")
    existing = next(p for p in (out, *out.parents) if p.exists())
    check_writable_folder(existing, out)
    samples = _smiles_from(args.samples, args.smiles_col, "samples")
    n_rows = len(samples)
    if args.n is not None:
        samples = samples[: args.n]
    refs = {
        name: None if path is None else _smiles_from(path, args.ref_smiles_col, name.replace("_", "-"))
        for name, path in (("train", args.train), ("test", args.test), ("test_scaffolds", args.test_scaffolds))
    }
    out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        metrics = evaluate_samples(
            samples,
            **refs,
            moses_defaults=not args.no_moses,
            num_workers=args.num_workers,
            device=args.device,
            batch_size=args.batch_size,
            cache_dir=args.cache_dir,
            plot_path=out / "properties.png",
            progress=args.progress,
        )
    notes = sorted({str(w.message) for w in caught})
    report = {
        "molgen_version": __version__,
        "samples": str(args.samples),
        "smiles_col": args.smiles_col,
        "rows_in_file": n_rows,
        "references": {k: (getattr(args, k) or ("MOSES" if not args.no_moses else None)) for k in refs},
        "metrics": metrics,
        "notes": notes,
    }
    import json

    write_text(out / "metrics.json", json.dumps(json_safe(report), indent=2) + "\n")
    shown = ", ".join(
        f"{k} {v:.3f}" for k, v in metrics.items() if k in ("valid", "unique@10000", "Novelty", "FCD/Test", "SNN/Test", "IntDiv") and v == v
    )
    print(f"scored {len(samples)} samples ({metrics['n_valid']} valid): {shown}; wrote {out / 'metrics.json'}", file=sys.stderr)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
