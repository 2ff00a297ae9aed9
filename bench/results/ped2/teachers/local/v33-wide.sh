#!/bin/bash
# Teachers v33 candidate (bench/results/ped2/teachers/README.md, sixteenth session): T2 with a 2x wider trunk
# (--t2-width 2: 16-32-64 channels) on seed 10, v31's exact commands otherwise; its crowded check; then the committed
# ensemble with it in seed 10's place, and that ensemble's crowded check. The decision: v33-decide.py.
# SEED (default 10, what made v33) widens another member the same way: out /work/seedSEED-wide, the ensemble /work/
# ENSEMBLE (default v33-ensemble) with the wide T2 in that seed's place. For SEED != 10 the ensemble's owner (T1, the
# detector, seed 10's wide T2) is BASE (default /work/seed10-wide, the folder v33 was made from).
cd /work/main
export VAD_ROOT=/work/main
T="dotnet ${TEACHERS_BIN:-/work/teachers-bin-v37}/Vad.Teachers.dll"
P=/work/shared/data/ped2
L=bench/results/ped2/teachers/local
S=${SEED:-10}
M=/work/seed$S-wide
E=/work/${ENSEMBLE:-v33-ensemble}
CHECK="--dataset /work/ped2-val-crowded --clips 14-crowded-15,15-crowded-16,16-crowded-14 --edges yes --kinds speed,flip,glide,crowd"
# The committed members (models/ped2/teachers/t2_members) with seed S's replaced by the wide one.
MEMBERS=$(for m in models/ped2/teachers/t2_members/seed*; do [ "$m" = models/ped2/teachers/t2_members/seed$S ] && echo $M || echo $m; done | paste -sd,)
if [ "$S" = 10 ]; then OWNER=$M; else
  OWNER=${BASE:-/work/seed10-wide}
  [ -f $OWNER/teachers.json ] || { echo "no trained teachers in $OWNER (the ensemble's owner)"; exit 1; }
fi
echo "train seed $S $(date -u +%H:%M:%S)"
[ -f $M/teachers.json ] || $T train --dataset $P --out $M --t1-from models/ped2/teachers --t2-epochs 48 --stack-mask-neighbours yes --seed $S --t2-width 2 > /work/seed$S-wide-train.log 2>&1 || exit 1
$T detector --dataset $P --out $M --split-groups yes > /work/seed$S-wide-detector.log 2>&1 || exit 1
$T select --dataset $P --models $M --group-stats yes --validation in-context --in-context-edges yes > /work/seed$S-wide-select.log 2>&1 || exit 1
echo "check $(date -u +%H:%M:%S)"
$T validate-local $CHECK --models $M --json $L/seed$S-wide-crowded-heldout.json > /work/crowdcheck-seed$S-wide.log 2>&1 || exit 1
echo "ensemble $(date -u +%H:%M:%S)"
$T t2-ensemble --models $OWNER --members $MEMBERS --out $E > /work/${ENSEMBLE:-v33-ensemble}.log 2>&1 || exit 1
$T validate-local $CHECK --models $E --json $L/${ENSEMBLE:-v33-ensemble}-crowded-heldout.json > /work/crowdcheck-${ENSEMBLE:-v33-ensemble}.log 2>&1 || exit 1
echo "done $(date -u +%H:%M:%S)"
