"""Expected sufficient statistics for protocols/nhanes_diabetes.toml, computed with pandas from
../shared/datasets/nhanes_diabetes/diabetes_data_with_risk.csv (run from the repository root):

    python3 tests/reference/make_real_data_reference.py

Writes tests/reference/nhanes_diabetes_counts.json: per attribute and group, the confusion counts
of decision (race-blind predicted risk >= 1.5%) × outcome (diabetes).
"""

import json
import pathlib

import pandas as pd

root = pathlib.Path(__file__).resolve().parents[2]
d = pd.read_csv(root.parent / "shared/datasets/nhanes_diabetes/diabetes_data_with_risk.csv")
d["decision"] = d["race_blind_model_pred"] >= 0.015
d["outcome"] = d["diabetes"].astype(bool)
race = {"White": "White", "Black": "Black or African American", "Hispanic": "Hispanic or Latino", "Asian": "Asian"}
d["g_race"] = d["race"].map(race).fillna("Unknown")
d["g_sex"] = d["gender"].map({"Man": "Male", "Woman": "Female"}).fillna("Unknown")
d["g_age"] = pd.cut(d["ridageyr"].apply(int), [18, 45, 65, 200], right=False, labels=["18-44", "45-64", "65+"]).astype(str)

out = {}
for attr, col in (("race", "g_race"), ("sex", "g_sex"), ("age", "g_age")):
    out[attr] = {}
    for g, rows in d.groupby(col):
        out[attr][g] = {
            "tp": int((rows.decision & rows.outcome).sum()),
            "fp": int((rows.decision & ~rows.outcome).sum()),
            "fn": int((~rows.decision & rows.outcome).sum()),
            "tn": int((~rows.decision & ~rows.outcome).sum()),
        }
# Survey-weighted selection (screening) rate by race, and Kish's effective sample size.
w = d["wtmec8yr"]
weighted = {}
for g, rows in d.groupby("g_race"):
    ws = rows["wtmec8yr"]
    weighted[g] = {
        "selection_rate": float((ws * rows.decision).sum() / ws.sum()),
        "effective_n": float(ws.sum() ** 2 / (ws ** 2).sum()),
    }
out["weighted_race_selection"] = weighted
path = pathlib.Path(__file__).with_name("nhanes_diabetes_counts.json")
path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
print(f"wrote {path}")
