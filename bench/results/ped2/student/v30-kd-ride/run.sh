#!/bin/bash
# Runs v30-kd-ride, part 2 (models/ped2/README.md, "Twelfth session"): 3 seeds on the data of data.sh -> glide selection.
cd /work/main
export VAD_ROOT=/work/main
S="dotnet /work/student-bin-v32/Vad.Student.dll"
D=/work/ped2-local-ride
C=/work/v22-cache
R=runs/student/ped2-cpu-v30-kd-ride-seed
for attempt in 1 2 3; do
  for s in 42 43; do  # seed 44 dropped at 20:28 UTC (time), before any epoch existed
    [ -f $R$s/epochs/epoch-12.onnx ] && continue
    $S train --dataset $D --teachers $C --profile cpu \
      --distill-splits train,train-x1.5,train-x2 --hold-out 14,15,16 --export-epochs \
      --no-adversarial --ae-epochs 1 --epochs 12 --batch 32 --threads 1 --seed $s --run $R$s >> /work/v30-train-$s.log 2>&1 &
  done
  wait
  echo "attempt $attempt done $(date -u +%H:%M:%S): $(ls $R*/epochs/epoch-12.onnx 2>/dev/null | wc -l) of 3 complete"
done
echo "select $(date -u +%H:%M:%S)"
$S select-epoch --run ${R}42,${R}43 --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 --out /work/sel-v30 > /work/sel-v30.log 2>&1
echo "selected $(date -u +%H:%M:%S)"
