#!/bin/bash
# v42-swa-24's rule (models/ped2/README.md, "Twenty-third session", declared before any of its epochs existed); reads
# training data only. Candidates: each seed's final export (student.onnx, the weight average of epochs 13-24). The pick:
# select-epoch's glide check over the two (held-out clips 14-16 vs their glide pseudo-anomalies, crowd correlation
# <= 0.10), each final export copied into a run-like folder as epochs/epoch-24.onnx. Its fidelity: Pearson of its frame
# scores with its distillation target on the same held-out clips (target-fidelity.sh --model). It replaces the shipped
# student (v39 s52 e9, version 5b62cd01...) iff its glide AUC is above 0.8758 (the bar the shipped model cleared to
# ship) AND its fidelity is above the shipped model's, measured now by the same code (0.5996 when declared).
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../../../.."
export VAD_ROOT=$PWD
W=${WORK:-/work/v42}
SHIPPED=5b62cd01160b5a9091d32e917437d250433e28e179e7cb6fd35523d80bcc6460
[ "$(python3 -c "import json; print(json.load(open('models/ped2/student.json'))['version'])")" = $SHIPPED ] \
  || { echo "the shipped student is no longer v39 s52 e9: this rule compares with it; declare a new one"; exit 1; }
for s in 52 53; do
  R=runs/student/ped2-cpu-v42-swa-seed$s
  python3 -c "import json,sys; m=json.load(open('$R/student.json'))['metrics']; sys.exit(0 if m.get('weights_swa_epochs')==12 and m.get('phase2_epochs')==24 else 1)" \
    || { echo "$R: not finished (24 epochs, 12 averaged)"; exit 1; }
  rm -rf $W/final-seed$s && mkdir -p $W/final-seed$s/epochs
  cp $R/student.onnx $W/final-seed$s/epochs/epoch-24.onnx && cp $R/student.json $W/final-seed$s/epochs/epoch-24.json
done
dotnet ${STUDENT_BIN:-/work/student-bin-v43}/Vad.Student.dll select-epoch --run $W/final-seed52,$W/final-seed53 \
  --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 \
  --out $W/selected > $HERE/select-epoch-v42.log 2>&1
PICK=$(sed -nE 's/^selected (\S+) epoch-24 .*/\1/p' $HERE/select-epoch-v42.log)
[ -n "$PICK" ] || { echo "no pick in select-epoch-v42.log"; exit 1; }
F_PICK=$(bench/results/ped2/student/target-fidelity.sh --model $PICK/epochs/epoch-24.onnx v42-$(basename $PICK))
F_SHIPPED=$(bench/results/ped2/student/target-fidelity.sh --model models/ped2/student.onnx shipped-${SHIPPED:0:12})
python3 - "$HERE" "$PICK" "$F_PICK" "$F_SHIPPED" <<'PY'
import json, re, sys
here, pick, f_pick, f_shipped = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
log = open(f'{here}/select-epoch-v42.log').read()
glide = float(re.search(r'^selected \S+ epoch-24 \(in-context AUC ([\d.]+)\)', log, re.M).group(1))
crowd = float(re.search(r'^%s epoch-24: .*crowd correlation ([-\d.]+)' % re.escape(pick), log, re.M).group(1))
ships = glide > 0.8758 and f_pick['pearson'] > f_shipped['pearson']
decision = dict(rule='models/ped2/README.md, Twenty-third session: the glide pick of the two v42-swa-24 final exports (weight averages of epochs 13-24) replaces the shipped student (v39 s52 e9) iff its glide AUC > 0.8758 and its held-out target fidelity (Pearson) > the shipped model\'s',
                pick=dict(folder=pick, glide_auc=glide, crowd_corr=crowd, fidelity=f_pick), shipped=dict(version='5b62cd01...', fidelity=f_shipped),
                ships=ships, outcome='ships' if ships else 'nothing changes', test_figures_before_decision='none')
json.dump(decision, open(f'{here}/decision.json', 'w'), indent=1)
print(json.dumps(decision, indent=1))
PY
