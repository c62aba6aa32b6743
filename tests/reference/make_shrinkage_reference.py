"""Reference values for s1557's empirical-Bayes shrinkage of small groups' rates
(src/stats/shrinkage.rs): the beta-binomial moment estimator (Kleinman 1973) written out in numpy,
and the posterior intervals from scipy's beta quantiles. The estimator's formula is the same as
the Rust code's, so this checks the arithmetic and the quantiles; the estimator's unbiasedness is
checked by simulation in `main`'s summary line (mean of tau2 over draws with a known spread).

Run from the repository root:

    pip install numpy==2.4.6 scipy==1.17.1
    python3 tests/reference/make_shrinkage_reference.py

Writes tests/reference/shrinkage.json.
"""

import json
import pathlib

import numpy as np
import scipy
from scipy.stats import beta

rng = np.random.default_rng(1557211)


def case():
    k = int(rng.integers(2, 16))
    n = rng.integers(0, 400, k) if rng.uniform() < 0.8 else rng.integers(1, 30, k)
    mean, spread = rng.uniform(0.05, 0.9), rng.choice([0.0, 0.02, 0.1, 0.3])
    p = np.clip(rng.normal(mean, spread, k), 0.001, 0.999)
    x = rng.binomial(n, p)
    return [int(v) for v in x], [int(v) for v in n]


def main():
    out = []
    while len(out) < 200:
        x, n = case()
        xs, ns = np.array(x, float), np.array(n, float)
        keep = ns > 0
        if keep.sum() < 2:
            continue
        xk, nk = xs[keep], ns[keep]
        big_n = nk.sum()
        pbar = xk.sum() / big_n
        if pbar <= 0 or pbar >= 1:
            continue
        s = np.sum(nk * (xk / nk - pbar) ** 2)
        den = big_n - np.sum(nk ** 2) / big_n - (len(nk) - 1)
        if den <= 0:
            continue
        tau2 = max(0.0, (s - (len(nk) - 1) * pbar * (1 - pbar)) / den)
        level = [0.9, 0.95, 0.99][len(out) % 3]
        groups = []
        for xi, ni in zip(x, n):
            if tau2 == 0:
                groups.append({"mean": pbar})
                continue
            m = max(pbar * (1 - pbar) / tau2 - 1, 1e-9)
            a, b = xi + pbar * m, ni - xi + (1 - pbar) * m
            groups.append({"mean": a / (a + b), "low": float(beta.ppf((1 - level) / 2, a, b)),
                           "high": float(beta.ppf(1 - (1 - level) / 2, a, b))})
        out.append({"x": x, "n": n, "level": level, "prior_mean": pbar, "tau2": tau2, "groups": groups})
    ref = {"generated_by": "tests/reference/make_shrinkage_reference.py",
           "versions": {"numpy": np.__version__, "scipy": scipy.__version__}, "shrinkage": out}
    path = pathlib.Path(__file__).with_name("shrinkage.json")
    path.write_text(json.dumps(ref, indent=1) + "\n")
    print(f"wrote {path}: {len(out)} cases, {sum(c['tau2'] == 0 for c in out)} with no spread")
    # The estimator recovers a known spread: 20 groups of 5 and 15 groups of 10, tau2 = 0.01.
    sim = np.random.default_rng(5)
    for k, n in [(20, 5), (15, 10)]:
        est = []
        for _ in range(20000):
            p = sim.beta(0.3 * 20, 0.7 * 20, k)  # mean 0.3, var 0.3*0.7/21 = 0.01
            x = sim.binomial(n, p)
            nk = np.full(k, float(n))
            pbar = x.sum() / nk.sum()
            s = np.sum(nk * (x / nk - pbar) ** 2)
            den = nk.sum() - np.sum(nk ** 2) / nk.sum() - (k - 1)
            est.append((s - (k - 1) * pbar * (1 - pbar)) / den)
        print(f"k={k}, n={n}: mean tau2 estimate {np.mean(est):.4f} (true 0.0100, before truncation at 0)")


if __name__ == "__main__":
    main()
