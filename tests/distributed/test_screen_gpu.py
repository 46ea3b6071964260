"""Screening with the model actors on GPUs (``num_gpus=1`` each; featurization in CPU tasks).

Skipped without a CUDA device (tests/conftest.py). The same library screened with ``gpus=0`` (CPU
actors) is the reference: the same rows and states, predictions equal up to float32 differences.
"""

import numpy as np
import pandas as pd
import pytest

from molgen.distributed import screen
from tests.distributed.conftest import N_LIBRARY, SHARD
from tests.distributed.conftest import shard_rows as _shards

pytestmark = [pytest.mark.gpu, pytest.mark.ray, pytest.mark.slow]
ARGS = {"smiles_col": "smiles", "id_col": "name", "top_k": 25, "shard_size": SHARD, "progress": False, "stall_timeout_s": 300}


def test_gpu_actors_screen_every_row_like_cpu_actors(ray_session, tiny_model, library, tmp_path):
    gpus = int(ray_session.cluster_resources().get("GPU", 0))
    assert gpus >= 1, f"CUDA is available but Ray sees no GPU: {ray_session.cluster_resources()}"
    on_gpu = screen(tiny_model, library, out_dir=tmp_path / "gpu", gpus=1, **ARGS)
    on_cpu = screen(tiny_model, library, out_dir=tmp_path / "cpu", gpus=0, num_workers=2, **ARGS)
    assert on_gpu.summary["rows"] == on_cpu.summary["rows"] == N_LIBRARY
    assert on_gpu.summary["states"] == on_cpu.summary["states"]
    assert "featurize" in on_gpu.summary["run"]["stage_seconds"] and "predict" in on_gpu.summary["run"]["stage_seconds"]
    gpu_rows, cpu_rows = _shards(on_gpu.out_dir), _shards(on_cpu.out_dir)
    numbers = [c for c in cpu_rows.columns if pd.api.types.is_float_dtype(cpu_rows[c])]
    pd.testing.assert_frame_equal(gpu_rows.drop(columns=numbers), cpu_rows.drop(columns=numbers))
    for column in numbers:
        np.testing.assert_allclose(gpu_rows[column], cpu_rows[column], rtol=1e-4, atol=1e-4, err_msg=column)
    np.testing.assert_allclose(on_gpu.top["score"], on_cpu.top["score"], rtol=1e-4, atol=1e-4)
