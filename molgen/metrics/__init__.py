"""Model evaluation: regression and classification metrics, uncertainty calibration and
applicability domain. Depends on numpy, scipy and scikit-learn only."""

from molgen.metrics.classification import classification_metrics, multiclass_metrics
from molgen.metrics.conformal import ConformalCalibrator, calibrate_sigma, conformal_quantile
from molgen.metrics.domain import max_tanimoto
from molgen.metrics.regression import regression_metrics, spearman
from molgen.metrics.uncertainty import coverage, gaussian_nll, miscalibration_area, uncertainty_spearman

__all__ = [
    "ConformalCalibrator",
    "calibrate_sigma",
    "classification_metrics",
    "conformal_quantile",
    "coverage",
    "gaussian_nll",
    "max_tanimoto",
    "miscalibration_area",
    "multiclass_metrics",
    "regression_metrics",
    "spearman",
    "uncertainty_spearman",
]
