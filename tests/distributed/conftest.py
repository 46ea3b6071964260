"""Fixtures for the Ray tests: one local Ray instance per session, a tiny real model, a library."""

import gzip
from pathlib import Path

import pandas as pd
import pytest

N_LIBRARY = 1500
SHARD = 400
#: (line index after the header, replacement line, expected state)
BAD_LINES = {
    5: ("C1CC,m5,extra", "invalid_record"),
    10: ("", "empty"),
    11: ("not_a_smiles,bad11", "invalid_smiles"),
    12: ("C(C)(C)(C)(C)C,bad12", "sanitization_error"),
    700: ("c1cccc1,bad700", "sanitization_error"),
}


@pytest.fixture(scope="session")
def ray_session():
    """A local Ray instance (2 CPUs, short stall timeout) shared by the whole session."""
    ray = pytest.importorskip("ray")
    from molgen.distributed import ensure_ray

    if not ray.is_initialized():
        ensure_ray(num_cpus=2)
    yield ray
    ray.shutdown()


def _fit(tmp_path_factory, name: str, seed: int):
    from molgen.data import load_dataset
    from molgen.efficacy import fit_efficacy_model
    from molgen.train import TrainConfig

    data = load_dataset("chembl2321810").frame.iloc[:150]
    model = fit_efficacy_model(
        data["smiles"].tolist(),
        data["pIC50"].to_numpy(),
        ensemble_size=1,
        split_method="random",
        model_options={"hidden": 64, "ffn_hidden": 64, "depth": 2},
        train_config=TrainConfig(epochs=2, warmup_epochs=1, batch_size=32, seed=seed),
    )
    return model.save(tmp_path_factory.mktemp("models") / name)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A real efficacy model: 150 ChEMBL molecules, 2 epochs, one member."""
    return _fit(tmp_path_factory, "tiny", 0)


@pytest.fixture(scope="session")
def other_model(tmp_path_factory):
    return _fit(tmp_path_factory, "other", 1)


@pytest.fixture(scope="session")
def library(tmp_path_factory):
    """A CSV library of MOSES molecules with bad rows, and the expected state of each bad row."""
    from molgen.data import load_dataset

    smiles = load_dataset("moses_train", nrows=N_LIBRARY).frame["smiles"].tolist()
    lines = ["smiles,name"] + [f"{s},m{i}" for i, s in enumerate(smiles)]
    for i, (line, _) in BAD_LINES.items():
        lines[i + 1] = line
    folder = tmp_path_factory.mktemp("library")
    (folder / "lib.csv").write_text("\n".join(lines) + "\n")
    with gzip.open(folder / "lib.csv.gz", "wt") as handle:
        handle.write("\n".join(lines))  # no final newline
    return folder / "lib.csv"


def shard_rows(out) -> pd.DataFrame:
    """Every row a screening run wrote, in shard order."""
    return pd.concat([pd.read_parquet(p) for p in sorted(Path(out, "shards").glob("part-*.parquet"))], ignore_index=True)


@pytest.fixture(scope="session")
def first_run(ray_session, tiny_model, library, tmp_path_factory):
    """The uninterrupted reference run on Ray (2 workers) that other runs are compared with."""
    from molgen.distributed import screen

    out = tmp_path_factory.mktemp("screen") / "out"
    return screen(
        tiny_model,
        library,
        out_dir=out,
        smiles_col="smiles",
        id_col="name",
        top_k=25,
        shard_size=SHARD,
        num_workers=2,
        progress=False,
        stall_timeout_s=300,
    )
