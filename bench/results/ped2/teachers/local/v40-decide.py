#!/usr/bin/env python3
"""Teachers v40's declared rule (bench/results/ped2/teachers/README.md, twenty-first session): the committed v38 teachers
with their ensemble's owner (T1, detector, the wide seed-10 T2) retrained on split windows (`RETRAIN=10
NAME=v40-owner-windows WORK=/work/v40 v38-windows.sh`) replace them iff, on the held-out crowded check, neither
teacher's mean AUC over the four kinds falls by more than 0.002 below the committed one (v38: T1 0.9006, T2 0.9506) AND
the sum of the two means rises. Sanity, any failure means not adopted: the ensemble's and the retrained owner's detector
split stacks, and the owner's own in-context T2 selection is >= 0.97 (the committed owner's: 0.9758). Prints the table
and the decision; writes v40-decision.json."""
import json, os, sys
from crowded_check import means, non_inferior_decision, selection
owner = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "/work/v40", "seed10")
committed, _ = means("v38-windows-crowded-heldout.json")
candidate, d = means("v40-owner-windows-crowded-heldout.json")
reasons = [f"{f}: the detector does not split stacks" for f in (d["models"], owner)
           if not json.load(open(os.path.join(f, "person_height.json"))).get("SplitStacks")]
auc, key, width = selection(owner)
if auc is None or auc < 0.97: reasons.append(f"{owner}: T2 selection {auc} < 0.97")
if width != 2: reasons.append(f"{owner}: t2_width {width}, not the owner's 2")
non_inferior_decision("v40", "v38", committed, "v40 candidate (owner on windows)", candidate,
                      {"seed10": {"selection": auc, "selection_key": key}}, reasons)
