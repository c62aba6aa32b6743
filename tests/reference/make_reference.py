"""Reference values for s1557's statistics, from scipy and statsmodels.

Run from the repository root:

    pip install scipy==1.14.1 statsmodels==0.14.4 numpy==2.1.3 scikit-learn==1.5.2
    python3 tests/reference/make_reference.py

It writes tests/reference/stats.json, which tests/stats_reference.rs reads; the tests never need
Python. Cases are drawn with a fixed seed and include the edge cases (zeros, all events, n = 1,
counts up to 10^9).
"""

import json
import pathlib

import numpy as np
import scipy
import statsmodels
from fractions import Fraction
from math import comb

from scipy import stats
from scipy.optimize import brentq
from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    score_test_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

rng = np.random.default_rng(1557)
LEVELS = [0.9, 0.95, 0.99]


def counts(k):
    """k (x, n) pairs over a wide range of sizes, with edge cases first."""
    out = [(0, 1), (1, 1), (0, 10), (10, 10), (1, 2), (5, 11), (0, 1000), (1000, 1000),
           (3, 10**9), (10**9 - 7, 10**9), (500_000_000, 10**9), (123_456, 987_654)]
    while len(out) < k:
        n = int(10 ** rng.uniform(0, 7))
        p = rng.choice([rng.uniform(0, 1), rng.uniform(0, 0.05), rng.uniform(0.95, 1)])
        out.append((int(rng.binomial(n, p)), n))
    return out


def interval_cases(method):
    out = []
    for i, (x, n) in enumerate(counts(220)):
        level = LEVELS[i % 3]
        lo, hi = proportion_confint(x, n, alpha=1 - level, method=method)
        lo, hi = float(lo), float(hi)
        if method == "jeffreys":
            # Brown, Cai & DasGupta's boundary rule, which s1557 applies (statsmodels does not).
            lo = 0.0 if x == 0 else lo
            hi = 1.0 if x == n else hi
        out.append({"x": x, "n": n, "level": level, "low": lo, "high": hi})
    return out


def agresti_caffo_cases():
    out = []
    for i, ((x1, n1), (x0, n0)) in enumerate(pairs(220)):
        level = LEVELS[i % 3]
        lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="agresti-caffo", compare="diff", alpha=1 - level)
        out.append({"x1": x1, "n1": n1, "x0": x0, "n0": n0, "level": level,
                    "diff": x1 / n1 - x0 / n0, "low": max(float(lo), -1.0), "high": min(float(hi), 1.0)})
    return out


def koopman_cases():
    out = []
    for i, ((x1, n1), (x0, n0)) in enumerate(pairs(300)):
        # statsmodels' root search fails (complex bounds, or an interval without the estimate)
        # when a rate is 0 or 1; s1557's own tests check those cases by their invariants.
        if x0 in (0, n0) or x1 in (0, n1) or n1 > 10**8 or n0 > 10**8:
            continue
        level = LEVELS[i % 3]
        lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="score", compare="ratio",
                                            alpha=1 - level, correction=False)
        # statsmodels inverts the test on the p-value scale with a loose tolerance (about 1e-7
        # relative); refine each bound with brentq on statsmodels' own score statistic.
        crit = stats.chi2.isf(1 - level, 1)

        def excess(v):
            r = score_test_proportions_2indep(x1, n1, x0, n0, value=v, compare="ratio",
                                              correction=False, return_results=True)
            return r.statistic ** 2 - crit

        def refine(b):
            b = float(np.real(b))
            for w in (1e-6, 1e-4, 1e-2):
                a, c = b * (1 - w), b * (1 + w)
                if excess(a) * excess(c) < 0:
                    return brentq(excess, a, c, xtol=1e-16, rtol=1e-15, maxiter=500)
            return b

        lo, hi = refine(lo), refine(hi)
        ratio = (x1 / n1) / (x0 / n0)
        # Skip the cases where statsmodels' search did not land on a root (it can return a
        # negative lower bound when the reference rate is near 1).
        if not (0 < lo <= ratio <= hi) or max(abs(excess(lo)), abs(excess(hi))) > 1e-6 * crit:
            continue
        out.append({"x1": x1, "n1": n1, "x0": x0, "n0": n0, "level": level,
                    "ratio": (x1 / n1) / (x0 / n0), "low": float(lo), "high": float(hi)})
    return out


def odds_ratio_cases():
    out = []
    for i, ((x1, n1), (x0, n0)) in enumerate(pairs(220)):
        level = LEVELS[i % 3]
        cells = np.array([[x1, n1 - x1], [x0, n0 - x0]], dtype=float)
        corrected = bool((cells == 0).any())
        if corrected:
            cells = cells + 0.5
        t = Table2x2(cells)
        lo, hi = t.oddsratio_confint(alpha=1 - level)
        out.append({"x1": x1, "n1": n1, "x0": x0, "n0": n0, "level": level, "or": float(t.oddsratio),
                    "low": float(lo), "high": float(hi), "corrected": corrected})
    return out


def trend_cases():
    """Cochran-Armitage trend test, from its formula with numpy and scipy's normal."""
    out = []
    while len(out) < 200:
        k = int(rng.integers(2, 8))
        rows = []
        for _ in range(k):
            n = int(10 ** rng.uniform(0.5, 5))
            rows.append((int(rng.binomial(n, rng.uniform(0.05, 0.5))), n))
        x = np.array([r[0] for r in rows], dtype=float)
        n = np.array([r[1] for r in rows], dtype=float)
        s = np.arange(k, dtype=float)
        pbar = x.sum() / n.sum()
        if pbar in (0.0, 1.0):
            continue
        t = (s * (x - n * pbar)).sum()
        var = pbar * (1 - pbar) * ((s * s * n).sum() - (s * n).sum() ** 2 / n.sum())
        z = t / np.sqrt(var)
        out.append({"rows": rows, "z": float(z), "p": float(2 * stats.norm.sf(abs(z)))})
    return out


def cmh_cases():
    out = []
    while len(out) < 200:
        k = int(rng.integers(1, 7))
        tables = []
        for _ in range(k):
            n1, n0 = (int(10 ** rng.uniform(0.5, 4)) for _ in range(2))
            p = rng.uniform(0.05, 0.6)
            a, c = int(rng.binomial(n1, p * rng.uniform(0.6, 1.4))), int(rng.binomial(n0, p))
            a = min(a, n1)
            tables.append([a, n1 - a, c, n0 - c])
        used = [t for t in tables if sum(t) >= 2]
        arr = np.array(used, dtype=float).reshape(-1, 2, 2).transpose(1, 2, 0)
        st = StratifiedTable(arr)
        r = st.test_null_odds(correction=False)
        if not np.isfinite(r.statistic):
            continue
        case = {"tables": tables, "statistic": float(r.statistic), "p": float(r.pvalue), "level": 0.95}
        rs = sum(t[0] * t[3] / sum(t) for t in used)
        ss = sum(t[1] * t[2] / sum(t) for t in used)
        if rs > 0 and ss > 0:
            lo, hi = st.oddsratio_pooled_confint(alpha=0.05)
            case.update({"or": float(st.oddsratio_pooled), "or_low": float(lo), "or_high": float(hi)})
        out.append(case)
    return out


def auroc_cases():
    """AUROC from scikit-learn; DeLong's variance from its definition (placement values from
    all pairwise comparisons, O(mn)), independent of the midrank algorithm s1557 uses."""
    from sklearn.metrics import roc_auc_score

    out = []
    while len(out) < 200:
        m, n = (int(v) for v in rng.integers(2, 200, 2))
        shift = rng.uniform(-0.5, 2.0)
        if len(out) % 3 == 0:  # coarse scores: many ties
            x = np.round(rng.normal(shift, 1, m), 1)
            y = np.round(rng.normal(0, 1, n), 1)
        else:
            x = rng.normal(shift, 1, m)
            y = rng.normal(0, 1, n)
        x = 1 / (1 + np.exp(-x))
        y = 1 / (1 + np.exp(-y))
        auc = roc_auc_score(np.r_[np.ones(m), np.zeros(n)], np.r_[x, y])
        psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
        v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
        var = v10.var(ddof=1) / m + v01.var(ddof=1) / n
        out.append({"pos": [float(v) for v in x], "neg": [float(v) for v in y], "auc": float(auc), "variance": float(var)})
    return out


def calibration_cases():
    """Logistic recalibration and calibration-in-the-large from statsmodels' logistic regression
    (Newton); Brier score and average precision from scikit-learn."""
    import statsmodels.api as sm
    from sklearn.metrics import average_precision_score, brier_score_loss

    out = []
    while len(out) < 200:
        n = int(rng.integers(30, 400))
        true_logit = rng.normal(-1.0, 1.2, n)
        y = rng.uniform(size=n) < 1 / (1 + np.exp(-true_logit))
        if y.all() or not y.any():
            continue
        # A miscalibrated score: shifted and stretched logit, sometimes rounded (ties).
        s = 1 / (1 + np.exp(-(rng.uniform(-0.8, 0.8) + rng.uniform(0.5, 1.6) * true_logit + rng.normal(0, 0.5, n))))
        if len(out) % 4 == 0:
            s = np.clip(np.round(s, 2), 0.005, 0.995)
        x = np.log(s / (1 - s))
        # Newton's method on the parameters to 1e-15 (GLM's IRLS stops on the deviance, which
        # leaves the parameters good to about 1e-7 only).
        fit = sm.Logit(y.astype(float), sm.add_constant(x)).fit(method="newton", tol=1e-15, maxiter=200, disp=0)
        citl = sm.Logit(y.astype(float), np.ones(n), offset=x).fit(method="newton", tol=1e-15, maxiter=200, disp=0)
        out.append({
            "scores": [float(v) for v in s], "outcomes": [bool(v) for v in y],
            "intercept": float(fit.params[0]), "slope": float(fit.params[1]),
            "se_intercept": float(fit.bse[0]), "se_slope": float(fit.bse[1]),
            "citl": float(citl.params[0]), "se_citl": float(citl.bse[0]),
            "brier": float(brier_score_loss(y, s)), "average_precision": float(average_precision_score(y, s)),
        })
    return out


def wilson_cases():
    out = []
    for i, (x, n) in enumerate(counts(220)):
        level = LEVELS[i % 3]
        lo, hi = proportion_confint(x, n, alpha=1 - level, method="wilson")
        out.append({"x": x, "n": n, "level": level, "low": float(lo), "high": float(hi)})
    return out


def pairs(k):
    a = counts(k)
    b = counts(k + 37)[37:]
    rng.shuffle(b)
    return list(zip(a, b))


def katz_cases():
    out = []
    for i, ((x1, n1), (x0, n0)) in enumerate(pairs(220)):
        if x0 == 0 or x1 == n1 and x0 == n0:
            continue
        level = LEVELS[i % 3]
        ratio = (x1 / n1) / (x0 / n0)
        corrected = x1 == 0 or x1 == n1 or x0 == n0
        # s1557 adds 0.5 to every cell of the 2x2 table when one is empty (Haldane-Anscombe);
        # statsmodels' "log" method is then applied to the corrected cells.
        c1, m1, c0, m0 = (x1 + 0.5, n1 + 1, x0 + 0.5, n0 + 1) if corrected else (x1, n1, x0, n0)
        lo, hi = confint_proportions_2indep(c1, m1, c0, m0, method="log", compare="ratio", alpha=1 - level)
        out.append({"x1": x1, "n1": n1, "x0": x0, "n0": n0, "level": level, "ratio": ratio,
                    "low": float(lo), "high": float(hi), "corrected": corrected})
    return out


def newcombe_cases():
    out = []
    for i, ((x1, n1), (x0, n0)) in enumerate(pairs(220)):
        level = LEVELS[i % 3]
        lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff", alpha=1 - level)
        out.append({"x1": x1, "n1": n1, "x0": x0, "n0": n0, "level": level,
                    "diff": x1 / n1 - x0 / n0, "low": float(lo), "high": float(hi)})
    return out


def ztest_cases():
    out = []
    for (x1, n1), (x0, n0) in pairs(220):
        pooled = (x1 + x0) / (n1 + n0)
        if pooled in (0.0, 1.0):
            continue
        z, p = proportions_ztest([x1, x0], [n1, n0])
        out.append({"x1": x1, "n1": n1, "x0": x0, "n0": n0, "z": float(z), "p": float(p)})
    return out


def fisher_cases():
    tables = [(0, 0, 0, 0), (0, 5, 0, 5), (3, 0, 0, 3), (1, 9, 11, 3), (8, 2, 1, 5), (0, 10, 10, 0),
              (5, 5, 5, 5), (2, 7, 8, 2), (0, 1, 1, 0), (1, 0, 0, 1), (7, 12, 0, 15), (20, 980, 2, 998),
              (17, 24, 12, 15), (3, 999_999_997, 0, 1_000_000_000), (1, 10**9, 4, 10**9 - 3),
              (2, 400_000_000, 9, 600_000_000)]
    while len(tables) < 220:
        kind = len(tables) % 3
        if kind == 0:
            t = tuple(int(v) for v in rng.integers(0, 30, 4))
        elif kind == 1:
            n1, n2 = (int(v) for v in rng.integers(1, 3000, 2))
            p1, p2 = rng.uniform(0, 0.2, 2)
            a, c = int(rng.binomial(n1, p1)), int(rng.binomial(n2, p2))
            t = (a, n1 - a, c, n2 - c)
        else:
            n1, n2 = (int(v) for v in rng.integers(1, 200_000, 2))
            p = rng.uniform(0.0001, 0.01)
            a, c = int(rng.binomial(n1, p)), int(rng.binomial(n2, p * rng.uniform(0.5, 2)))
            t = (a, n1 - a, c, n2 - c)
        tables.append(t)
    out = []
    for a, b, c, d in tables:
        n1, n2, n = a + b, c + d, a + c
        lo, hi = max(0, n - n2), min(n, n1)
        if 0 < n1 and 0 < n2 and 0 < n < n1 + n2 and hi - lo <= 60:
            # Small support: the exact rational p-value (same definition: every table at most
            # (1 + 1e-7) times as likely as the observed one). scipy's hypergeometric loses about
            # 1e-7 relative at 10^9 per cell.
            pmf = {k: comb(n1, k) * comb(n2, n - k) for k in range(lo, hi + 1)}
            cut = Fraction(pmf[a]) * (1 + Fraction(1, 10**7))
            p = float(Fraction(sum(v for v in pmf.values() if v <= cut), comb(n1 + n2, n)))
            p = min(p, 1.0)
            source = "exact"
        else:
            p = float(stats.fisher_exact([[a, b], [c, d]]).pvalue)
            source = "scipy"
        out.append({"a": a, "b": b, "c": c, "d": d, "p": p, "source": source})
    return out


def chi2_cases():
    out = []
    while len(out) < 200:
        k = int(rng.integers(2, 9))
        rows = []
        for _ in range(k):
            n = int(10 ** rng.uniform(0.5, 6))
            rows.append((int(rng.binomial(n, rng.uniform(0.01, 0.6))), n))
        table = np.array([[x, n - x] for x, n in rows])
        if (table.sum(axis=0) == 0).any():
            continue
        chi2, p, dof, expected = stats.chi2_contingency(table, correction=False)
        out.append({"rows": rows, "statistic": float(chi2), "df": int(dof), "p": float(p),
                    "min_expected": float(expected.min())})
    return out


def adjust_cases():
    out = []
    for i in range(200):
        m = int(rng.integers(1, 60))
        kind = i % 4
        if kind == 0:
            p = rng.uniform(0, 1, m)
        elif kind == 1:
            p = rng.uniform(0, 0.05, m)
        elif kind == 2:
            p = np.concatenate([rng.uniform(0, 1e-6, m // 2 + 1), rng.uniform(0, 1, m - m // 2 - 1)])
        else:
            p = np.round(rng.uniform(0, 0.1, m), 3)  # ties
        p = [float(v) for v in p]
        case = {"p": p}
        for method, key in (("holm", "holm"), ("bonferroni", "bonferroni"), ("fdr_bh", "bh")):
            case[key] = [float(v) for v in multipletests(p, method=method)[1]]
        out.append(case)
    return out


def power_formula(p1, p0, n1, n0, alpha):
    """Power of the two-sided two-proportion z-test: pooled null, unpooled alternative variance
    (Fleiss, Levin & Paik 2003). An independent implementation with scipy's normal."""
    z = stats.norm.isf(alpha / 2)
    pbar = (p1 * n1 + p0 * n0) / (n1 + n0)
    s0 = np.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n0))
    s1 = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    d = abs(p1 - p0)
    return float(stats.norm.cdf((d - z * s0) / s1) + stats.norm.cdf((-d - z * s0) / s1))


def power_cases():
    out = []
    while len(out) < 200:
        p0 = float(rng.uniform(0.01, 0.99))
        p1 = float(np.clip(p0 + rng.uniform(-0.3, 0.3), 0.001, 0.999))
        if p1 == p0:
            continue
        n1, n0 = (int(10 ** rng.uniform(1, 5)) for _ in range(2))
        alpha = float(rng.choice([0.01, 0.05, 0.1]))
        out.append({"p1": p1, "p0": p0, "n1": n1, "n0": n0, "alpha": alpha,
                    "power": power_formula(p1, p0, n1, n0, alpha)})
    return out


def main():
    ref = {
        "generated_by": "tests/reference/make_reference.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__,
                     "scikit-learn": __import__("sklearn").__version__},
        "wilson": wilson_cases(),
        "clopper_pearson": interval_cases("beta"),
        "jeffreys": interval_cases("jeffreys"),
        "agresti_caffo_diff": agresti_caffo_cases(),
        "koopman_ratio": koopman_cases(),
        "odds_ratio": odds_ratio_cases(),
        "cochran_armitage": trend_cases(),
        "cochran_mantel_haenszel": cmh_cases(),
        "auroc": auroc_cases(),
        "calibration": calibration_cases(),
        "katz_ratio": katz_cases(),
        "newcombe_diff": newcombe_cases(),
        "pooled_z": ztest_cases(),
        "fisher_exact": fisher_cases(),
        "chi_square_kx2": chi2_cases(),
        "adjust": adjust_cases(),
        "power": power_cases(),
    }
    path = pathlib.Path(__file__).with_name("stats.json")
    path.write_text(json.dumps(ref, indent=1) + "\n")
    print(f"wrote {path}: " + ", ".join(f"{k} {len(v)}" for k, v in ref.items() if isinstance(v, list)))


if __name__ == "__main__":
    main()
