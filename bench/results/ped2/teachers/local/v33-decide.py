#!/usr/bin/env python3
"""Teachers v33's declared rule (bench/results/ped2/teachers/README.md, sixteenth session): the wide seed-10 T2
(--t2-width 2) takes seed 10's place in the committed T2 seed ensemble iff (1) its T2 mean AUC on the held-out crowded
check is above its narrow twin's (seed 10, 0.8686) and (2) the ensemble with it is not below the committed ensemble on
the same check (v32, 0.9008). Sanity, any failure means not adopted: T1 mean = 0.8746 on both new rows, and the wide
T2's own in-context selection >= 0.97. Prints the table and the decision; writes v33-decision.json."""
import json, os
from crowded_check import here, means, selection
rows = {}
for row, name in [("narrow seed 10 (v31, member of v32)", "seed10-masked-crowded-heldout.json"),
                  ("committed ensemble (v32)", "v32-ensemble-crowded-heldout.json"),
                  ("wide seed 10", "seed10-wide-crowded-heldout.json"),
                  ("ensemble with wide seed 10 (v33 candidate)", "v33-ensemble-crowded-heldout.json")]:
    m, d = means(name)
    rows[row] = {t: round(v, 4) for t, v in m.items()}
    if row == "wide seed 10":
        auc, key, width = selection(d["models"])
        rows[row].update(selection=auc, selection_key=key, t2_width=width)
reasons = []
wide, narrow = rows["wide seed 10"], rows["narrow seed 10 (v31, member of v32)"]
ens, committed = rows["ensemble with wide seed 10 (v33 candidate)"], rows["committed ensemble (v32)"]
if wide["t2_width"] != 2: reasons.append(f"the wide T2's config says width {wide['t2_width']}")
if wide["selection"] is None or wide["selection"] < 0.97: reasons.append(f"wide selection {wide['selection']} < 0.97")
for r in ("wide seed 10", "ensemble with wide seed 10 (v33 candidate)"):
    if abs(rows[r]["t1"] - 0.8746) > 5e-4: reasons.append(f"{r}: T1 mean {rows[r]['t1']:.4f} is not 0.8746")
within_seed = wide["t2"] > narrow["t2"]
ensemble_ok = ens["t2"] >= committed["t2"]
adopt = not reasons and within_seed and ensemble_ok
for r, m in rows.items(): print(f"{r:45s} T2 mean {m['t2']:.4f}  T1 mean {m['t1']:.4f}" + (f"  selection {m['selection']}" if "selection" in m else ""))
print(f"within seed: wide {wide['t2']:.4f} {'>' if within_seed else '<='} narrow {narrow['t2']:.4f}; "
      f"ensemble {ens['t2']:.4f} {'>=' if ensemble_ok else '<'} committed {committed['t2']:.4f}; sanity failures: {reasons or 'none'}")
print("ADOPT teachers v33" if adopt else "NOT adopted")
json.dump({"rows": rows, "within_seed_win": within_seed, "ensemble_not_below": ensemble_ok, "sanity_failures": reasons, "adopt": adopt},
          open(os.path.join(here, "v33-decision.json"), "w"), indent=1)
