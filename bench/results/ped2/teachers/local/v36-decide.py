#!/usr/bin/env python3
"""Teachers v36's declared rule (bench/results/ped2/teachers/README.md, nineteenth session): the committed v33 teachers
with stacks split (v36-stacks.sh) replace them iff, on the held-out crowded check, neither teacher's mean AUC over the
four kinds falls by more than 0.002 below the committed one (v33: T1 0.8746, T2 0.9324) AND the sum of the two means
rises. Sanity, any failure means not adopted: the candidate's detector has stacks on, and each re-selected T2 keeps an
in-context selection >= 0.97. Prints the table and the decision; writes v36-decision.json."""
import json, os, sys
from crowded_check import means, non_inferior_decision, selection
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
non_inferior_decision("v36", "v33", committed, "v36 candidate (stacks split)", candidate, selections, reasons)
