"""Expected score results for protocols/obermeyer.toml, computed independently with pandas,
numpy, scipy and scikit-learn from ../shared/datasets/obermeyer/model_lasso_predictors.csv (the
authors' synthetic holdout, 16,099 patient-years). Run from the repository root:

    python3 tests/reference/make_obermeyer_reference.py

Writes tests/reference/obermeyer_reference.json:

- counts: decision (program_enrolled_t) × outcome (cost_t >= 40000) by race;
- auroc / average_precision: scikit-learn on risk_score_t against the outcome, by race;
- need_bins: mean gagne_sum_t by race within equal-score bins of risk_score_t, the bin of a score
  being min(9, floor(10 · #(scores strictly below) / N)) (ties share a bin);
- need_at_equal_score: the Black − White difference of bin means weighted by the Black group's
  share in each bin, with SE sqrt(Σ w² (s²_B/n_B + s²_W/n_W)), and the ratio of the weighted means;
- top_share: for each score column, the share of Black patients among the top 3% (the
  int(0.03·N) highest scores, ties at the cut-off included) — the authors' Table 2 for the three
  lasso predictions, and the deployed score risk_score_t;
- need_top_share: the same for the top 3% of gagne_sum_t (ties at the cut-off included);
- need_among_selected: at the score the authors' full cohort puts at its 97th percentile (the
  lowest risk_score_t with risk_score_t_percentile >= 97, the protocol's threshold) and at the top
  3% of the holdout, the mean gagne_sum_t of the selected by race with Student's t interval, and the
  Black - White difference with scipy's Welch test and interval (ttest_ind, equal_var=False).
"""

import json
import pathlib

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

root = pathlib.Path(__file__).resolve().parents[2]
d = pd.read_csv(root.parent / "shared/datasets/obermeyer/model_lasso_predictors.csv")
d["group"] = np.where(d["dem_race_black"] == 1, "Black or African American", "White")
d["outcome"] = d["cost_t"] >= 40000
d["decision"] = d["program_enrolled_t"] == 1
out = {"counts": {}, "auroc": {}, "average_precision": {}, "need_bins": {}}
for g, rows in d.groupby("group"):
    out["counts"][g] = {
        "tp": int((rows.decision & rows.outcome).sum()),
        "fp": int((rows.decision & ~rows.outcome).sum()),
        "fn": int((~rows.decision & rows.outcome).sum()),
        "tn": int((~rows.decision & ~rows.outcome).sum()),
    }
    out["auroc"][g] = float(roc_auc_score(rows.outcome, rows.risk_score_t))
    out["average_precision"][g] = float(average_precision_score(rows.outcome, rows.risk_score_t))

scores = np.sort(d["risk_score_t"].to_numpy())
below = np.searchsorted(scores, d["risk_score_t"].to_numpy(), side="left")
d["bin"] = np.minimum(9, (10 * below) // len(scores))
for g, rows in d.groupby("group"):
    out["need_bins"][g] = [
        {"n": int(len(b)), "mean": float(b.gagne_sum_t.mean())}
        for _, b in rows.groupby("bin")
    ]
black = d[d.group == "Black or African American"]
white = d[d.group == "White"]
nb = black.groupby("bin").gagne_sum_t.agg(["count", "mean", "var"])
nw = white.groupby("bin").gagne_sum_t.agg(["count", "mean", "var"])
w = nb["count"] / nb["count"].sum()
a = float((w * nb["mean"]).sum())
b = float((w * nw["mean"]).sum())
va = float((w**2 * nb["var"] / nb["count"]).sum())
vb = float((w**2 * nw["var"] / nw["count"]).sum())
se = (va + vb) ** 0.5
out["need_at_equal_score"] = {
    "group_mean": a,
    "reference_mean": b,
    "difference": a - b,
    "se": se,
    "p_value": float(2 * stats.norm.sf(abs((a - b) / se))),
    "ratio": a / b,
    "se_log_ratio": (va / a**2 + vb / b**2) ** 0.5,
}


def top_share(col):
    k = int(0.03 * len(d))
    cut = np.sort(d[col].to_numpy())[::-1][k - 1]
    top = d[d[col] >= cut]
    return {"selected": int(len(top)), "black": int((top.group != "White").sum()),
            "share": float((top.group != "White").mean())}


out["top_share"] = {c: top_share(c) for c in
                    ["risk_score_t", "log_cost_t_hat", "log_cost_avoidable_t_hat", "gagne_sum_t_hat"]}
out["need_top_share"] = top_share("gagne_sum_t")


def need_among_selected(cut):
    top = d[d.risk_score_t >= cut]
    out = {"cutoff": float(cut), "groups": {}}
    for g, rows in top.groupby("group"):
        x = rows.gagne_sum_t
        lo, hi = stats.t.interval(0.95, len(x) - 1, x.mean(), x.std(ddof=1) / np.sqrt(len(x)))
        out["groups"][g] = {"n": int(len(x)), "mean": float(x.mean()), "low": float(lo), "high": float(hi)}
    bl, wh = (top[top.group == g].gagne_sum_t for g in ["Black or African American", "White"])
    t = stats.ttest_ind(bl, wh, equal_var=False)
    ci = t.confidence_interval(0.95)
    out["difference"] = {"value": float(bl.mean() - wh.mean()), "low": float(ci.low), "high": float(ci.high),
                         "p_value": float(t.pvalue)}
    return out


k = int(0.03 * len(d))
out["need_among_selected"] = {
    "threshold": need_among_selected(d.loc[d.risk_score_t_percentile >= 97, "risk_score_t"].min()),
    "top_percent": need_among_selected(np.sort(d.risk_score_t.to_numpy())[::-1][k - 1]),
}
path = root / "tests/reference/obermeyer_reference.json"
path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
print(f"wrote {path}")
print(json.dumps(out["top_share"], indent=1), out["need_top_share"], out["need_at_equal_score"])
print(json.dumps(out["need_among_selected"], indent=1))
