#!/bin/bash
# The v37 rule (models/ped2/README.md, "Nineteenth session", declared before the runs existed): select-epoch over the
# 24 epochs of v37-kd-v36maps seeds 50 and 51 (glide check on held-out clips 14-16, crowd correlation <= 0.10); its pick
# replaces the shipped student iff its glide AUC is above the shipped one's (v34 s46 e7, 0.8758). Reads training data
# only; writes select-epoch-v37.log and decision.json here. Run from the repository root.
set -e
cd "$(dirname "$0")/../../../../.."
export VAD_ROOT=$PWD
H=bench/results/ped2/student/v37-kd-v36maps
R=runs/student/ped2-cpu-v37-kd-v36maps-seed
for s in 50 51; do
  [ -f $R$s/epochs/epoch-12.onnx ] || { echo "the rule needs all 12 epochs of $R$s"; exit 1; }
done
OUT=${SEL:-/work/sel-v37}
dotnet ${STUDENT_BIN:-/work/student-bin-v32}/Vad.Student.dll select-epoch --run ${R}50,${R}51 \
  --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 --out $OUT \
  > $H/select-epoch-v37.log 2>&1
python3 - "$H" <<'PY'
import re, json, sys
here = sys.argv[1]
log = open(here + '/select-epoch-v37.log').read()
m = re.search(r'^selected (\S+) epoch-(\d+) \(in-context AUC ([\d.]+)\)', log, re.M)
if not m: sys.exit('no selection in the log')
run, epoch, glide = m.group(1), int(m.group(2)), float(m.group(3))
crowd = float(re.search(r'^%s epoch-%02d: .*crowd correlation ([-\d.]+)' % (re.escape(run), epoch), log, re.M).group(1))
shipped = dict(run='runs/student/ped2-cpu-v34-kd-v33maps-seed46', epoch=7, glide_auc=0.8758)
ships = glide > shipped['glide_auc']
decision = dict(
  rule='models/ped2/README.md, Nineteenth session: select-epoch\'s pick over the 24 epochs of v37-kd-v36maps seeds 50, 51 '
       '(highest glide AUC with crowd correlation <= 0.10) replaces the shipped student iff its glide AUC is above the '
       'shipped one\'s (v34 s46 e7, 0.8758)',
  pick=dict(run=run, epoch=epoch, glide_auc=glide, crowd_corr=crowd), shipped_before=shipped, ships=ships,
  outcome='ships' if ships else 'not above 0.8758: nothing changes', test_figures_before_decision='none')
json.dump(decision, open(here + '/decision.json', 'w'), indent=1)
print(json.dumps(decision, indent=1))
PY
