"""Correlation matrices between pollutants and meteorology (openair's ``corPlot``).

Pearson, Spearman or Kendall coefficients over pairwise-complete observations; variables are
ordered by average-linkage hierarchical clustering on the distance 1 − r so that related
variables sit together, as openair's dendrogram option does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

from ecodata.analysis.frames import InsufficientDataError, series_of
from ecodata.errors import InputError

Method = Literal["pearson", "spearman", "kendall"]


@dataclass(frozen=True)
class CorrelationMatrix:
    """``matrix`` (coefficients) and ``counts`` (pairwise complete observations), both in
    ``order``."""

    method: str
    order: list[str]
    matrix: pd.DataFrame = field(repr=False)
    counts: pd.DataFrame = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        values = self.matrix.to_numpy()
        return {
            "method": self.method,
            "parameters": self.order,
            "r": [[None if np.isnan(v) else float(v) for v in row] for row in values],
            "n": self.counts.to_numpy().astype(int).tolist(),
        }


def correlation_matrix(
    wide: pd.DataFrame,
    parameters: Sequence[str] | None = None,
    *,
    method: Method = "pearson",
    min_periods: int = 10,
    cluster: bool = True,
) -> CorrelationMatrix:
    """Correlations between columns of a wide frame (all numeric columns by default)."""
    if method not in ("pearson", "spearman", "kendall"):
        raise InputError(f"method must be pearson, spearman or kendall, got {method!r}")
    names = list(parameters) if parameters is not None else [str(c) for c in wide.columns]
    if len(names) < 2:
        raise InputError("a correlation matrix needs at least two parameters")
    data = pd.DataFrame({n: series_of(wide, n) for n in names})
    matrix = data.corr(method=method, min_periods=min_periods)
    present = data.notna().astype(float)
    counts = pd.DataFrame(present.T.to_numpy() @ present.to_numpy(), index=names, columns=names)
    if matrix.isna().all().all():
        raise InsufficientDataError(f"no pair of parameters has {min_periods} common values")
    order = names
    if cluster and len(names) > 2:
        distance = (1.0 - matrix.fillna(0.0).to_numpy()).clip(min=0.0)
        np.fill_diagonal(distance, 0.0)
        distance = (distance + distance.T) / 2
        tree = linkage(squareform(distance, checks=False), method="average")
        order = [names[i] for i in leaves_list(tree)]
    return CorrelationMatrix(
        method=method, order=order, matrix=matrix.loc[order, order], counts=counts.loc[order, order]
    )
