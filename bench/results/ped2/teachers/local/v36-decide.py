#!/usr/bin/env python3
"""Teachers v36's declared rule (bench/results/ped2/teachers/README.md, nineteenth session): the committed v33 teachers
with stacks split (v36-stacks.sh) replace them iff, on the held-out crowded check, neither teacher's mean AUC over the
four kinds falls by more than 0.002 below the committed one (v33: T1 0.8746, T2 0.9324) AND the sum of the two means
rises. Sanity, any failure means not adopted: the candidate's detector has stacks on, and each re-selected T2 keeps an
in-context selection >= 0.97. Prints the table and the decision; writes v36-decision.json."""
import json, os, sys
from crowded_check import here, means, selection
work = sys.argv[1] if len(sys.argv) > 1 else "/work/v36"
committed, _ = means("v33-ensemble-crowded-heldout.json")
candidate, d = means("v36-stacks-crowded-heldout.json")
reasons = []
ph = json.load(open(os.path.join(d["models"], "person_height.json")))
if not ph.get("SplitStacks"): reasons.append("the candidate's detector does not split stacks")
selections = {}
for name in sorted(os.listdir(work)):
    folder = os.path.join(work, name)
    if not name.startswith("seed") or not os.path.isdir(folder): continue
    auc, key, _ = selection(folder)
    selections[name] = {"selection": auc, "selection_key": key}
    if auc is None or auc < 0.97: reasons.append(f"{name}: T2 selection {auc} < 0.97")
non_inferior = {t: candidate[t] >= committed[t] - 0.002 for t in ("t1", "t2")}
sum_rises = candidate["t1"] + candidate["t2"] > committed["t1"] + committed["t2"]
adopt = not reasons and all(non_inferior.values()) and sum_rises
for row, m in (("committed v33", committed), ("v36 candidate (stacks split)", candidate)):
    print(f"{row:30s} T1 mean {m['t1']:.4f}  T2 mean {m['t2']:.4f}  sum {m['t1'] + m['t2']:.4f}")
for name, s in selections.items(): print(f"  {name}: T2 selection {s['selection']} ({s['selection_key']})")
print(f"non-inferior (>= committed - 0.002): {non_inferior}; sum rises: {sum_rises}; sanity failures: {reasons or 'none'}")
print("ADOPT v36" if adopt else "NOT adopted")
json.dump({"committed_v33": {t: round(v, 4) for t, v in committed.items()},
           "v36_candidate": {t: round(v, 4) for t, v in candidate.items()},
           "selections": selections, "non_inferior": non_inferior, "sum_rises": sum_rises,
           "sanity_failures": reasons, "adopt": adopt},
          open(os.path.join(here, "v36-decision.json"), "w"), indent=1)
