#!/bin/bash
# Teachers v31 (bench/results/ped2/teachers/README.md, thirteenth session): the seed-10 masked/plain pair, then the
# declared crowded check for both. One at a time: two trainings at once oversubscribe the 2 cores.
cd /work/main
export VAD_ROOT=/work/main
T="dotnet /work/teachers-bin-v34/Vad.Teachers.dll"
P=/work/shared/data/ped2
L=bench/results/ped2/teachers/local
for v in masked plain; do
  M=/work/seed10-$v
  mask=""; [ $v = masked ] && mask="--stack-mask-neighbours yes"
  echo "$v train $(date -u +%H:%M:%S)"
  $T train --dataset $P --out $M --t1-from models/ped2/teachers --t2-epochs 48 $mask --seed 10 > /work/seed10-$v-train.log 2>&1
  $T detector --dataset $P --out $M --split-groups yes > /work/seed10-$v-detector.log 2>&1
  $T select --dataset $P --models $M --group-stats yes --validation in-context --in-context-edges yes > /work/seed10-$v-select.log 2>&1
  echo "$v check $(date -u +%H:%M:%S)"
  $T validate-local --dataset /work/ped2-val-crowded --clips 14-crowded-15,15-crowded-16,16-crowded-14 --models $M \
    --edges yes --kinds speed,flip,glide,crowd --json $L/seed10-$v-crowded-heldout.json > /work/crowdcheck-seed10-$v.log 2>&1
  echo "$v done $(date -u +%H:%M:%S)"
done
