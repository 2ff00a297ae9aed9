#!/bin/bash
# v43-mirror-swa (models/ped2/README.md, "Twenty-fifth session": declared before any of its epochs existed): v42-swa-24's
# seed-52 continuation with one change, --mirror (half the samples of every epoch mirrored left-right, frames and
# teacher maps together): v39's finished 12-epoch seed-52 run copied and continued to epoch 24 with weight averaging
# over 13-24, 2 threads (~70 min here). Re-running resumes where it stopped; then decide.sh (seed 53: ../v44-mirror-s53/decide.sh).
# STUDENT_BIN: a build with --mirror (default /work/student-bin-v44; on a fresh machine: dotnet build -c Release and copy
# trainer/Vad.Student/bin/Release/net10.0/linux-x64 there).
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../../../.."
export VAD_ROOT=$PWD
B=${STUDENT_BIN:-/work/student-bin-v44}
s=${SEED:-52}  # SEED=53: the twenty-sixth session's seed-53 run (v44-mirror-s53), the same command
SRC=runs/student/ped2-cpu-v39-kd-v38maps-seed$s
R=runs/student/ped2-cpu-v43-mirror-swa-seed$s
finished() { [ -f $R/student.json ] && python3 -c "import json,sys; j=json.load(open('$R/student.json')); m=j['metrics']; sys.exit(0 if m.get('weights_swa_epochs')==12 and m.get('phase2_epochs')==24 and j['train_options'].get('mirror') else 1)"; }
if [ ! -d $R ]; then
  python3 -c "import json,sys; s=json.load(open('$SRC/checkpoint/state.json')); sys.exit(0 if s['Finished'] and s['Phase']==2 and s['Epoch']==12 else 1)" \
    || { echo "$SRC: not v39's finished 12-epoch run"; exit 1; }
  rm -rf $R.tmp && cp -r $SRC $R.tmp && rm -rf $R.tmp/selected $R.tmp/student.onnx $R.tmp/student.json && mv $R.tmp $R
fi
finished && { echo "$R: finished"; exit 0; }
echo "seed $s: epochs 13-24 with --mirror from $(date -u +%H:%M:%S)"
dotnet $B/Vad.Student.dll train --dataset /work/ped2-local-stretch --teachers /work/v38-cache --profile cpu \
  --distill-splits train,train-x1.5,train-x2 --hold-out 14,15,16 --export-epochs --no-adversarial --ae-epochs 1 --epochs 24 \
  --swa-from-epoch 13 --mirror --batch 32 --threads 2 --seed $s --run $R >> /work/v43-train-$s.log 2>&1
finished || { echo "seed $s: stopped before its 24th epoch (re-run to resume)"; exit 1; }
echo "trained $(date -u +%H:%M:%S)"
