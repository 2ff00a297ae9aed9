#!/bin/bash
# v43-mirror-swa's rule (models/ped2/README.md, "Twenty-fifth session", declared before any of its epochs existed); reads
# training data only. Candidate: the final export of the mirrored seed-52 continuation (the weight average of epochs
# 13-24). It replaces the student shipped when this runs iff its glide AUC (select-epoch: held-out clips 14-16 vs their
# glide pseudo-anomalies, crowd correlation <= 0.10, the export copied into a run-like folder as epochs/epoch-24.onnx)
# is above 0.8758, its crowd correlation is <= 0.10 AND its held-out target fidelity (target-fidelity.sh --model) is above the shipped model's, measured
# now by the same code. Also written, deciding nothing: the fit on its distillation clips (train-fit.sh) next to v42 s52's.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../../../.."
export VAD_ROOT=$PWD
W=${WORK:-/work/v43}
R=runs/student/ped2-cpu-v43-mirror-swa-seed52
python3 -c "import json,sys; j=json.load(open('$R/student.json')); m=j['metrics']; sys.exit(0 if m.get('weights_swa_epochs')==12 and m.get('phase2_epochs')==24 and j['train_options'].get('mirror') else 1)" \
  || { echo "$R: not finished (24 epochs, 12 averaged, mirrored)"; exit 1; }
rm -rf $W/final-seed52 && mkdir -p $W/final-seed52/epochs
cp $R/student.onnx $W/final-seed52/epochs/epoch-24.onnx && cp $R/student.json $W/final-seed52/epochs/epoch-24.json
dotnet ${STUDENT_BIN:-/work/student-bin-v44}/Vad.Student.dll select-epoch --run $W/final-seed52 \
  --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 \
  --out $W/selected > $HERE/select-epoch-v43.log 2>&1
SHIPPED=$(python3 -c "import json; print(json.load(open('models/ped2/student.json'))['version'])")
F_CAND=$(bench/results/ped2/student/target-fidelity.sh --model $R/student.onnx v43-mirror-seed52-final)
F_SHIPPED=$(bench/results/ped2/student/target-fidelity.sh --model models/ped2/student.onnx shipped-${SHIPPED:0:12})
FIT_CAND=$(bench/results/ped2/student/train-fit.sh $R/student.onnx v43-mirror-seed52-final)
FIT_V42=$(bench/results/ped2/student/train-fit.sh runs/student/ped2-cpu-v42-swa-seed52/student.onnx v42-seed52-final)
F_V42=$(bench/results/ped2/student/target-fidelity.sh --model runs/student/ped2-cpu-v42-swa-seed52/student.onnx diag-v42-seed52-final)
python3 - "$HERE" "$SHIPPED" "$F_CAND" "$F_SHIPPED" "$FIT_CAND" "$FIT_V42" "$F_V42" <<'PY'
import json, re, sys
here, shipped = sys.argv[1], sys.argv[2]
f_cand, f_shipped, fit_cand, fit_v42, f_v42 = (json.loads(a) for a in sys.argv[3:8])
log = open(f'{here}/select-epoch-v43.log').read()
glide = float(re.search(r'^selected (?:\S+ )?epoch-24 \(in-context AUC ([\d.]+)\)', log, re.M).group(1))
# One candidate: select-epoch picks it even past the crowd bound ("selecting on the validation AUC alone"), so the
# bound is checked here.
crowd = float(re.search(r'epoch-24: .*crowd correlation ([-\d.]+)', log).group(1))
ships = glide > 0.8758 and crowd <= 0.10 and f_cand['pearson'] > f_shipped['pearson']
decision = dict(rule='models/ped2/README.md, Twenty-fifth session: the mirrored seed-52 continuation (weight average of epochs 13-24) replaces the shipped student iff its glide AUC > 0.8758, its crowd correlation <= 0.10 and its held-out target fidelity (Pearson) > the shipped model\'s',
                candidate=dict(run='runs/student/ped2-cpu-v43-mirror-swa-seed52', glide_auc=glide, crowd_corr=crowd, fidelity=f_cand, train_fit=fit_cand),
                shipped=dict(version=shipped, fidelity=f_shipped),
                diagnostic_v42_seed52_final=dict(fidelity=f_v42, train_fit=fit_v42),
                ships=ships, outcome='ships' if ships else 'nothing changes', test_figures_before_decision='none')
json.dump(decision, open(f'{here}/decision.json', 'w'), indent=1)
print(json.dumps(decision, indent=1))
PY
