"""Global shuffling of a streamed file: buckets partition the rows, sample the whole file, resume."""

import numpy as np
import pandas as pd
import pytest

from molgen.generate import shuffle
from molgen.generate.shuffle import iter_buckets, n_buckets, row_buckets, validation_rows


@pytest.fixture
def ordered_csv(tmp_path):
    # an ordered file: 1,000 "first-half" rows then 1,000 "second-half" rows
    smiles = [f"C{'C' * (i % 7)}O{i}" for i in range(2000)]
    path = tmp_path / "ordered.csv"
    pd.DataFrame({"smiles": smiles}).to_csv(path, index=False)
    return path, smiles


def test_row_buckets_are_uniform_and_change_with_epoch_and_seed():
    rows = np.arange(100_000)
    a = row_buckets(rows, seed=0, epoch=0, n_buckets=10)
    assert a.min() == 0 and a.max() == 9
    counts = np.bincount(a, minlength=10)
    assert counts.min() > 9_500 and counts.max() < 10_500
    assert np.array_equal(a, row_buckets(rows, seed=0, epoch=0, n_buckets=10))
    assert (a != row_buckets(rows, seed=0, epoch=1, n_buckets=10)).mean() > 0.8
    assert (a != row_buckets(rows, seed=1, epoch=0, n_buckets=10)).mean() > 0.8


def test_buckets_partition_the_file_and_each_samples_all_of_it(ordered_csv, monkeypatch):
    path, smiles = ordered_csv
    monkeypatch.setattr(shuffle, "_READ_ROWS", 300)  # several reads per pass
    monkeypatch.setattr(shuffle, "BUCKETS_PER_PASS", 3)  # several passes per epoch
    val = validation_rows(len(smiles), 50, seed=0)
    assert len(val) == len(np.unique(val)) == 50 and np.all(np.diff(val) > 0)
    assert val.min() < 1000 < val.max()  # drawn from the whole file, not its start
    buckets = n_buckets(len(smiles) - 50, 250)
    assert buckets == 8
    seen = list(iter_buckets(path, smiles_col="smiles", seed=0, epoch=0, buckets=buckets, exclude=val))
    assert [b for b, _ in seen] == list(range(8))
    rows = [s for _, part in seen for s in part]
    assert sorted(rows) == sorted(set(smiles) - {smiles[i] for i in val})  # every training row once
    position = {s: i for i, s in enumerate(smiles)}
    for _, part in seen:
        first_half = np.mean([position[s] < 1000 for s in part])
        assert 0.35 < first_half < 0.65  # each bucket mixes both halves of the ordered file
    resumed = list(iter_buckets(path, smiles_col="smiles", seed=0, epoch=0, buckets=buckets, start=5, exclude=val))
    assert resumed == seen[5:]
    other = dict(iter_buckets(path, smiles_col="smiles", seed=0, epoch=1, buckets=buckets, exclude=val))
    assert other[0] != dict(seen)[0]
