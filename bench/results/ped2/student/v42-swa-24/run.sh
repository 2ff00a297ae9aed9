#!/bin/bash
# v42-swa-24 (models/ped2/README.md, "Twenty-third session": declared before any of its epochs existed): v39's two runs
# (seeds 52 and 53, v38 maps, constant lr 1e-4, finished at epoch 12) continued to epoch 24 with stochastic weight
# averaging over epochs 13-24 (`--swa-from-epoch 13`), each in a copy of its run folder (v39's own folders stay as they
# are), one at a time with 2 threads (~65 min each here). Re-running resumes where it stopped; then decide.sh.
# STUDENT_BIN: a build with --swa-from-epoch (default /work/student-bin-v43; on a fresh machine: dotnet build -c Release
# and copy trainer/Vad.Student/bin/Release/net10.0/linux-x64 there).
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../../../.."
export VAD_ROOT=$PWD
B=${STUDENT_BIN:-/work/student-bin-v43}
finished() { [ -f $1/student.json ] && python3 -c "import json,sys; m=json.load(open('$1/student.json'))['metrics']; sys.exit(0 if m.get('weights_swa_epochs')==12 and m.get('phase2_epochs')==24 else 1)"; }
for s in ${SEEDS:-52 53}; do
  SRC=runs/student/ped2-cpu-v39-kd-v38maps-seed$s
  R=runs/student/ped2-cpu-v42-swa-seed$s
  if [ ! -d $R ]; then
    python3 -c "import json,sys; s=json.load(open('$SRC/checkpoint/state.json')); sys.exit(0 if s['Finished'] and s['Phase']==2 and s['Epoch']==12 else 1)" \
      || { echo "$SRC: not v39's finished 12-epoch run"; exit 1; }
    rm -rf $R.tmp && cp -r $SRC $R.tmp && rm -rf $R.tmp/selected $R.tmp/student.onnx $R.tmp/student.json && mv $R.tmp $R
  fi
  finished $R && continue
  echo "seed $s: epochs 13-24 from $(date -u +%H:%M:%S)"
  dotnet $B/Vad.Student.dll train --dataset /work/ped2-local-stretch --teachers /work/v38-cache --profile cpu \
    --distill-splits train,train-x1.5,train-x2 --hold-out 14,15,16 --export-epochs --no-adversarial --ae-epochs 1 --epochs 24 \
    --swa-from-epoch 13 --batch 32 --threads 2 --seed $s --run $R >> /work/v42-train-$s.log 2>&1
  finished $R || { echo "seed $s: stopped before its 24th epoch (re-run to resume)"; exit 1; }
done
echo "trained $(date -u +%H:%M:%S)"
