#!/bin/bash
# The v35 rule (models/ped2/README.md, "Seventeenth session", declared 11:36 UTC before the runs existed): select-epoch
# over the four runs v34 seeds 46, 47 and v35 seeds 48, 49 (48 epochs, glide check on held-out clips 14-16, crowd
# correlation <= 0.10); its pick replaces the shipped student iff its glide AUC is above the shipped one's (v34 s46 e7,
# 0.8758). Reads training data only; writes select-epoch-v35-pool.log and decision.json here. Run from the repository root.
set -e
cd "$(dirname "$0")/../../../../.."
export VAD_ROOT=$PWD
H=bench/results/ped2/student/v35-kd-v33maps
R=runs/student/ped2-cpu-
for r in v34-kd-v33maps-seed46 v34-kd-v33maps-seed47 v35-kd-v33maps-seed48 v35-kd-v33maps-seed49; do
  [ -f $R$r/epochs/epoch-12.onnx ] || { echo "the rule needs all 12 epochs of $R$r"; exit 1; }
done
OUT=${SEL:-/work/sel-v35-pool}
dotnet ${STUDENT_BIN:-/work/student-bin-v32}/Vad.Student.dll select-epoch \
  --run ${R}v34-kd-v33maps-seed46,${R}v34-kd-v33maps-seed47,${R}v35-kd-v33maps-seed48,${R}v35-kd-v33maps-seed49 \
  --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 --out $OUT \
  > $H/select-epoch-v35-pool.log 2>&1
python3 - "$H" <<'PY'
import re, json, sys
here = sys.argv[1]
log = open(here + '/select-epoch-v35-pool.log').read()
m = re.search(r'^selected (\S+) epoch-(\d+) \(in-context AUC ([\d.]+)\)', log, re.M)
if not m: sys.exit('no selection in the log')
run, epoch, glide = m.group(1), int(m.group(2)), float(m.group(3))
crowd = float(re.search(r'^%s epoch-%02d: .*crowd correlation ([-\d.]+)' % (re.escape(run), epoch), log, re.M).group(1))
shipped = dict(run='runs/student/ped2-cpu-v34-kd-v33maps-seed46', epoch=7, glide_auc=0.8758)
same = run == shipped['run'] and epoch == shipped['epoch']
ships = not same and glide > shipped['glide_auc']
decision = dict(
  rule='models/ped2/README.md, Seventeenth session (declared 11:36 UTC, commits ce77fb5/d6e0b40): select-epoch\'s pick over the '
       '48 epochs of v34-kd-v33maps seeds 46, 47 and v35-kd-v33maps seeds 48, 49 (highest glide AUC with crowd correlation '
       '<= 0.10) replaces the shipped student iff its glide AUC is above the shipped one\'s (v34 s46 e7, 0.8758)',
  pick=dict(run=run, epoch=epoch, glide_auc=glide, crowd_corr=crowd), shipped_before=shipped, ships=ships,
  outcome='ships' if ships else ('the pick is the shipped epoch: nothing changes' if same else 'not above 0.8758: nothing changes'),
  test_figures_before_decision='none')
json.dump(decision, open(here + '/decision.json', 'w'), indent=1)
print(json.dumps(decision, indent=1))
PY
