"""Readouts pool atom embeddings per graph."""

import pytest
import torch

from molgen.models import READOUTS, MeanReadout, NormReadout, SumReadout, build_readout


def test_values():
    h = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    index = torch.tensor([0, 0, 2])  # graph 1 has no atoms
    torch.testing.assert_close(SumReadout()(h, index, 3), torch.tensor([[4.0, 6.0], [0.0, 0.0], [5.0, 6.0]]))
    torch.testing.assert_close(MeanReadout()(h, index, 3), torch.tensor([[2.0, 3.0], [0.0, 0.0], [5.0, 6.0]]))
    torch.testing.assert_close(NormReadout(norm=2.0)(h, index, 3), torch.tensor([[2.0, 3.0], [0.0, 0.0], [2.5, 3.0]]))
    assert NormReadout().norm == 100.0


def test_build_by_name():
    assert READOUTS.names() == ["mean", "norm", "sum"]
    assert build_readout("norm", norm=10.0).norm == 10.0
    assert isinstance(build_readout("SUM"), SumReadout)
    with pytest.raises(ValueError, match="mean, norm, sum"):
        build_readout("max")
    with pytest.raises(ValueError, match="norm"):
        NormReadout(norm=0)
