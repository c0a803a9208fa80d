"""The Cox partial likelihood with Efron's handling of ties, piece by piece.

For given coefficients (as the linear predictor `eta`), one row per set of tied events (same
stratum, same time): the score contribution (sum over the deaths of x minus Efron's weighted
mean of x) and the information contribution. Summed, they are the score vector and information
matrix of the partial likelihood, as R's survival computes them (Efron: with d tied deaths, d
terms in which the deaths enter the risk set with weights 1, (d-1)/d, ..., 1/d). Used for the
score test at beta = 0 (`coxph`'s "Score (logrank) test") and for the proportional-hazards test
of `cox.zph` (R survival >= 3), which weights these pieces by a function of time.

No case weights, right-censored data only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EfronTerms:
    """Per tied event set: `time`, `deaths` (count), `score` (m, p) and `information` (m, p, p)."""

    time: np.ndarray
    deaths: np.ndarray
    score: np.ndarray
    information: np.ndarray


def _one_stratum(t: np.ndarray, e: np.ndarray, x: np.ndarray, risk: np.ndarray):
    order = np.argsort(t, kind="stable")
    t, e, x, risk = t[order], e[order], x[order], risk[order]
    rx = risk[:, None] * x
    rxx = rx[:, :, None] * x[:, None, :]

    # sums over the risk set {time >= t}: reverse cumulative sums read at the first index of t
    def rev(a):
        return np.cumsum(a[::-1], axis=0)[::-1]

    s0, s1, s2 = rev(risk), rev(rx), rev(rxx)
    times = np.unique(t[e])
    first = np.searchsorted(t, times, side="left")
    dead = np.flatnonzero(e)
    which = np.searchsorted(times, t[dead])  # event set of each death
    m, p = len(times), x.shape[1]
    d = np.bincount(which, minlength=m).astype(float)
    d0 = np.bincount(which, risk[dead], minlength=m)
    d1 = np.zeros((m, p))
    np.add.at(d1, which, rx[dead])
    d2 = np.zeros((m, p, p))
    np.add.at(d2, which, rxx[dead])
    dx = np.zeros((m, p))
    np.add.at(dx, which, x[dead])
    # Efron: term l = 0..d-1 of each set removes the fraction l/d of the deaths' sums
    frac = np.arange(len(dead)) - np.repeat(np.cumsum(d) - d, d.astype(int))
    frac = frac / np.repeat(d, d.astype(int))
    sets = np.repeat(np.arange(m), d.astype(int))
    den = s0[first][sets] - frac * d0[sets]
    mean = (s1[first][sets] - frac[:, None] * d1[sets]) / den[:, None]
    second = (s2[first][sets] - frac[:, None, None] * d2[sets]) / den[:, None, None]
    var = second - mean[:, :, None] * mean[:, None, :]
    starts = (np.cumsum(d) - d).astype(int)
    score = dx - np.add.reduceat(mean, starts, axis=0)
    info = np.add.reduceat(var, starts, axis=0)
    return times, d, score, info


def efron_terms(time, event, x, eta=None, strata=None) -> EfronTerms:
    """Score and information pieces per tied event set at linear predictor `eta` (default 0).

    `x` is the (n, p) design matrix; `strata` (n,) any labels, or None. Covariates are centred
    first (as R does, for numerical stability; the pieces do not depend on it).
    """
    t = np.asarray(time, float)
    e = np.asarray(event).astype(bool)
    x = np.asarray(x, float).reshape(len(t), -1)
    x = x - x.mean(axis=0)
    eta = np.zeros(len(t)) if eta is None else np.asarray(eta, float)
    risk = np.exp(eta - eta.max()) if len(eta) else eta
    labels = np.zeros(len(t)) if strata is None else np.asarray(strata)
    parts = [
        _one_stratum(t[k], e[k], x[k], risk[k])
        for k in (labels == s for s in _unique(labels))
        if e[k].any()
    ]
    p = x.shape[1]
    if not parts:
        return EfronTerms(np.zeros(0), np.zeros(0), np.zeros((0, p)), np.zeros((0, p, p)))
    return EfronTerms(*(np.concatenate(a) for a in zip(*parts)))


def _unique(labels: np.ndarray) -> list:
    return list(dict.fromkeys(labels.tolist()))


def score_test(terms: EfronTerms) -> float:
    """U' I^-1 U from the summed pieces (the score test when the pieces are taken at beta = 0)."""
    u = terms.score.sum(axis=0)
    info = terms.information.sum(axis=0)
    return float(u @ np.linalg.solve(info, u))
