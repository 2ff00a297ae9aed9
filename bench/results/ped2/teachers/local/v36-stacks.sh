#!/bin/bash
# Teachers v36 candidate (bench/results/ped2/teachers/README.md, nineteenth session): the committed v33 teachers with
# people stacked in depth split into rows of person windows (`detector --split-stacks yes`). No network is retrained:
# each T2 network of the committed seed ensemble gets its folder back (the committed T1, detector and that network with
# its own config), the detector is re-learnt with stacks split, the rules and group-window statistics are re-selected
# as v33's were, the ensemble is re-joined, and the crowded held-out check runs on it. Decision: v36-decide.py.
set -e
cd /work/main
export VAD_ROOT=/work/main
T="dotnet ${TEACHERS_BIN:-/work/teachers-bin-v38}/Vad.Teachers.dll"
P=/work/shared/data/ped2
L=bench/results/ped2/teachers/local
C=models/ped2/teachers
W=${WORK:-/work/v36}
CHECK="--dataset /work/ped2-val-crowded --clips 14-crowded-15,15-crowded-16,16-crowded-14 --edges yes --kinds speed,flip,glide,crowd"
rm -rf $W && mkdir -p $W
top() { find $C -maxdepth 1 -type f -exec cp {} $1/ \; ; }
mkdir $W/seed10 && top $W/seed10
python3 - $W/seed10/teachers.json <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p)); d['t2_members'] = []; json.dump(d, open(p, 'w'), indent=2)
PY
MEMBERS=""
for m in $C/t2_members/seed*; do
  s=$(basename $m); mkdir $W/$s && top $W/$s && cp $m/t2_multitask.bin $m/teachers.json $W/$s/
  MEMBERS="$MEMBERS,$W/$s"
done
MEMBERS=${MEMBERS#,}
for d in $W/seed10 ${MEMBERS//,/ }; do
  echo "$(basename $d): detector + select $(date -u +%H:%M:%S)"
  $T detector --dataset $P --out $d --split-groups yes --split-stacks yes > $d.detector.log 2>&1
  $T select --dataset $P --models $d --group-stats yes --validation in-context --in-context-edges yes > $d.select.log 2>&1
done
echo "ensemble $(date -u +%H:%M:%S)"
$T t2-ensemble --models $W/seed10 --members $MEMBERS --out $W/ensemble > $W/ensemble.log 2>&1
echo "check $(date -u +%H:%M:%S)"
$T validate-local $CHECK --models $W/ensemble --json $L/v36-stacks-crowded-heldout.json > $W/check.log 2>&1
echo "done $(date -u +%H:%M:%S)"
