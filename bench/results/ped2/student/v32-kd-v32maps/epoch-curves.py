# Diagnostic (models/ped2/README.md, "Fifteenth session"): the test figures of every epoch of the two v32-kd-v32maps runs
# next to select-epoch's training-data columns, and how well each column ranks the epochs as the test does (Spearman).
# Nothing is selected or shipped from it. Run from the repository root; writes epoch-curves.{json,md} next to this file.
# Other runs: epoch-curves.py SELECT_LOG OUT_DIR (the v30-kd-ride runs: /work/sel-v30.log bench/results/ped2/student/v30-kd-ride).
# A one-run select log names its epochs without the run folder: give that folder as RUN in the environment.
import re, json, os, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from rank_stats import spearman
log = sys.argv[1] if len(sys.argv) > 1 else '/work/sel-v32.log'
here = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
work = '/tmp/curves-' + os.path.basename(log).removesuffix('.log')
binary = os.environ.get('STUDENT_BIN', '/work/student-bin-v32') + '/Vad.Student.dll'
pat = re.compile(r'(?:(\S+) )?(epoch-(\d+)): in-context AUC ([\d.]+).*?AUC ([\d.]+) \(held-out [\d,]+ vs [\d.]+x copies.*?local AUC ([\d.]+).*?crowd correlation ([-\d.]+)')
rows = []
for line in open(log):
    m = pat.match(line)
    if m:
        if m.group(1) is None and 'RUN' not in os.environ: sys.exit('a one-run select log: give its run folder as RUN')
        rows.append(dict(run=m.group(1) or os.environ['RUN'], epoch=int(m.group(3)), glide=float(m.group(4)), speedup_auc=float(m.group(5)),
                         local_auc=float(m.group(6)), crowd_corr=float(m.group(7))))
env = dict(os.environ, VAD_ROOT='/work/main')
for r in rows:
    od = '%s/%s-e%02d' % (work, os.path.basename(r['run']), r['epoch'])
    if not os.path.exists(od + '-eval.json'):
        subprocess.run(['dotnet', binary, 'score', '--model', '%s/epochs/epoch-%02d.onnx' % (r['run'], r['epoch']), '--dataset',
                        '../shared/data/ped2', '--split', 'test', '--out', od, '--overlays', '0'], check=True, capture_output=True, env=env)
        subprocess.run(['./vad', 'eval', '--dataset', '../shared/data/ped2', '--scores', od, '--sigma', '3', '--json', od + '-eval.json'],
                       check=True, capture_output=True)
    d = json.load(open(od + '-eval.json'))
    r['test_micro'] = round(d['micro_auc'], 4); r['test_macro'] = round(d['macro_auc'], 4)
    print(r, flush=True)
cols = ['glide', 'speedup_auc', 'local_auc', 'crowd_corr']
groups = {os.path.basename(run): [r for r in rows if r['run'] == run] for run in sorted({r['run'] for r in rows})}
groups['both runs'] = rows
correlations = {g: {c: round(spearman([r[c] for r in rs], [r['test_micro'] for r in rs]), 3) for c in cols} for g, rs in groups.items()}
json.dump(dict(log=log, epochs=rows, spearman_with_test_micro=correlations), open(os.path.join(here, 'epoch-curves.json'), 'w'), indent=1)
with open(os.path.join(here, 'epoch-curves.md'), 'w') as f:
    f.write('| run | epoch | glide AUC | 1.25x AUC | local AUC | crowd corr. | test micro | test macro |\n|---|---|---|---|---|---|---|---|\n')
    for r in rows:
        f.write('| %s | %d | %.4f | %.4f | %.4f | %.3f | %.4f | %.4f |\n' % (os.path.basename(r['run']), r['epoch'], r['glide'], r['speedup_auc'],
                r['local_auc'], r['crowd_corr'], r['test_micro'], r['test_macro']))
    f.write('\nSpearman rank correlation of each training-data column with the test micro AUC over the epochs:\n\n| epochs of | ' + ' | '.join(cols) + ' |\n|---|' + '---|' * len(cols) + '\n')
    for g, s in correlations.items(): f.write('| %s | %s |\n' % (g, ' | '.join('%.3f' % s[c] for c in cols)))
print(json.dumps(correlations))
