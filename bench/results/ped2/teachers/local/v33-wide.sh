#!/bin/bash
# Teachers v33 candidate (bench/results/ped2/teachers/README.md, sixteenth session): T2 with a 2x wider trunk
# (--t2-width 2: 16-32-64 channels) on seed 10, v31's exact commands otherwise; its crowded check; then the committed
# ensemble with it in seed 10's place, and that ensemble's crowded check. The decision: v33-decide.py.
cd /work/main
export VAD_ROOT=/work/main
T="dotnet ${TEACHERS_BIN:-/work/teachers-bin-v37}/Vad.Teachers.dll"
P=/work/shared/data/ped2
L=bench/results/ped2/teachers/local
M=/work/seed10-wide
E=/work/v33-ensemble
CHECK="--dataset /work/ped2-val-crowded --clips 14-crowded-15,15-crowded-16,16-crowded-14 --edges yes --kinds speed,flip,glide,crowd"
echo "train $(date -u +%H:%M:%S)"
[ -f $M/teachers.json ] || $T train --dataset $P --out $M --t1-from models/ped2/teachers --t2-epochs 48 --stack-mask-neighbours yes --seed 10 --t2-width 2 > /work/seed10-wide-train.log 2>&1 || exit 1
$T detector --dataset $P --out $M --split-groups yes > /work/seed10-wide-detector.log 2>&1 || exit 1
$T select --dataset $P --models $M --group-stats yes --validation in-context --in-context-edges yes > /work/seed10-wide-select.log 2>&1 || exit 1
echo "check $(date -u +%H:%M:%S)"
$T validate-local $CHECK --models $M --json $L/seed10-wide-crowded-heldout.json > /work/crowdcheck-seed10-wide.log 2>&1 || exit 1
echo "ensemble $(date -u +%H:%M:%S)"
$T t2-ensemble --models $M --members models/ped2/teachers/t2_members/seed11,models/ped2/teachers/t2_members/seed12 --out $E > /work/v33-ensemble.log 2>&1 || exit 1
$T validate-local $CHECK --models $E --json $L/v33-ensemble-crowded-heldout.json > /work/crowdcheck-v33-ensemble.log 2>&1 || exit 1
echo "done $(date -u +%H:%M:%S)"
