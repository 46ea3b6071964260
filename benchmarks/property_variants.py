"""molgen alone on ``property.py``'s outer scaffold / random split, one option changed at a time.

A quick probe for choosing defaults before the full ``property.py`` run (which also runs the
baselines and keeps records). Each line of output is one fit: test RMSE and 90 % coverage.

    python benchmarks/property_variants.py chembl2321810 --split scaffold --seeds 0 1 \
        --variant '{}' '{"valid_split": "scaffold"}' '{"descriptors": "morgan_counts"}' '{"train": {"epochs": 100}}'

A variant is ``fit_efficacy_model`` keyword arguments as JSON (``"train"`` holding ``TrainConfig``
fields), or ``hybrid``: test and calibration parts by the split method, the early-stopping part
drawn at random from the rest. ``hybrid`` was measured here before it became molgen's default
split (``valid_split="random"``); it is now an alias of ``'{}'``.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--split", default="scaffold")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--variant", nargs="+", default=["{}"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    from property import MOLGEN_SIZES, OUTER_SIZES, prepare_dataset

    from molgen.data import split
    from molgen.efficacy import fit_efficacy_model
    from molgen.metrics import coverage, regression_metrics
    from molgen.train import TrainConfig

    torch.set_num_threads(args.threads)
    data = prepare_dataset(args.dataset)
    for seed in args.seeds:
        parts = split(data["smiles"], method=args.split, sizes=OUTER_SIZES, seed=seed)
        trval = np.concatenate([parts.train, parts.valid])
        y = data["y"][parts.test]
        for variant in args.variant:
            kwargs = {} if variant == "hybrid" else json.loads(variant)  # "hybrid": the default split now
            train = kwargs.pop("train", {})  # TrainConfig fields, e.g. {"train": {"epochs": 100}}
            t0 = time.perf_counter()
            model = fit_efficacy_model(
                [data["smiles"][i] for i in trval],
                data["y"][trval],
                split_method=args.split,
                sizes=MOLGEN_SIZES,
                train_config=TrainConfig(seed=seed, **train),
                **kwargs,
            )
            pred = model.predict([data["smiles"][i] for i in parts.test])
            row = {
                "dataset": args.dataset,
                "split": args.split,
                "seed": seed,
                "variant": variant,
                "rmse": round(regression_metrics(y, pred["prediction"].to_numpy())["rmse"], 4),
                "best_epochs": model.info.get("best_epochs"),
                "seconds": round(time.perf_counter() - t0),
            }
            if "lower" in pred:
                row["coverage90"] = round(coverage(y, pred["lower"].to_numpy(), pred["upper"].to_numpy()), 3)
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
