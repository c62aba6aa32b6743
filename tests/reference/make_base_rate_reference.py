"""Reference values for s1557's split of a selection-rate gap into the part that follows the base
rate and the part due to the tool, and for excess missed cases (src/stats/base_rate.rs).

Run from the repository root:

    pip install numpy==2.4.6 statsmodels==0.15.0
    python3 tests/reference/make_base_rate_reference.py

Writes tests/reference/base_rate.json. The parts are computed from the four cell counts of each
group as written in the module's documentation; their standard errors by the delta method with
the gradient taken by complex-step differentiation (f(p + ih·e_k).imag / h, exact to rounding, and
independent of the analytic gradient the Rust code uses) and the multinomial covariance
(diag(p) - p p') / n of each group. Excess missed cases use statsmodels' Newcombe interval of the
difference in miss rates.
"""

import json
import pathlib

import numpy as np
import statsmodels
from statsmodels.stats.proportion import confint_proportions_2indep

rng = np.random.default_rng(210)
H = 1e-30


def parts(pg, pr):
    """Gap, base-rate part and tool part from the cell shares (tp, fp, fn, tn) of both groups."""
    sg, sr = pg[0] + pg[1], pr[0] + pr[1]
    prev_g, prev_r = pg[0] + pg[2], pr[0] + pr[2]
    tpr, fpr = pr[0] / (pr[0] + pr[2]), pr[1] / (pr[1] + pr[3])
    gap = sg - sr
    base = (prev_g - prev_r) * (tpr - fpr)
    # The multinomial covariance has the shares' sum fixed, so how 1 - prev_g is written in the
    # cells does not change the variance.
    tool = sg - (prev_g * tpr + (1 - prev_g) * fpr)
    return np.array([gap, base, tool])


def delta_se(pg, pr, ng, nr):
    var = np.zeros(3)
    for which, (p, n) in enumerate([(pg, ng), (pr, nr)]):
        jac = np.zeros((3, 4))
        for k in range(4):
            step = np.zeros(4, complex)
            step[k] = 1j * H
            a = pg.astype(complex) + (step if which == 0 else 0)
            b = pr.astype(complex) + (step if which == 1 else 0)
            jac[:, k] = parts(a, b).imag / H
        cov = (np.diag(p) - np.outer(p, p)) / n
        var += np.einsum("ik,kl,il->i", jac, cov, jac)
    return np.sqrt(np.maximum(var, 0))


def draw_cells():
    n = int(10 ** rng.uniform(1, 6))
    prev = rng.uniform(0.01, 0.6)
    tpr, fpr = rng.uniform(0.05, 0.95), rng.uniform(0.01, 0.5)
    pos = rng.binomial(n, prev)
    tp = rng.binomial(pos, tpr)
    fp = rng.binomial(n - pos, fpr)
    return [int(tp), int(fp), int(pos - tp), int(n - pos - fp)]


def main():
    cases = []
    edge = [([0, 0, 5, 20], [10, 10, 10, 70]), ([5, 0, 0, 20], [10, 10, 10, 70]),
            ([0, 3, 0, 9], [1, 1, 1, 1]), ([3, 4, 5, 6], [7, 0, 9, 10])]
    while len(cases) < 220:
        g, r = edge[len(cases)] if len(cases) < len(edge) else (draw_cells(), draw_cells())
        if sum(g) == 0 or r[0] + r[2] == 0 or r[1] + r[3] == 0:
            continue
        ng, nr = sum(g), sum(r)
        pg, pr = np.array(g, float) / ng, np.array(r, float) / nr
        gap, base, tool = parts(pg, pr)
        se = delta_se(pg, pr, ng, nr)
        level = [0.9, 0.95, 0.99][len(cases) % 3]
        case = {"g": g, "r": r, "level": level, "gap": gap, "base_rate": base, "tool": tool,
                "se_gap": se[0], "se_base_rate": se[1], "se_tool": se[2]}
        pos_g, pos_r = g[0] + g[2], r[0] + r[2]
        if pos_g > 0:
            lo, hi = confint_proportions_2indep(g[2], pos_g, r[2], pos_r, method="newcomb",
                                                compare="diff", alpha=1 - level)
            case["excess_missed"] = pos_g * (g[2] / pos_g - r[2] / pos_r)
            case["excess_low"], case["excess_high"] = pos_g * lo, pos_g * hi
        cases.append({k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in case.items()})
    ref = {"generated_by": "tests/reference/make_base_rate_reference.py",
           "versions": {"numpy": np.__version__, "statsmodels": statsmodels.__version__},
           "split": cases}
    path = pathlib.Path(__file__).with_name("base_rate.json")
    path.write_text(json.dumps(ref, indent=1) + "\n")
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
