#!/bin/bash
# One candidate export against the shipped student, on training data only: select-epoch's glide check (held-out clips
# 14-16 vs their glide pseudo-anomalies, /work/ped2-val-glide; the export copied into a run-like folder as
# epochs/epoch-24.onnx), held-out target fidelity of the candidate and of the shipped model (target-fidelity.sh --model),
# and the candidate's fit on its distillation clips (train-fit.sh, deciding nothing). Writes OUT_DIR/decision.json and
# OUT_DIR/select-epoch.log. The candidate ships iff glide > GLIDE_BAR, crowd correlation <= 0.10 and its fidelity is
# above the shipped model's. Exit 0 either way; "ships" in the JSON says which.
# usage: candidate-decide.sh RUN_DIR NAME GLIDE_BAR OUT_DIR RULE_TEXT
set -e
[ $# -eq 5 ] || { echo "usage: $0 RUN_DIR NAME GLIDE_BAR OUT_DIR RULE_TEXT" >&2; exit 2; }
R=$1; NAME=$2; BAR=$3; OUT=$4; RULE=$5
cd "$(dirname "$0")/../../../.."
export VAD_ROOT=$PWD
[ -f "$R/student.onnx" ] && [ -f "$R/student.json" ] || { echo "$R: no exported student.onnx/student.json" >&2; exit 1; }
W=${WORK:-/work/decide-$NAME}
rm -rf $W/final && mkdir -p $W/final/epochs
cp $R/student.onnx $W/final/epochs/epoch-24.onnx && cp $R/student.json $W/final/epochs/epoch-24.json
dotnet ${STUDENT_BIN:-/work/student-bin-v44}/Vad.Student.dll select-epoch --run $W/final \
  --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 \
  --out $W/selected > $OUT/select-epoch.log 2>&1
SHIPPED=$(python3 -c "import json; print(json.load(open('models/ped2/student.json'))['version'])")
F_CAND=$(bench/results/ped2/student/target-fidelity.sh --model $R/student.onnx $NAME)
F_SHIPPED=$(bench/results/ped2/student/target-fidelity.sh --model models/ped2/student.onnx shipped-${SHIPPED:0:12})
FIT_CAND=$(bench/results/ped2/student/train-fit.sh $R/student.onnx $NAME)
python3 - "$OUT" "$R" "$BAR" "$RULE" "$SHIPPED" "$F_CAND" "$F_SHIPPED" "$FIT_CAND" <<'PY'
import json, re, sys
out, run, bar, rule, shipped = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
f_cand, f_shipped, fit_cand = (json.loads(a) for a in sys.argv[6:9])
log = open(f'{out}/select-epoch.log').read()
# select-epoch names the run only when it compares several; with one it writes "selected epoch-24 (...)".
glide = float(re.search(r'^selected (?:\S+ )?epoch-24 \(in-context AUC ([\d.]+)\)', log, re.M).group(1))
# With a single candidate select-epoch picks it even past the crowd bound, so the bound is checked here.
crowd = float(re.search(r'epoch-24: .*crowd correlation ([-\d.]+)', log).group(1))
ships = glide > bar and crowd <= 0.10 and f_cand['pearson'] > f_shipped['pearson']
decision = dict(rule=rule, glide_bar=bar,
                candidate=dict(run=run, glide_auc=glide, crowd_corr=crowd, fidelity=f_cand, train_fit=fit_cand),
                shipped=dict(version=shipped, fidelity=f_shipped),
                ships=ships, outcome='ships' if ships else 'nothing changes', test_figures_before_decision='none')
json.dump(decision, open(f'{out}/decision.json', 'w'), indent=1)
print(json.dumps(decision, indent=1))
PY
