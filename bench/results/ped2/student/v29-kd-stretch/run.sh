#!/bin/bash
# Runs v29-kd-stretch (models/ped2/README.md, "Eleventh session"): dataset -> maps of the stretch clips -> 3 seeds -> glide selection.
cd /work/main
export VAD_ROOT=/work/main
T="dotnet /work/teachers-bin-v31/Vad.Teachers.dll"
S="dotnet /work/student-bin-v28/Vad.Student.dll"
D=/work/ped2-local-stretch
if [ ! -d $D ]; then
  cp -rs /work/ped2-local/. $D
  for c in /work/ped2-stretch/training/frames/*-stretch-*; do ln -s $c $D/training/frames/; done
  for l in /work/ped2-stretch/training/pseudo-labels/*-stretch-*; do ln -s $l $D/training/pseudo-labels/; done
fi
echo "dataset: $(ls $D/training/frames | wc -l) training clips, $(ls $D/training/pseudo-labels | wc -l) labelled"
C=/work/v22s-cache
[ -d $C ] || cp -r /work/v22-cache $C
V=$(ls /work/ped2-stretch/training/frames | grep -- -stretch- | paste -sd,)
for f in 1 1.5 2; do
  $T score --models /work/teachers-v22 --dataset $D --split train --speedup $f --videos $V --out $C/scores-stretch-x$f --cache $C > /work/v29-maps-$f.log 2>&1
done
echo "maps done $(date -u +%H:%M:%S)"
R=runs/student/ped2-cpu-v29-kd-stretch-seed
for attempt in 1 2 3; do
  for s in 42 43 44; do
    [ -f $R$s/epochs/epoch-12.onnx ] && continue
    $S train --dataset $D --teachers $C --profile cpu \
      --distill-splits train,train-x1.5,train-x2 --hold-out 14,15,16 --export-epochs \
      --no-adversarial --ae-epochs 1 --epochs 12 --batch 32 --threads 1 --seed $s --run $R$s >> /work/v29-train-$s.log 2>&1 &
  done
  wait
  echo "attempt $attempt done $(date -u +%H:%M:%S): $(ls $R*/epochs/epoch-12.onnx 2>/dev/null | wc -l) of 3 complete"
done
echo "select $(date -u +%H:%M:%S)"
$S select-epoch --run ${R}42,${R}43,${R}44 --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 --out /work/sel-v29 > /work/sel-v29.log 2>&1
echo "selected $(date -u +%H:%M:%S)"
