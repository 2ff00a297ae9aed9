#!/bin/bash
# Teachers v32 candidates (fourteenth session): two more masked T2 seeds (11, 12) made exactly as v31's seed 10
# (v31-seed10.sh's masked branch), each with its own crowded check, to form a seed ensemble of masked T2s.
# One at a time: two trainings at once oversubscribe the 2 cores.
cd /work/main
export VAD_ROOT=/work/main
T="dotnet /work/teachers-bin-v35/Vad.Teachers.dll"
P=/work/shared/data/ped2
L=bench/results/ped2/teachers/local
for s in 11 12; do
  M=/work/seed$s-masked
  echo "seed $s train $(date -u +%H:%M:%S)"
  $T train --dataset $P --out $M --t1-from models/ped2/teachers --t2-epochs 48 --stack-mask-neighbours yes --seed $s > /work/seed$s-masked-train.log 2>&1
  $T detector --dataset $P --out $M --split-groups yes > /work/seed$s-masked-detector.log 2>&1
  $T select --dataset $P --models $M --group-stats yes --validation in-context --in-context-edges yes > /work/seed$s-masked-select.log 2>&1
  echo "seed $s check $(date -u +%H:%M:%S)"
  $T validate-local --dataset /work/ped2-val-crowded --clips 14-crowded-15,15-crowded-16,16-crowded-14 --models $M \
    --edges yes --kinds speed,flip,glide,crowd --json $L/seed$s-masked-crowded-heldout.json > /work/crowdcheck-seed$s-masked.log 2>&1
  echo "seed $s done $(date -u +%H:%M:%S)"
done
