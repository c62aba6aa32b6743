"""Design-based (patient-clustered) comparisons for protocols/diabetes130.toml, computed by
samplics' Taylor linearisation from the rows of ../shared/datasets/diabetes130/diabetic_data.csv
(101,766 encounters of 71,518 patients; the patient number is the cluster):

    python3 tests/reference/make_diabetes130_reference.py   (needs samplics 0.6, pandas, scipy)

Writes tests/reference/diabetes130_design.json:
- per group and metric the rate's standard error (samplics TaylorEstimator, ratio with the group
  as a domain) and its design effect over the binomial variance;
- per comparison the effective counts (n_eff = n / max(1, deff) (z/t_df)^2, x_eff = p n_eff), Newcombe's
  interval and the pooled z-test on them (statsmodels), and the Taylor standard error of the
  difference (samplics' variance of the combined linearised values).
"""
import json
import pathlib
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

warnings.filterwarnings("ignore")
from samplics.estimation import TaylorEstimator  # noqa: E402
from samplics.utils.types import PopParam  # noqa: E402

root = pathlib.Path(__file__).resolve().parents[2]
d = pd.read_csv(root.parent / "shared/datasets/diabetes130/diabetic_data.csv", low_memory=False)
cell = np.where(d.change == "Ch", np.where(d.readmitted == "<30", 0, 1), np.where(d.readmitted == "<30", 2, 3))
race = {"Caucasian": "White", "AfricanAmerican": "Black or African American", "Asian": "Asian"}
groups = {
    "race": (d.race.map(race).fillna("Unknown"), "White"),
    "sex": (d.gender.map({"Female": "Female", "Male": "Male"}).fillna("Unknown"), "Male"),
    "age": (d.age, "[60-70)"),
}
CELLS = {"selection_rate": ([0, 1], [0, 1, 2, 3]), "tpr": ([0], [0, 2]), "fpr": ([1], [1, 3]), "ppv": ([0], [0, 1])}
psu = d.patient_nbr.to_numpy()
ones = np.ones(len(d))
stratum = np.zeros(len(d), dtype=int)
est = TaylorEstimator(PopParam.total)
dof = len(np.unique(psu)) - 1


def z_of(label, g, num, den):
    inside = (label == g).to_numpy()
    y, x = np.isin(cell, num).astype(float), np.isin(cell, den).astype(float)
    X = (x * inside).sum()
    R = (y * inside).sum() / X
    return R, inside * (y - R * x) / X


def variance(z):
    v = est._taylor_variance(y_score=z[:, None], samp_weight=ones, stratum=stratum, psu=psu,
                             ssu=np.array([]), fpc={0: 1})
    return float(np.asarray(v).reshape(-1)[0])


def deff(label, g, rate, z, den):
    n = ((label == g).to_numpy() & np.isin(cell, den)).sum()
    binomial = rate * (1 - rate) / n
    return variance(z) / binomial if binomial > 0 else 1.0


def effective(label, g, rate, z, den):
    n = ((label == g).to_numpy() & np.isin(cell, den)).sum()
    # Korn & Graubard's degrees-of-freedom factor (z / t_df)^2, df = patients - 1.
    factor = (stats.norm.ppf(0.975) / stats.t.ppf(0.975, dof)) ** 2
    n_eff = n / max(1.0, deff(label, g, rate, z, den)) * factor
    return rate * n_eff, n_eff


out = {"df": dof, "comparisons": {}, "rates": {}}
for attr, (label, ref) in groups.items():
    for metric, (num, den) in CELLS.items():
        rr, zr = z_of(label, ref, num, den)
        for g in sorted(label.unique()):
            if not ((label == g).to_numpy() & np.isin(cell, den)).any():
                continue  # no case in the denominator: the rate is undefined
            rg, zg = z_of(label, g, num, den)
            out["rates"][f"{attr}/{g}/{metric}"] = {"rate": rg, "se": variance(zg) ** 0.5,
                                                    "deff": deff(label, g, rg, zg, den)}
            if g == ref:
                continue
            x1, n1 = effective(label, g, rg, zg, den)
            x0, n0 = effective(label, ref, rr, zr, den)
            lo, hi = confint_proportions_2indep(x1, n1, x0, n0, compare="diff", method="newcomb")
            z, p = proportions_ztest([x1, x0], [n1, n0])
            out["comparisons"][f"{attr}/{g}/{metric}"] = {
                "difference": rg - rr, "low": float(lo), "high": float(hi), "z": float(z),
                "p": float(p), "difference_se": variance(zg - zr) ** 0.5,
                "effective": [x1, n1, x0, n0],
            }
# One rate checked against samplics' own domain ratio estimator as well.
e = TaylorEstimator(PopParam.ratio)
e.estimate(y=np.isin(cell, [0]).astype(float), x=np.isin(cell, [0, 2]).astype(float), samp_weight=ones,
           psu=psu, domain=groups["race"][0].to_numpy())
assert abs(e.variance["Black or African American"] ** 0.5 - out["rates"]["race/Black or African American/tpr"]["se"]) < 1e-12
with open(root / "tests/reference/diabetes130_design.json", "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
print(len(out["comparisons"]), "comparisons,", len(out["rates"]), "rates")
