"""``molgen generate optimize``: goal-directed generation toward a scorer config.

``molgen generate optimize --scorer CONFIG.toml [--model-dir DIR] --method rl|ga --budget N
--seed S --out DIR [--resume]``, or ``--oracle NAME`` (a PMO / GuacaMol benchmark oracle,
:mod:`molgen.scoring.oracles`) instead of ``--scorer``; delegated from :mod:`molgen.cli.generate`.
"""

import json
import sys
from pathlib import Path

OUTPUTS = ("candidates.csv", "history.csv", "top.png", "summary.json")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "optimize",
        help="generate molecules that a scorer likes (REINVENT-style RL or a graph GA)",
        description="Optimize molecules toward a scorer config (see molgen/scoring/example_scorer.toml). "
        "--method rl fine-tunes a copy of the prior by reinforcement learning (augmented likelihood, "
        "scaffold diversity filter, experience replay); --method ga evolves a starting population with "
        "graph mutations and crossover. Every distinct molecule scored counts against --budget. Give "
        "--scorer and --budget several times for a staged run (e.g. cheap filters first, then the model). "
        "Writes to --out: candidates.csv (ranked, with component scores, predicted efficacy and interval, "
        "novelty, nearest known active and alerts), history.csv (every scored molecule in call order), "
        "top.png (the best molecules), summary.json (PMO metrics), checkpoint/ (for --resume) and, for rl, "
        "agent/ (the tuned prior, for molgen generate sample --model). --oracle NAME optimizes a benchmark "
        "oracle (the PMO tasks: qed, osimertinib_mpo, deco_hop, ...; a scorer config can name one too: "
        'kind = "oracle", oracle = NAME) and adds PMO\'s AUC top-10 at the budget to summary.json.',
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--scorer", action="append", metavar="CONFIG", help="scorer config (.toml/.yaml/.json); repeat for stages")
    what.add_argument(
        "--oracle",
        action="append",
        metavar="NAME",
        help="a benchmark oracle instead of a scorer config (molgen.scoring.oracles.ORACLES; PMO's isomer tasks are the *_prev ones); repeat for stages",
    )
    parser.add_argument(
        "--budget",
        required=True,
        action="append",
        type=int,
        metavar="N",
        help="distinct molecules the scorer may score (one value, or one per --scorer)",
    )
    parser.add_argument("--method", required=True, choices=("rl", "ga"), help="reinforcement learning or genetic algorithm")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--resume", action="store_true", help="continue the run checkpointed in --out")
    parser.add_argument(
        "--model-dir",
        metavar="DIR",
        help="efficacy model folder (molgen train) used for every 'model' objective and for the "
        "prediction columns of the candidate table; default: the paths in the config",
    )
    parser.add_argument("--prior", metavar="DIR", help="rl: prior folder (default: the prior shipped with molgen)")
    parser.add_argument("--start", metavar="FILE", help="ga: starting molecules (.csv/.smi/...; default 20,000 MOSES training molecules)")
    parser.add_argument("--smiles-col", default="smiles", metavar="COL", help="SMILES column of --start, --actives and --train-data")
    parser.add_argument("--batch-size", type=int, default=64, help="rl: molecules sampled per step (64)")
    parser.add_argument("--sigma", type=float, default=500.0, help="rl: reward weight in the augmented likelihood (500)")
    parser.add_argument("--learning-rate", type=float, default=5e-4, help="rl: Adam learning rate (5e-4)")
    parser.add_argument("--population-size", type=int, default=120, help="ga: population size (120)")
    parser.add_argument("--offspring-size", type=int, default=70, help="ga: children per generation (70)")
    parser.add_argument("--mutation-rate", type=float, default=0.067, help="ga: mutation probability (0.067)")
    parser.add_argument("--actives", metavar="FILE", help="known actives: adds the nearest active and its similarity")
    parser.add_argument("--activity-col", metavar="COL", help="activity column of --actives shown beside the nearest active")
    parser.add_argument("--train-data", metavar="FILE", help="training molecules: adds max Tanimoto similarity and a novel flag")
    parser.add_argument("--top", type=int, default=100, help="rows of candidates.csv (100)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _smiles_file(path, col: str) -> list[str]:
    from molgen.cli import UserError
    from molgen.cli._io import check_columns
    from molgen.data import read_table

    frame = read_table(path)
    check_columns(frame, col)
    if not len(frame):
        raise UserError(f"{path}: no rows")
    return frame


def _stages(args, model_loader):
    from molgen.cli import UserError
    from molgen.generate.optimize import Stage
    from molgen.scoring import Scorer

    specs, flag = (args.oracle, "--oracle") if args.oracle else (args.scorer, "--scorer")
    budgets = args.budget * len(specs) if len(args.budget) == 1 else args.budget
    if len(budgets) != len(specs):
        raise UserError(f"give one --budget or one per {flag} ({len(specs)}), got {len(args.budget)}")
    stages = []
    for i, (spec, budget) in enumerate(zip(specs, budgets)):
        if budget < 1:
            raise UserError(f"--budget must be >= 1, got {budget}")
        if args.oracle:
            from molgen.generate.oracles import oracle_scorer

            try:
                scorer = oracle_scorer(spec)
            except ValueError as err:
                raise UserError(f"--oracle: {err}") from None
            stages.append(Stage(scorer, budget, f"{i}-{scorer.objectives[0].name}"))
            continue
        config = Path(spec)
        if not config.is_file():
            raise UserError(f"{config}: no such scorer config")
        scorer = Scorer.from_config(config, model_loader=model_loader(config.parent))
        stages.append(Stage(scorer, budget, f"{i}-{config.stem}"))
    return stages


def run(args) -> int:
    from molgen.cli import UserError
    from molgen.cli._io import write_table
    from molgen.cli.score import model_loader as path_loader
    from molgen.efficacy import load_model
    from molgen.generate.optimize import GraphGA, Reinvent, candidate_table, draw_candidates, find_checkpoint
    from molgen.generate.oracles import pmo_metrics
    from molgen.utils.files import atomic_path, write_text

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    if not args.resume and find_checkpoint(out) is not None:
        raise UserError(f"{out} holds a checkpoint of an earlier run; pass --resume to continue it or choose another --out")
    model = load_model(args.model_dir) if args.model_dir else None

    def loader(base):
        return (lambda spec: model) if model is not None else path_loader(base)

    stages = _stages(args, loader)
    if model is None:
        model = next((o.term.predictor for s in stages for o in s.scorer.objectives if o.kind == "model"), None)
    if args.method == "rl":
        from molgen.generate import load_prior

        prior = load_prior(args.prior, device=None)
        optimizer = Reinvent(prior, batch_size=args.batch_size, sigma=args.sigma, learning_rate=args.learning_rate, seed=args.seed)
    else:
        if args.start:
            start = _smiles_file(args.start, args.smiles_col)[args.smiles_col].tolist()
        else:
            from molgen.data import load_dataset

            start = load_dataset("moses_train", nrows=20_000).frame["smiles"].tolist()
        optimizer = GraphGA(
            start,
            population_size=args.population_size,
            offspring_size=args.offspring_size,
            mutation_rate=args.mutation_rate,
            seed=args.seed,
        )
    out.mkdir(parents=True, exist_ok=True)
    result = optimizer.run(stages, checkpoint_dir=out, resume=args.resume, progress=not args.quiet)

    actives = _smiles_file(args.actives, args.smiles_col).rename(columns={args.smiles_col: "smiles"}) if args.actives else None
    if actives is not None and args.activity_col and args.activity_col not in actives.columns:
        raise UserError(f"{args.actives}: no column {args.activity_col!r}")
    train = _smiles_file(args.train_data, args.smiles_col)[args.smiles_col].tolist() if args.train_data else None
    table = candidate_table(
        result,
        model=model,
        training_smiles=train,
        actives=actives,
        activity_col=args.activity_col if actives is not None else None,
        top_n=args.top,
    )
    write_table(table, out / "candidates.csv")
    write_table(result.history, out / "history.csv")
    if len(table):
        with atomic_path(out / "top.png") as tmp:
            draw_candidates(table, n=16).save(tmp, format="PNG")
    checkpoints = tuple(n for n in (1000, 5000, 10000) if n < len(result.scores())) + (len(result.scores()),)
    summary = {
        "method": result.method,
        "seed": result.seed,
        "finished": result.finished,
        "stages": {s.name: {"budget": s.budget, "calls": int((result.history["stage"] == s.name).sum())} for s in stages},
        "pmo_last_stage": {str(k): v for k, v in result.summary(checkpoints).items()},
        # PMO's own figures (mol_opt's AUC: sampled every 100 calls, extended flat to the budget if the run stopped early)
        "pmo": pmo_metrics(result.scores(), budget=stages[-1].budget),
        "command": " ".join(sys.argv),
    }
    write_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    if args.method == "rl":
        optimizer.agent_.save(out / "agent")  # the tuned prior: molgen generate sample --model OUT/agent
    best = table["score"].iloc[0] if len(table) else float("nan")
    print(
        f"{result.method}: {result.n_calls} molecules scored, best score {best:.3f}; wrote {', '.join(OUTPUTS)} -> {out}", file=sys.stderr
    )
    return 0
