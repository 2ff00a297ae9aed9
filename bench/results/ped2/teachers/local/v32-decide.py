#!/usr/bin/env python3
"""v32's declared rule (bench/results/ped2/teachers/README.md, fourteenth session): the T2 seed ensemble is adopted iff
its T2 mean AUC on the held-out crowded check is at least the mean of its members' T2 means; sanity: T1 mean = v31's
0.8746 and each new member's in-context selection >= 0.97. Prints the table and the decision; writes v32-decision.json."""
import json, os, sys
from crowded_check import here, means, selection
rows, ok, reasons = {}, True, []
for seed, name in [(10, "seed10-masked-crowded-heldout.json"), (11, "seed11-masked-crowded-heldout.json"), (12, "seed12-masked-crowded-heldout.json")]:
    m, d = means(name)
    rows[f"seed {seed}"] = m
    if seed != 10:
        auc, key, _ = selection(d["models"])
        rows[f"seed {seed}"]["selection"] = auc
        if auc is None or auc < 0.97: reasons.append(f"seed {seed}'s selection {auc} < 0.97 ({key})")
e, d = means("v32-ensemble-crowded-heldout.json")
rows["ensemble"] = e
for r, m in rows.items():
    if abs(m["t1"] - 0.8746) > 5e-4: reasons.append(f"{r}: T1 mean {m['t1']:.4f} is not v31's 0.8746")
members = sum(rows[f"seed {s}"]["t2"] for s in (10, 11, 12)) / 3
adopt = not reasons and e["t2"] >= members
for r, m in rows.items(): print(f"{r:10s} T2 mean {m['t2']:.4f}  T1 mean {m['t1']:.4f}" + (f"  selection {m['selection']}" if "selection" in m else ""))
print(f"members' mean T2 {members:.4f}; ensemble {e['t2']:.4f}; sanity failures: {reasons or 'none'}")
print("ADOPT v32" if adopt else "NOT adopted")
json.dump({"rows": rows, "members_mean_t2": round(members, 4), "ensemble_t2": e["t2"], "sanity_failures": reasons, "adopt": adopt},
          open(os.path.join(here, "v32-decision.json"), "w"), indent=1)
