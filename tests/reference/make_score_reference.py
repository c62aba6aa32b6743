"""Reference values for s1557's score statistics (means, calibration, ranking rules), from scipy
and scikit-learn where a library provides the value, and from independent numpy implementations
of the documented formula where none does (each such section says so).

Run from the repository root:

    pip install scipy==1.14.1 statsmodels==0.14.4 numpy==2.1.3 scikit-learn==1.5.2
    python3 tests/reference/make_score_reference.py

Generated with Python 3.11, numpy 2.1.3, scipy 1.14.1, scikit-learn 1.5.2 (the exact versions are
recorded under "versions" in the output). It writes tests/reference/scores.json; the tests never
need Python. Every section draws from its own fixed seed (so adding cases to one section leaves
the others unchanged) and starts with hand-written edge cases.

Sections:
  t_interval                  scipy.stats.t.interval(level, n-1, loc=mean, scale=scipy.stats.sem(x))
  welch                       scipy.stats.ttest_ind(g, r, equal_var=False) and its
                              confidence_interval(confidence_level=level)
  standardized                independent numpy (no library has it): direct standardization of
                              the difference of means over strata, weights = the group's counts
  observed_expected           independent numpy: O/E with se(log O/E) = sqrt((1 - O/n)/O)
                              (Debray et al., BMJ 2017;356:i6460)
  reliability                 sklearn.calibration.calibration_curve(strategy="uniform"); per-bin
                              counts and ECE with sklearn's own bin rule (see reliability_cases)
  average_precision_interval  sklearn.metrics.average_precision_score; logit interval of
                              Boyd, Eng & Page (2013), independent numpy
  top_cutoff                  independent exact (fractions) implementation
  need_bins                   independent numpy/integer implementation
"""

import json
import math
import pathlib
import platform
import warnings
from fractions import Fraction

import numpy as np
import scipy
import sklearn
from scipy import stats
from scipy.special import expit, logit
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score

LEVELS = [0.9, 0.95, 0.99]


def rng_for(section):
    """A generator seeded by the section, so each section's draws are independent."""
    return np.random.default_rng([1557, section])


def floats(a):
    return [float(v) for v in a]


def ints(a):
    return [int(v) for v in a]


def z_for(level):
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def log_size(rng, lo, hi):
    """An integer size, log-uniform in [lo, hi]."""
    return int(round(10 ** rng.uniform(math.log10(lo), math.log10(hi))))


def draw_values(rng, n, kind):
    """n values of one of several shapes; floats rounded to keep the file small (the inputs are
    written exactly as used, so rounding loses nothing)."""
    if kind == 0:  # counts, like numbers of chronic conditions
        return ints(np.minimum(rng.poisson(rng.uniform(0.2, 6), n), 15))
    if kind == 1:
        return floats(np.round(rng.normal(rng.uniform(-5, 50), rng.uniform(0.1, 20), n), 4))
    if kind == 2:  # skewed, like costs
        return floats(np.round(rng.lognormal(rng.uniform(5, 9), rng.uniform(0.3, 1.5), n), 2))
    return ints(rng.poisson(rng.uniform(0.01, 0.5), n))  # mostly zeros


# 1. One-sample t interval -----------------------------------------------------------------------

def exact_t_quantile(level, df):
    """t_{1-(1-level)/2, df} by root-finding on the regularized incomplete beta in mpmath."""
    import mpmath as mp
    mp.mp.dps = 40
    alpha = mp.mpf(1) - mp.mpf(level)
    f = lambda t: mp.betainc(mp.mpf(df) / 2, mp.mpf(1) / 2, 0, df / (df + t ** 2), regularized=True) - alpha
    return float(mp.findroot(f, float(stats.t.ppf(1 - (1 - level) / 2, df))))


def t_interval_cases():
    rng = rng_for(1)
    xs = [[0, 1], [3, 5], [2.5, -1.25], [0, 0, 0, 1], [3] * 9 + [4], [0] * 1999 + [1],
          [7, 7, 7, 7, 7, 8], [1e6, 1e6 + 1], [0.001, 0.002, 0.0015]]
    while len(xs) < 150:
        i = len(xs)
        n = 2000 if i % 40 == 0 else (log_size(rng, 2, 2000) if i % 5 == 0 else log_size(rng, 2, 120))
        x = draw_values(rng, n, i % 4)
        if len(set(x)) > 1:  # constant samples have sem = 0 and no interval
            xs.append(x)
    out = []
    for i, x in enumerate(xs):
        a = np.asarray(x, dtype=float)
        if np.all(a == a[0]):
            continue  # sem = 0: no interval
        level = LEVELS[i % 3]
        # scipy's t quantile (boost) is about 1e-11 off (t.ppf(0.975, 10) = 2.2281388519649385;
        # the exact value is 2.2281388519862742...), which cancellation in mean − t·sem can lift
        # past 1e-9. Check scipy's interval and take the quantile from mpmath at 40 digits.
        lo_s, hi_s = stats.t.interval(level, df=len(a) - 1, loc=np.mean(a), scale=stats.sem(a))
        tq = exact_t_quantile(level, len(a) - 1)
        lo, hi = np.mean(a) - tq * stats.sem(a), np.mean(a) + tq * stats.sem(a)
        assert abs(lo - lo_s) <= 1e-6 * max(1.0, abs(lo)) and abs(hi - hi_s) <= 1e-6 * max(1.0, abs(hi))
        out.append({"x": x, "level": level, "low": float(lo), "high": float(hi)})
    return out


# 2. Welch two-sample t --------------------------------------------------------------------------

def welch_cases():
    rng = rng_for(2)
    pairs = [
        ([0, 1], [1, 2]),
        ([1.5, 2.5], draw_values(rng, 3000, 1)),
        (draw_values(rng, 3000, 0), [4, 9]),
        ([3, 3, 3], [1, 2, 3, 4]),  # group constant, reference varies
        ([0, 0, 1, 5, 2], [2, 2, 2, 2, 2, 2]),  # reference constant
        ([2, 4, 6, 8], [2, 4, 6, 8]),  # equal means: t = 0
        (floats(np.round(rng.normal(0, 1, 40), 4)), floats(np.round(rng.normal(0.5, 10, 7), 4))),
        (draw_values(rng, 2, 0), draw_values(rng, 3000, 0)),
    ]
    while len(pairs) < 160:
        i = len(pairs)
        kind = i % 4
        if i % 50 == 0:
            n1, n0 = 2, log_size(rng, 1000, 3000)
        elif i % 50 == 1:
            n1, n0 = log_size(rng, 1000, 3000), log_size(rng, 2, 5)
        else:
            n1, n0 = log_size(rng, 2, 300), log_size(rng, 2, 300)
        g = draw_values(rng, n1, kind)
        if kind == 1 and i % 2:  # very unequal variances
            r = floats(np.round(rng.normal(rng.uniform(-5, 50), rng.uniform(0.01, 0.5), n0), 4))
        else:
            r = draw_values(rng, n0, kind)
        pairs.append((g, r))
    out = []
    for i, (g, r) in enumerate(pairs):
        ga, ra = np.asarray(g, dtype=float), np.asarray(r, dtype=float)
        if np.var(ga) == 0 and np.var(ra) == 0:
            continue  # no variance: t undefined
        level = LEVELS[i % 3]
        with warnings.catch_warnings():
            # scipy warns "catastrophic cancellation" when one side is constant; the variance is
            # then exactly 0 and the result is exact.
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ttest_ind(ga, ra, equal_var=False)
        ci = res.confidence_interval(confidence_level=level)
        case = {"g": g, "r": r, "level": level, "difference": float(np.mean(ga) - np.mean(ra)),
                "t": float(res.statistic), "df": float(res.df), "p_value": float(res.pvalue),
                "low": float(ci.low), "high": float(ci.high)}
        assert all(math.isfinite(v) for v in case.values() if isinstance(v, float))
        out.append(case)
    return out


# 3. Directly standardized difference of means ---------------------------------------------------

def standardized(strata):
    """No library computes this; an independent numpy implementation of the documented formula.
    Strata with fewer than two values on either side are left out; w_k = n_gk / sum n_g over the
    strata kept; A = sum w_k mean(g_k), B = sum w_k mean(r_k); Var = sum w_k^2 (s2_gk/n_gk +
    s2_rk/n_rk) with sample variances (ddof = 1); normal z test; ratio A/B with the delta-method
    se of log(A/B) when A > 0 and B > 0. Returns None when undefined (nothing kept, or se = 0)."""
    kept = [(np.asarray(g, float), np.asarray(r, float)) for g, r in strata if len(g) >= 2 and len(r) >= 2]
    if not kept:
        return None
    ng = np.array([len(g) for g, _ in kept], dtype=float)
    nr = np.array([len(r) for _, r in kept], dtype=float)
    mg = np.array([g.mean() for g, _ in kept])
    mr = np.array([r.mean() for _, r in kept])
    vg = np.array([g.var(ddof=1) for g, _ in kept])
    vr = np.array([r.var(ddof=1) for _, r in kept])
    w = ng / ng.sum()
    a = float(np.sum(w * mg))
    b = float(np.sum(w * mr))
    va = float(np.sum(w ** 2 * vg / ng))
    vb = float(np.sum(w ** 2 * vr / nr))
    se = math.sqrt(va + vb)
    if se <= 0:
        return None
    z = (a - b) / se
    pos = a > 0 and b > 0
    return {"difference": a - b, "se": se, "z": z, "p_value": float(2 * stats.norm.sf(abs(z))),
            "group_mean": a, "reference_mean": b,
            "ratio": a / b if pos else None,
            "se_log_ratio": math.sqrt(va / a ** 2 + vb / b ** 2) if pos else None,
            "strata_used": len(kept), "group_n": int(ng.sum())}


def standardized_cases():
    rng = rng_for(3)
    cases = [
        [[[1, 2, 4, 7], [0, 1, 1, 2, 3]]],  # one stratum: the unpooled z
        [[[1, 2], [3, 4]], [[5], [1, 2, 3]], [[], [1, 2]], [[2, 3, 4], [7]], [[1, 1, 2], []]],
        [[[0, 0, 1], [0, 0, 0, 0]], [[2, 3], [1, 0, 0]]],  # B could reach 0 in a stratum
        [[[1, 2, 3], [0, 0, 0]]],  # B = 0: no ratio
        [[[-1.5, -2.25, 0.5], [1.0, 2.0]], [[-3.0, -4.0], [0.25, 0.75, 1.0]]],  # A < 0: no ratio
        [[[0, 0], [0, 0, 0]], [[1, 2], [2, 4]]],  # a stratum with zero variance on both sides
        [[[5, 5, 5], [5, 5]], [[4, 4], [6, 6]]],  # se = 0: undefined, dropped below
        [[[1], [2]], [[3], [4, 5]]],  # nothing kept: undefined, dropped below
    ]
    while len(cases) < 170:
        i = len(cases)
        k = int(rng.integers(1, 13))
        kind = i % 4
        strata = []
        base = rng.uniform(0.2, 5)
        for j in range(k):
            # sizes 0..~60, with about one stratum in five too small on one side
            ng = int(rng.integers(0, 2)) if rng.uniform() < 0.1 else log_size(rng, 1, 60)
            nr = int(rng.integers(0, 2)) if rng.uniform() < 0.1 else log_size(rng, 1, 120)
            if kind in (0, 3):  # counts rising with the stratum, as need rises with the score bin
                lam = base * (1 + j) / k * (3 if kind == 0 else 0.3)
                shift = rng.uniform(0.7, 1.4)
                g = ints(rng.poisson(lam * shift, ng))
                r = ints(rng.poisson(lam, nr))
            else:
                mu = rng.uniform(-3, 30)
                g = floats(np.round(rng.normal(mu + rng.uniform(-2, 2), rng.uniform(0.1, 8), ng), 3))
                r = floats(np.round(rng.normal(mu, rng.uniform(0.1, 8), nr), 3))
            strata.append([g, r])
        cases.append(strata)
    out = []
    for strata in cases:
        res = standardized(strata)
        if res is None:
            continue
        out.append({"strata": strata, **res})
    return out


# 4. Observed / expected ------------------------------------------------------------------------

def observed_expected_cases():
    """Independent numpy implementation (no library has it): ratio O/E, se(log O/E) =
    sqrt((1 - O/n)/O), interval exp(log(O/E) +- z se) (Debray et al., BMJ 2017;356:i6460)."""
    rng = rng_for(4)
    triples = [(1, 1.0, 2), (1, 0.01, 2), (1, 1e-6, 10**7), (9_999_999, 9_999_999.0, 10**7),
               (9_999_999, 1e7 - 0.5, 10**7), (5, 5.0, 10), (1, 50.0, 100), (99, 1.0, 100),
               (123_456, 130_000.25, 987_654), (2, 2.0, 3)]
    while len(triples) < 200:
        n = log_size(rng, 2, 10**7)
        p = rng.choice([rng.uniform(0, 1), rng.uniform(0, 0.05), rng.uniform(0.9, 1)])
        o = int(np.clip(rng.binomial(n, p), 1, n - 1))
        e = float(o * 10 ** rng.uniform(-0.5, 0.5))
        if len(triples) % 7 == 0:
            e = float(np.round(e, 2)) or 0.01
        triples.append((o, e, n))
    out = []
    for i, (o, e, n) in enumerate(triples):
        assert 1 <= o <= n - 1 and e > 0
        level = LEVELS[i % 3]
        z = z_for(level)
        ratio = o / e
        se_log = float(np.sqrt((1 - o / n) / o))
        out.append({"observed": o, "expected": e, "n": n, "level": level, "ratio": ratio,
                    "low": float(np.exp(np.log(ratio) - z * se_log)),
                    "high": float(np.exp(np.log(ratio) + z * se_log)), "se_log": se_log})
    return out


# 5. Reliability diagram / expected calibration error --------------------------------------------

def sklearn_bin_ids(p, n_bins):
    """The bin sklearn 1.5.2's calibration_curve(strategy="uniform") gives each score, copied from
    its source (sklearn/calibration.py):

        bins = np.linspace(0.0, 1.0, n_bins + 1)
        binids = np.searchsorted(bins[1:-1], y_prob)

    searchsorted's default side="left" puts a score equal to an interior edge in the LOWER bin
    (a bin is (edge_{k}, edge_{k+1}], except bin 0 is [0, edge_1]); and the edges are
    np.linspace's k * (1/B), which for B = 10 is 0.30000000000000004 / 0.6000000000000001 /
    0.7000000000000001 rather than the doubles nearest 3/10, 6/10, 7/10."""
    bins = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(bins[1:-1], p)


def reliability_cases():
    rng = rng_for(5)
    inputs = []
    for b in (2, 5, 10, 20):
        edges = np.linspace(0.0, 1.0, b + 1)
        lit = [k / b for k in range(b + 1)]
        vals = sorted(set(floats(edges)) | set(lit)
                      | set(floats(np.nextafter(edges[1:-1], 0))) | set(floats(np.nextafter(edges[1:-1], 1))))
        inputs.append((vals, ints(rng.integers(0, 2, len(vals))), b))
    inputs += [
        ([0.3, 0.1, 0.7, 0.3, 0.1, 0.7, 0.2, 0.6], [1, 0, 1, 1, 0, 0, 1, 0], 10),
        ([0.0, 1.0], [0, 1], 10),
        ([0.0, 0.0, 0.0], [0, 0, 1], 5),
        ([1.0, 1.0], [1, 1], 20),
        ([0.5], [1], 2),
        ([0.5], [0], 10),
        ([0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95], [0, 0, 0, 0, 1, 0, 1, 1, 1, 1], 20),
        ([0.4, 0.4, 0.8, 0.8], [0, 0, 0, 0], 5),
    ]
    while len(inputs) < 160:
        i = len(inputs)
        n = 5000 if i == 50 else (log_size(rng, 1, 5000) if i % 10 == 0 else log_size(rng, 1, 300))
        b = (2, 5, 10, 20)[i % 4]
        shape = i % 3
        if shape == 0:
            p = rng.uniform(0, 1, n)
        elif shape == 1:
            p = rng.beta(0.5, 6, n)  # mostly low risks
        else:  # on the grid: many scores exactly on edges
            p = rng.integers(0, 21, n) / 20
        p = np.round(p, 4)
        # outcomes from a miscalibrated truth
        truth = np.clip(p * rng.uniform(0.6, 1.4) + rng.uniform(-0.05, 0.05), 0, 1)
        y = (rng.uniform(0, 1, n) < truth).astype(int)
        inputs.append((floats(p), ints(y), b))
    out = []
    for p, y, b in inputs:
        pa, ya = np.asarray(p, float), np.asarray(y)
        pt, pp = calibration_curve(ya, pa, n_bins=b, strategy="uniform")
        counts = np.bincount(sklearn_bin_ids(pa, b), minlength=b)
        assert len(counts) == b
        nz = counts[counts > 0]
        assert len(nz) == len(pt) == len(pp)
        ece = float(np.sum(nz / len(p) * np.abs(pt - pp)))
        out.append({"scores": p, "outcomes": y, "bins": b, "prob_true": floats(pt),
                    "prob_pred": floats(pp), "counts": ints(counts), "ece": ece})
    return out


# 6. Average precision and its logit interval ----------------------------------------------------

def average_precision_cases():
    """ap from sklearn.metrics.average_precision_score (ties share one threshold); interval
    expit(logit(ap) +- z / sqrt(n_pos ap (1 - ap))) (Boyd, Eng & Page 2013), independent numpy."""
    rng = rng_for(6)
    inputs = [
        ([0.9, 0.8, 0.7, 0.1], [0, 1, 0, 1]),
        ([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0]),  # all tied: ap = prevalence
        ([0.2, 0.9, 0.4], [1, 0, 0]),  # one positive, ranked last
        ([0.3, 0.3, 0.7, 0.7, 0.1], [1, 0, 1, 0, 1]),
        ([0.0, 1.0, 1.0, 0.0], [1, 1, 0, 0]),
    ]
    while len(inputs) < 150:
        i = len(inputs)
        n = log_size(rng, 2, 3000) if i % 8 == 0 else log_size(rng, 2, 250)
        prev = rng.choice([rng.uniform(0.01, 0.2), rng.uniform(0.2, 0.8)])
        y = (rng.uniform(0, 1, n) < prev).astype(int)
        if y.sum() == 0:
            y[rng.integers(0, n)] = 1
        s = np.clip(rng.normal(0, 1, n) + y * rng.uniform(0, 2.5), -4, 4)
        s = expit(s)
        s = np.round(s, 2 if i % 3 == 0 else 4)  # i % 3 == 0: heavy ties
        if 0 < average_precision_score(y, s) < 1:  # the logit interval needs 0 < ap < 1
            inputs.append((floats(s), ints(y)))
    out = []
    for i, (s, y) in enumerate(inputs):
        ap = float(average_precision_score(np.asarray(y), np.asarray(s, float)))
        # sklearn gives 0.9999999999999998 for all-positive outcomes: not an interior value.
        if not 1e-12 < ap < 1 - 1e-12 or all(y) or not any(y):
            continue
        level = LEVELS[i % 3]
        npos = int(sum(y))
        half = z_for(level) / math.sqrt(npos * ap * (1 - ap))
        out.append({"scores": s, "outcomes": y, "level": level, "ap": ap,
                    "low": float(expit(logit(ap) - half)), "high": float(expit(logit(ap) + half))})
    return out


# 7. Top-k% cut-off ------------------------------------------------------------------------------

def top_cutoff(values, percent):
    """Independent implementation: k = max(1, floor(percent/100 * N)) computed EXACTLY, with the
    percent taken as the decimal written (Fraction(repr(percent))); cutoff = k-th highest value;
    selected = how many values are >= cutoff (ties at the cut-off included)."""
    n = len(values)
    k = max(1, math.floor(Fraction(repr(percent)) * n / 100))
    k = min(k, n)
    desc = np.sort(np.asarray(values, float))[::-1]
    cutoff = float(desc[k - 1])
    return k, cutoff, int(np.sum(np.asarray(values, float) >= cutoff))


def top_cutoff_cases():
    rng = rng_for(7)
    percents = [0.5, 1, 2, 2.5, 3, 5, 10, 12.5, 20, 25, 29, 33.3, 50, 57, 75, 90, 99]
    inputs = [
        ([3.0], 10), ([3.0], 99), ([1, 2], 50), ([1, 2], 49), ([5, 5, 5, 5], 25),
        ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 10), ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0.5),
        # percent/100*N is just under an integer in floating point (0.29*100 = 28.999999999999996):
        (list(range(100)), 29), (list(range(100)), 57), (list(range(200)), 29), (list(range(1000)), 0.3),
        (floats(np.round(rng.uniform(0, 1, 100), 4)), 29),
        (ints(rng.integers(0, 11, 100)), 57),
    ]
    while len(inputs) < 200:
        i = len(inputs)
        n = log_size(rng, 1, 3000) if i % 6 == 0 else log_size(rng, 1, 200)
        if i % 2:
            v = ints(np.minimum(rng.poisson(rng.uniform(0.5, 5), n), 10))  # heavy ties, 0..10
        else:
            v = floats(np.round(rng.beta(1, 5, n), 4))
        pct = float(percents[i % len(percents)]) if i % 4 else float(np.round(rng.uniform(0.1, 99.9), 1))
        inputs.append((v, pct))
    out = []
    for v, pct in inputs:
        k, cutoff, selected = top_cutoff(v, pct)
        case = {"values": v, "percent": float(pct), "k": k, "cutoff": cutoff, "selected": selected}
        # Flag cases where the same formula in floating point, floor(percent / 100.0 * N), gives
        # a different k (an integer product rounded just below itself).
        k_float = max(1, min(len(v), math.floor(float(pct) / 100.0 * len(v))))
        if k_float != k:
            case["float_floor_differs"] = True
        out.append(case)
    return out


# 8. Equal-score bins ----------------------------------------------------------------------------

def need_bins_cases():
    """Independent implementation: bin = min(B - 1, floor(B * below / N)), below = the number of
    scores strictly below (np.searchsorted(sorted, s, side="left")), in exact integer arithmetic."""
    rng = rng_for(8)
    inputs = [([0.5], 5), ([0.5, 0.5, 0.5], 3), ([0.1, 0.2], 5), ([0.3, 0.1, 0.2, 0.4], 2),
              ([1, 1, 2, 2, 2, 3], 3), ([0.0, 1.0, 0.0, 1.0, 0.5], 10), ([7] * 20 + [8], 4)]
    while len(inputs) < 160:
        i = len(inputs)
        n = log_size(rng, 1, 3000) if i % 8 == 0 else log_size(rng, 1, 150)
        b = (2, 3, 4, 5, 10, 20)[i % 6]
        shape = i % 3
        if shape == 0:
            s = np.round(rng.uniform(0, 1, n), 4)
        elif shape == 1:
            s = np.round(rng.beta(0.5, 5, n), 2)  # ties
        else:
            s = rng.integers(0, 6, n).astype(float) / 5  # heavy ties
        inputs.append((floats(s), b))
    out = []
    for s, b in inputs:
        a = np.asarray(s, float)
        below = np.searchsorted(np.sort(a), a, side="left").astype(np.int64)
        bin_of = np.minimum(b - 1, (below * b) // len(a))
        out.append({"scores": s, "bins": b, "bin_of": ints(bin_of)})
    return out


def main():
    ref = {
        "generated_by": "tests/reference/make_score_reference.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "sklearn": sklearn.__version__},
        "t_interval": t_interval_cases(),
        "welch": welch_cases(),
        "standardized": standardized_cases(),
        "observed_expected": observed_expected_cases(),
        "reliability": reliability_cases(),
        "average_precision_interval": average_precision_cases(),
        "top_cutoff": top_cutoff_cases(),
        "need_bins": need_bins_cases(),
    }
    path = pathlib.Path(__file__).with_name("scores.json")
    with path.open("w") as f:
        json.dump(ref, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {path}: " + ", ".join(f"{k} {len(v)}" for k, v in ref.items() if isinstance(v, list)))


if __name__ == "__main__":
    main()
