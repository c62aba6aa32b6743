"""Reference values for s1557's logistic calibration fits on hard cases, from statsmodels.

Run from the repository root:

    pip install statsmodels==0.15.0 scipy==1.17.1 numpy==2.4.6
    python3 tests/reference/make_fit_reference.py

It writes tests/reference/fits.json, which tests/stats_reference.rs reads: the hard calibration
fits below, and the weighted least-squares slope of a gap across quarters (src/artifact/rolling.rs). The cases are the ones a
plain Newton iteration from the perfect-calibration start (intercept 0, slope 1) fails on:
scores squeezed towards their mean (true recalibration slopes of 3 to 20, as a score built for
another outcome shows), scores far off the event rate (calibration-in-the-large of 2 to 5 on the
logit scale), and mixtures of both. statsmodels' Logit fits them by Newton's method from its own
start; only cases it reports converged are kept. Calibration-in-the-large is the root of its
score equation, found by scipy's brentq (statsmodels' Newton diverges on many of these cases). Scores are rounded to 6 decimals so the file
holds them exactly, and outcomes travel as a string of 0s and 1s.
"""

import json
import pathlib
import warnings

import numpy as np
import statsmodels
import statsmodels.api as sm
from scipy.optimize import brentq

warnings.simplefilter("ignore")
rng = np.random.default_rng(92210)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def draw():
    n = int(rng.integers(60, 900))
    true_logit = rng.normal(rng.uniform(-3, 0), rng.uniform(0.8, 2.0), n)
    y = rng.uniform(size=n) < sigmoid(true_logit)
    kind = rng.integers(3)
    if kind == 0:  # squeezed: slope 3-20
        s = sigmoid(rng.uniform(-4, -1) + true_logit / rng.uniform(3, 20))
    elif kind == 1:  # far off: calibration-in-the-large 2-5
        s = sigmoid(true_logit - rng.uniform(2, 5) + rng.normal(0, 0.3, n))
    else:  # both
        s = sigmoid(rng.uniform(-6, -3) + true_logit / rng.uniform(2, 8))
    s = np.clip(np.round(s, 6), 1e-6, 1 - 1e-6)
    return y, s


def fit(y, x):
    """statsmodels' Logit of y on (1, x) by Newton's method; None unless it converged."""
    try:
        r = sm.Logit(y.astype(float), sm.add_constant(x)).fit(method="newton", tol=1e-15, maxiter=500, disp=0)
    except np.linalg.LinAlgError:
        return None
    return r if r.mle_retvals["converged"] else None


def citl(y, x):
    """The root of the score equation sum(y - expit(a + x)) = 0 (monotone in a) by scipy's brentq
    to machine precision, and the standard error 1/sqrt(sum(w)) at it. statsmodels' Newton from
    a = 0 diverges on many of these cases, so the root is found directly."""
    score = lambda a: float(np.sum(y - sigmoid(a + x)))
    a = brentq(score, -50, 50, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    mu = sigmoid(a + x)
    return a, 1 / np.sqrt(np.sum(mu * (1 - mu)))


def slope_cases():
    """The trend of a gap across quarters: statsmodels' WLS of the gaps on the quarter index with
    weights 1/variance; the standard error the larger of the fixed-scale one (variances known,
    cov_type="fixed scale") and the one with the scale estimated from the residuals (so the
    scale is max(1, chi2/(k - 2))); and its Wald interval at the case's level."""
    from scipy.stats import norm
    r = np.random.default_rng(1557210)
    out = []
    while len(out) < 200:
        k = int(r.integers(3, 9))
        t = np.arange(k, dtype=float)
        v = r.uniform(1e-5, 5e-3, k)
        spread = np.sqrt(v) * (3.0 if len(out) % 2 else 1.0)
        d = r.normal(r.uniform(-0.1, 0.1), spread) + r.uniform(-0.02, 0.02) * t
        level = [0.9, 0.95, 0.99][len(out) % 3]
        fixed = sm.WLS(d, sm.add_constant(t), weights=1 / v).fit(cov_type="fixed scale")
        scaled = sm.WLS(d, sm.add_constant(t), weights=1 / v).fit()
        z = norm.ppf(0.5 + level / 2)
        # The larger of the two: the scale estimated from the weighted residuals, never under 1.
        b, se = float(fixed.params[1]), float(max(fixed.bse[1], scaled.bse[1]))
        out.append({"d": [float(x) for x in d], "v": [float(x) for x in v], "level": level,
                    "slope": b, "low": b - z * se, "high": b + z * se})
    return out


def calibration_lr_cases():
    """Two groups' calibration lines against each other: statsmodels' Logit of y on
    (1, logit p, group, group * logit p) over both groups against Logit of y on (1, logit p),
    the likelihood-ratio statistic (2 df) and its chi-square p; the slope difference with the
    separate fits' standard errors; and each group's integrated calibration index under its
    logistic calibration curve, mean |expit(a + b logit p) - p|."""
    from scipy.stats import chi2
    r = np.random.default_rng(92211)
    out = []
    while len(out) < 200:
        n = [int(r.integers(40, 700)), int(r.integers(40, 700))]
        xs, ys, gs = [], [], []
        for g in (0, 1):
            tl = r.normal(-1.2, 1.2, n[g])
            y = r.uniform(size=n[g]) < sigmoid(tl)
            shift, stretch = r.uniform(-0.8, 0.8) * g, r.uniform(0.6, 1.5) if g else 1.0
            s = sigmoid((tl - shift) / stretch + r.normal(0, 0.4, n[g]))
            s = np.clip(np.round(s, 6), 1e-6, 1 - 1e-6)
            xs.append(s), ys.append(y), gs.append(np.full(n[g], g))
        s, y, grp = np.concatenate(xs), np.concatenate(ys), np.concatenate(gs)
        if any(y[grp == g].all() or not y[grp == g].any() for g in (0, 1)):
            continue
        x = np.log(s / (1 - s))
        full = fit(y, np.column_stack([x, grp, grp * x]))
        null = fit(y, x)
        sep = [fit(y[grp == g], x[grp == g]) for g in (0, 1)]
        if full is None or null is None or None in sep:
            continue
        lr = 2 * (full.llf - null.llf)
        ici = [float(np.mean(np.abs(sigmoid(f.params[0] + f.params[1] * x[grp == g]) - s[grp == g])))
               for g, f in enumerate(sep)]
        out.append({"scores": [float(v) for v in s], "outcomes": "".join("1" if v else "0" for v in y),
                    "groups": "".join(str(int(v)) for v in grp),
                    "statistic": float(lr), "p_value": float(chi2.sf(lr, 2)),
                    "slope_difference": float(sep[1].params[1] - sep[0].params[1]),
                    "se_slope_difference": float(np.hypot(sep[1].bse[1], sep[0].bse[1])),
                    "ici": ici})
    return out


def main():
    cases = []
    while len(cases) < 200:
        y, s = draw()
        if y.all() or not y.any():
            continue
        x = np.log(s / (1 - s))
        full = fit(y, x)
        if full is None:
            continue
        a, se_a = citl(y.astype(float), x)
        cases.append({
            "scores": [float(v) for v in s],
            "outcomes": "".join("1" if v else "0" for v in y),
            "intercept": float(full.params[0]), "slope": float(full.params[1]),
            "se_intercept": float(full.bse[0]), "se_slope": float(full.bse[1]),
            "citl": float(a), "se_citl": float(se_a),
        })
    ref = {
        "generated_by": "tests/reference/make_fit_reference.py",
        "versions": {"numpy": np.__version__, "statsmodels": statsmodels.__version__},
        "hard_calibration": cases,
        "wls_slope": slope_cases(),
        "calibration_lr": calibration_lr_cases(),
    }
    path = pathlib.Path(__file__).with_name("fits.json")
    path.write_text(json.dumps(ref, indent=1) + "\n")
    slopes = sorted(c["slope"] for c in cases)
    citls = sorted(c["citl"] for c in cases)
    print(f"wrote {path}: {len(cases)} cases; slopes {slopes[0]:.2f} to {slopes[-1]:.2f}; "
          f"calibration-in-the-large {citls[0]:.2f} to {citls[-1]:.2f}")


if __name__ == "__main__":
    main()
