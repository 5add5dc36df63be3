"""Elementary-effects screening (Morris, with Campolongo's mu*).

References
----------
.. [1] Morris MD (1991). Technometrics 33:161-174; Campolongo F, Cariboni J, Saltelli A (2007).
   Environ Model Softw 22:1509-1518.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from model.analysis.sensitivity.problem import (
    call_model,
    problem_names,
    seed_from,
    to_data_units,
    unit_problem,
)

#: Quantiles the Morris grid's 0 and 1 map to.
Q_RANGE = (0.005, 0.995)


def morris(
    func, problem, *, r: int = 20, levels: int = 4, rng=None, n_boot: int = 1000, conf=0.95
) -> pd.DataFrame:
    """Morris elementary-effects screening (SALib ``sample.morris`` + ``analyze.morris``).

    The trajectories are built in the unit hypercube and mapped linearly onto the
    quantiles [0.005, 0.995] before the transform: Morris grids touch 0 and 1, where
    unbounded inverse CDFs are infinite, and a grid reaching the 1e-12 quantile of a
    lognormal gives elementary effects of 1e17. The effects are measured per unit step of
    the rescaled input (SALib's convention), that is in output units per move of the
    input from its 0.5th to its 99.5th percentile (``attrs["units"]``).

    Returns
    -------
    pandas.DataFrame
        Index ``parameter`` (and an ``output`` column when func has several outputs);
        columns ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf``.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    names = problem_names(problem)
    up = unit_problem(names)
    seed = seed_from(rng)
    u = morris_sample.sample(up, r, num_levels=levels, seed=seed)
    x = to_data_units(problem, Q_RANGE[0] + (Q_RANGE[1] - Q_RANGE[0]) * u)
    y = call_model(func, x)
    frames = []
    for j in range(y.shape[1]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            s = morris_analyze.analyze(
                up,
                u,
                y[:, j],
                num_resamples=n_boot,
                conf_level=conf,
                num_levels=levels,
                seed=seed,
            )
        f = pd.DataFrame(
            {k: np.asarray(s[k], dtype=float) for k in ("mu", "mu_star", "sigma", "mu_star_conf")},
            index=pd.Index(names, name="parameter"),
        )
        if y.shape[1] > 1:
            f.insert(0, "output", f"y{j}")
        frames.append(f)
    out = pd.concat(frames) if len(frames) > 1 else frames[0]
    out.attrs["units"] = (
        "output units per move of the input from its 0.5th to its 99.5th percentile"
    )
    return out
