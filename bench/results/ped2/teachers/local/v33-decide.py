#!/usr/bin/env python3
"""Teachers v33's declared rule (bench/results/ped2/teachers/README.md, sixteenth session): the wide seed-10 T2
(--t2-width 2) takes seed 10's place in the committed T2 seed ensemble iff (1) its T2 mean AUC on the held-out crowded
check is above its narrow twin's (seed 10, 0.8686) and (2) the ensemble with it is not below the committed ensemble on
the same check (v32, 0.9008). Sanity, any failure means not adopted: T1 mean = 0.8746 on both new rows, and the wide
T2's own in-context selection >= 0.97. Prints the table and the decision; writes v33-decision.json.
The declared next step (v33-wide.sh with SEED=11 or 12 and ENSEMBLE=NAME) is judged the same way, against the then
committed ensemble: `v33-decide.py SEED COMMITTED NAME`, e.g. `11 v33 v34-ensemble-seed11` (reads seedSEED-masked-,
seedSEED-wide-, COMMITTED-ensemble- and NAME-crowded-heldout.json here; writes NAME-decision.json)."""
import json, os, sys
from crowded_check import here, means, selection
seed, committed_name, candidate = sys.argv[1:4] if len(sys.argv) > 3 else ("10", "v32", "v33-ensemble")
narrow_row = f"narrow seed {seed}" + (" (v31, member of v32)" if seed == "10" else "")
committed_row, wide_row = f"committed ensemble ({committed_name})", f"wide seed {seed}"
ens_row = f"ensemble with wide seed {seed} ({candidate.removesuffix('-ensemble')} candidate)"
rows = {}
for row, name in [(narrow_row, f"seed{seed}-masked-crowded-heldout.json"),
                  (committed_row, f"{committed_name}-ensemble-crowded-heldout.json"),
                  (wide_row, f"seed{seed}-wide-crowded-heldout.json"),
                  (ens_row, f"{candidate}-crowded-heldout.json")]:
    m, d = means(name)
    rows[row] = {t: round(v, 4) for t, v in m.items()}
    if row == wide_row:
        auc, key, width = selection(d["models"])
        rows[row].update(selection=auc, selection_key=key, t2_width=width)
reasons = []
wide, narrow = rows[wide_row], rows[narrow_row]
ens, committed = rows[ens_row], rows[committed_row]
if wide["t2_width"] != 2: reasons.append(f"the wide T2's config says width {wide['t2_width']}")
if wide["selection"] is None or wide["selection"] < 0.97: reasons.append(f"wide selection {wide['selection']} < 0.97")
for r in (wide_row, ens_row):
    if abs(rows[r]["t1"] - 0.8746) > 5e-4: reasons.append(f"{r}: T1 mean {rows[r]['t1']:.4f} is not 0.8746")
within_seed = wide["t2"] > narrow["t2"]
ensemble_ok = ens["t2"] >= committed["t2"]
adopt = not reasons and within_seed and ensemble_ok
for r, m in rows.items(): print(f"{r:45s} T2 mean {m['t2']:.4f}  T1 mean {m['t1']:.4f}" + (f"  selection {m['selection']}" if "selection" in m else ""))
print(f"within seed: wide {wide['t2']:.4f} {'>' if within_seed else '<='} narrow {narrow['t2']:.4f}; "
      f"ensemble {ens['t2']:.4f} {'>=' if ensemble_ok else '<'} committed {committed['t2']:.4f}; sanity failures: {reasons or 'none'}")
print(f"ADOPT {ens_row}" if adopt else "NOT adopted")
json.dump({"rows": rows, "within_seed_win": within_seed, "ensemble_not_below": ensemble_ok, "sanity_failures": reasons, "adopt": adopt},
          open(os.path.join(here, "v33-decision.json" if seed == "10" else f"{candidate}-decision.json"), "w"), indent=1)
