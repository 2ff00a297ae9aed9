"""Shared reading of the held-out crowded check (`validate-local --kinds speed,flip,glide,crowd` JSON files in this folder)
and of a teachers folder's own in-context selection, for the declared decision scripts (v32-decide.py, v33-decide.py)."""
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
