"""Reference values for design-based (clustered, stratified, weighted) variances of rates and of
their gaps, computed by samplics' TaylorEstimator from the rows, for `tests/design_reference.rs`.

Each case draws a design (strata, clusters, cluster sizes, weights or none) and rows of three
groups (g, the reference r, and another group that only adds clusters), each row in one confusion
cell. The fixture keeps each cluster's totals of the four cells per group (what s1557's scan
produces), and the expected values:

- each group's rate and its Taylor variance: samplics `TaylorEstimator(ratio)` with the group as
  a domain;
- the variance of the difference and of the log ratio: samplics' Taylor variance routine applied to
  the linearised values (z_i = w_i (y_i - R x_i) / X per group, combined), which is how the
  variance of a contrast of two domain ratios is formed (Woodruff 1971);
- the design degrees of freedom (samplics: PSUs minus strata), the t interval and p (scipy).

Run: python3 tests/reference/make_design_reference.py  (needs samplics 0.6, numpy, pandas, scipy)
"""
import json
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from samplics.estimation import TaylorEstimator
from samplics.utils.types import PopParam

warnings.filterwarnings("ignore")

CELLS = {
    "selection_rate": ([0, 1], [0, 1, 2, 3]),
    "tpr": ([0], [0, 2]),
    "fpr": ([1], [1, 3]),
    "ppv": ([0], [0, 1]),
    "npv": ([3], [2, 3]),
    "prevalence": ([0, 2], [0, 1, 2, 3]),
}


def draw(rng):
    strata = int(rng.integers(1, 5))
    weighted = bool(rng.random() < 0.5)
    rows = []
    for h in range(strata):
        for c in range(int(rng.integers(2, 9))):
            size = int(rng.integers(1, 7))
            # A cluster mostly stays in one group (a patient), sometimes not (a survey PSU).
            home = int(rng.integers(0, 3))
            p_cell = rng.dirichlet(np.ones(4) * 2)
            for _ in range(size):
                grp = home if rng.random() < 0.8 else int(rng.integers(0, 3))
                cell = int(rng.choice(4, p=p_cell))
                w = float(rng.uniform(0.3, 4.0)) if weighted else 1.0
                rows.append((h, f"{h}-{c}", grp, cell, w))
    return pd.DataFrame(rows, columns=["stratum", "psu", "group", "cell", "w"]), weighted


def linearised(df, num, den, grp):
    d = (df.group == grp).to_numpy()
    y = df.cell.isin(num).to_numpy().astype(float)
    x = df.cell.isin(den).to_numpy().astype(float)
    w = df.w.to_numpy()
    X = (w * x * d).sum()
    R = (w * y * d).sum() / X
    return R, w * d * (y - R * x) / X


def total_variance(df, z):
    """samplics' Taylor variance routine applied to the combined linearised scores."""
    est = TaylorEstimator(PopParam.total)
    strata = df.stratum.to_numpy()
    v = est._taylor_variance(y_score=z[:, None], samp_weight=df.w.to_numpy(), stratum=strata,
                             psu=df.psu.to_numpy(), ssu=np.array([]),
                             fpc={h: 1 for h in np.unique(strata)})
    return float(np.asarray(v).reshape(-1)[0])


def case(rng, level):
    while True:
        df, weighted = draw(rng)
        metric = list(CELLS)[int(rng.integers(0, len(CELLS)))]
        num, den = CELLS[metric]
        if not all(((df.group == g) & df.cell.isin(den)).any() for g in (0, 1)):
            continue
        est = TaylorEstimator(PopParam.ratio)
        try:
            est.estimate(y=df.cell.isin(num).to_numpy().astype(float),
                         x=df.cell.isin(den).to_numpy().astype(float),
                         samp_weight=df.w.to_numpy(), stratum=df.stratum.to_numpy(),
                         psu=df.psu.to_numpy(), domain=df.group.to_numpy())
        except ZeroDivisionError:
            # samplics divides by a domain's zero rate (its coefficient of variation): draw again.
            continue
        break
    rg, zg = linearised(df, num, den, 0)
    rr, zr = linearised(df, num, den, 1)
    assert abs(rg - est.point_est[0]) < 1e-12 and abs(rr - est.point_est[1]) < 1e-12
    var_diff = total_variance(df, zg - zr)
    # The linearised variable of log(Rg/Rr) is zg/Rg - zr/Rr.
    var_log = total_variance(df, zg / rg - zr / rr) if rg > 0 and rr > 0 else None
    dof = int(df.psu.nunique() - df.stratum.nunique())
    out = {
        "metric": metric, "weighted": weighted, "level": level,
        "strata": [int(df[df.stratum == h].psu.nunique()) for h in sorted(df.stratum.unique())],
        "clusters": [],
        "rate": rg, "var": float(est.variance[0]),
        "reference_rate": rr, "reference_var": float(est.variance[1]),
        "difference": rg - rr, "var_difference": var_diff, "df": dof,
    }
    for (h, psu), part in df.groupby(["stratum", "psu"], sort=True):
        tot = []
        for g in (0, 1):
            t = [0.0] * 4
            sel = part[part.group == g]
            for cell in range(4):
                t[cell] = float(sel.w[sel.cell == cell].sum())
            tot.append(t)
        out["clusters"].append({"stratum": int(h), "g": tot[0], "r": tot[1]})
    if var_diff > 1e-20 and dof >= 1:  # below: zero up to rounding
        se = var_diff ** 0.5
        t = stats.t.ppf(1 - (1 - level) / 2, dof)
        out["ci_difference"] = [rg - rr - t * se, rg - rr + t * se]
        out["p_difference"] = float(2 * stats.t.sf(abs((rg - rr) / se), dof))
    if var_log is not None and var_log > 1e-20 and dof >= 1:
        se = var_log ** 0.5
        t = stats.t.ppf(1 - (1 - level) / 2, dof)
        out["var_log_ratio"] = var_log
        out["ci_ratio"] = [float(np.exp(np.log(rg / rr) - t * se)), float(np.exp(np.log(rg / rr) + t * se))]
    return out


def rows_case(rng):
    """Rows for an end-to-end run through the scan: three strata whose PSUs share labels (they
    nest in their stratum), weights, race codes W/B/A; each group's weighted rates and their
    standard errors by samplics."""
    rows = []
    for h in range(3):
        for c in range(int(rng.integers(3, 6))):
            for _ in range(int(rng.integers(5, 15))):
                race = ["W", "B", "A"][int(rng.choice(3, p=[0.5, 0.3, 0.2]))]
                outcome = int(rng.random() < 0.3)
                flagged = int(rng.random() < (0.6 if outcome else 0.25) + 0.05 * h)
                rows.append((f"s{h}", str(c + 1), race, flagged, outcome, round(float(rng.uniform(0.5, 3)), 4)))
    df = pd.DataFrame(rows, columns=["stratum", "psu", "race", "flagged", "outcome", "w"])
    expected = {}
    for metric in ("selection_rate", "tpr", "fpr"):
        num, den = CELLS[metric]
        cell = np.where(df.flagged == 1, np.where(df.outcome == 1, 0, 1), np.where(df.outcome == 1, 2, 3))
        est = TaylorEstimator(PopParam.ratio)
        est.estimate(y=np.isin(cell, num).astype(float), x=np.isin(cell, den).astype(float),
                     samp_weight=df.w.to_numpy(), stratum=df.stratum.to_numpy(),
                     psu=(df.stratum + "/" + df.psu).to_numpy(), domain=df.race.to_numpy())
        for g in ("W", "B", "A"):
            expected[f"{g}/{metric}"] = {"rate": float(est.point_est[g]), "se": float(est.variance[g]) ** 0.5}
    return {"rows": rows, "expected": expected}


def main():
    rng = np.random.default_rng(20261207)
    cases = [case(rng, 0.95 if i % 4 else 0.9) for i in range(200)]
    with open("tests/reference/design.json", "w") as f:
        json.dump({"generator": "tests/reference/make_design_reference.py", "cases": cases,
                   "rows_case": rows_case(rng)}, f, separators=(",", ":"))
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
