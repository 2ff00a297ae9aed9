#!/usr/bin/env python3
"""Teachers v38's declared rule (bench/results/ped2/teachers/README.md, twentieth session): the committed v36 teachers
with their two narrow T2 members retrained on split windows (v38-windows.sh) replace them iff, on the held-out crowded
check, neither teacher's mean AUC over the four kinds falls by more than 0.002 below the committed one (v36: T1 0.9006,
T2 0.9373) AND the sum of the two means rises. Sanity, any failure means not adopted: the ensemble's and each retrained
member's detector split stacks, and each retrained member's T2 keeps an in-context selection >= 0.97. Prints the table
and the decision; writes v38-decision.json."""
import json, os, sys
from crowded_check import means, non_inferior_decision, selection
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
non_inferior_decision("v38", "v36", committed, "v38 candidate (windows)", candidate, selections, reasons)
