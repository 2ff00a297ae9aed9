# The v33 rule (models/ped2/README.md, "Fifteenth session"), declared before the runs existed. Test-informed (disclosed
# there): runs are compared by the median crowd correlation of their 12 epochs, epochs within the winning run by the
# glide AUC. Reads select-epoch logs only (training data); prints and writes the decision. Run from the repository root:
#   python3 bench/results/ped2/student/v33-kd-v32maps/decide.py /work/sel-v33.log
import re, json, sys, statistics, os
pat = re.compile(r'(\S+) epoch-(\d+): in-context AUC ([\d.]+).*crowd correlation ([-\d.]+)')
def runs(log):
    out = {}
    for line in open(log):
        m = pat.match(line)
        if m: out.setdefault(m.group(1), []).append(dict(epoch=int(m.group(2)), glide=float(m.group(3)), crowd=float(m.group(4))))
    return out
here = os.path.dirname(os.path.abspath(__file__))
shipped_run = 'runs/student/ped2-cpu-v29-kd-stretch-seed42'
pool = {shipped_run: runs(os.path.join(here, '..', 'v29-kd-stretch', 'select-epoch-v29.log'))[shipped_run]}
new = runs(sys.argv[1] if len(sys.argv) > 1 else '/work/sel-v33.log')
if len(new) != 2 or any(len(v) != 12 for v in new.values()):
    sys.exit('the rule needs both new runs with all 12 epochs: %s' % {k: len(v) for k, v in new.items()})
pool.update(new)
table = []
for run, eps in pool.items():
    eligible = [e for e in eps if e['crowd'] <= 0.10]
    pick = max(eligible, key=lambda e: (e['glide'], e['epoch'])) if eligible else None
    table.append(dict(run=run, median_crowd_correlation=round(statistics.median(e['crowd'] for e in eps), 4),
                      pick_epoch=pick and pick['epoch'], pick_glide=pick and pick['glide'], pick_crowd=pick and pick['crowd']))
winner = min(table, key=lambda r: r['median_crowd_correlation'])
floor_ok = winner['pick_glide'] is not None and winner['pick_glide'] >= 0.80
ships = winner['run'] != shipped_run and floor_ok
decision = dict(rule='lowest median crowd correlation over 12 epochs among the shipped model\'s run and the new runs; '
                     'within it the highest glide AUC among epochs with crowd correlation <= 0.10; a new pick ships iff its '
                     'run wins and its glide AUC >= 0.80', runs=table, winner=winner['run'],
                ships=('%s epoch %d' % (winner['run'], winner['pick_epoch'])) if ships else None,
                outcome='ships' if ships else ('the shipped run wins: nothing changes' if winner['run'] == shipped_run else 'below the 0.80 glide floor: nothing changes'))
json.dump(decision, open(os.path.join(here, 'decision.json'), 'w'), indent=1)
print(json.dumps(decision, indent=1))
