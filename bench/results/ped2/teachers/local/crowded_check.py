"""Shared reading of the held-out crowded check (`validate-local --kinds speed,flip,glide,crowd` JSON files in this folder)
and of a teachers folder's own in-context selection, for the declared decision scripts (v32-, v33-, v36-, v38-decide.py)."""
import json, os
here = os.path.dirname(os.path.abspath(__file__))
kinds = ["speed", "flip", "glide", "crowd"]

def means(name):
    """Mean AUC over the four kinds per teacher ("t1", "t2") of the check file `name`, and the file's JSON."""
    d = json.load(open(os.path.join(here, name)))
    return {t: sum(d[f"{t}_{k}_auc"] for k in kinds) / len(kinds) for t in ("t1", "t2")}, d

def selection(models):
    """The T2 selection's own score (select's last step picks T2's smoothing and edge objects by the highest of these),
    its key, and the folder's `t2_width` (1 when absent)."""
    cfg = json.load(open(os.path.join(models, "teachers.json")))
    final = {k: v for k, v in cfg["validation_auc"].items() if k.startswith("t2 smoothing ")}
    key = max(final, key=final.get) if final else None
    return (final[key] if key else None), key, cfg.get("t2_width", 1)

def non_inferior_decision(name, committed_label, committed, candidate_label, candidate, selections, reasons):
    """v36's and v38's rule on the check: adopt iff no sanity failure, neither teacher's mean falls more than 0.002 below
    the committed one and the sum of the two means rises. Prints the table and the decision; writes NAME-decision.json
    with keys committed_<committed_label>, <name>_candidate."""
    non_inferior = {t: candidate[t] >= committed[t] - 0.002 for t in ("t1", "t2")}
    sum_rises = candidate["t1"] + candidate["t2"] > committed["t1"] + committed["t2"]
    adopt = not reasons and all(non_inferior.values()) and sum_rises
    for row, m in ((f"committed {committed_label}", committed), (candidate_label, candidate)):
        print(f"{row:30s} T1 mean {m['t1']:.4f}  T2 mean {m['t2']:.4f}  sum {m['t1'] + m['t2']:.4f}")
    for folder, s in selections.items(): print(f"  {folder}: T2 selection {s['selection']} ({s['selection_key']})")
    print(f"non-inferior (>= committed - 0.002): {non_inferior}; sum rises: {sum_rises}; sanity failures: {reasons or 'none'}")
    print(f"ADOPT {name}" if adopt else "NOT adopted")
    json.dump({f"committed_{committed_label}": {t: round(v, 4) for t, v in committed.items()},
               f"{name}_candidate": {t: round(v, 4) for t, v in candidate.items()},
               "selections": selections, "non_inferior": non_inferior, "sum_rises": sum_rises,
               "sanity_failures": reasons, "adopt": adopt},
              open(os.path.join(here, f"{name}-decision.json"), "w"), indent=1)
    return adopt
