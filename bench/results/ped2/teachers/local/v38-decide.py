#!/usr/bin/env python3
"""Teachers v38's declared rule (bench/results/ped2/teachers/README.md, twentieth session): the committed v36 teachers
with their two narrow T2 members retrained on split windows (v38-windows.sh) replace them iff, on the held-out crowded
check, neither teacher's mean AUC over the four kinds falls by more than 0.002 below the committed one (v36: T1 0.9006,
T2 0.9373) AND the sum of the two means rises. Sanity, any failure means not adopted: the ensemble's and each retrained
member's detector split stacks, and each retrained member's T2 keeps an in-context selection >= 0.97. Prints the table
and the decision; writes v38-decision.json."""
import json, os, sys
from crowded_check import here, means, selection
work = sys.argv[1] if len(sys.argv) > 1 else "/work/v38"
committed, _ = means("v36-stacks-crowded-heldout.json")
candidate, d = means("v38-windows-crowded-heldout.json")
reasons = []
selections = {}
for folder in [d["models"]] + [os.path.join(work, f"seed{s}") for s in (11, 12)]:
    ph = json.load(open(os.path.join(folder, "person_height.json")))
    if not ph.get("SplitStacks"): reasons.append(f"{folder}: the detector does not split stacks")
    if folder == d["models"]: continue
    auc, key, _ = selection(folder)
    selections[os.path.basename(folder)] = {"selection": auc, "selection_key": key}
    if auc is None or auc < 0.97: reasons.append(f"{folder}: T2 selection {auc} < 0.97")
non_inferior = {t: candidate[t] >= committed[t] - 0.002 for t in ("t1", "t2")}
sum_rises = candidate["t1"] + candidate["t2"] > committed["t1"] + committed["t2"]
adopt = not reasons and all(non_inferior.values()) and sum_rises
for row, m in (("committed v36", committed), ("v38 candidate (windows)", candidate)):
    print(f"{row:30s} T1 mean {m['t1']:.4f}  T2 mean {m['t2']:.4f}  sum {m['t1'] + m['t2']:.4f}")
for name, s in selections.items(): print(f"  {name}: T2 selection {s['selection']} ({s['selection_key']})")
print(f"non-inferior (>= committed - 0.002): {non_inferior}; sum rises: {sum_rises}; sanity failures: {reasons or 'none'}")
print("ADOPT v38" if adopt else "NOT adopted")
json.dump({"committed_v36": {t: round(v, 4) for t, v in committed.items()},
           "v38_candidate": {t: round(v, 4) for t, v in candidate.items()},
           "selections": selections, "non_inferior": non_inferior, "sum_rises": sum_rises,
           "sanity_failures": reasons, "adopt": adopt},
          open(os.path.join(here, "v38-decision.json"), "w"), indent=1)
