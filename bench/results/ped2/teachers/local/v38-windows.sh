#!/bin/bash
# Teachers v38 candidate (bench/results/ped2/teachers/README.md, twentieth session): the committed v36 teachers with the
# two narrow T2 members (seeds 11, 12) retrained on the windows the v36 detector cuts at scoring (`train --split-groups
# yes --split-stacks yes`): v32's exact member commands otherwise (masked neighbours, 48 epochs, T1 kept, same seeds),
# then v36's re-selection, the ensemble re-joined with the committed owner (T1, detector, wide seed-10 T2: unchanged),
# and the crowded held-out check. Decision: v38-decide.py. One training at a time: two oversubscribe the 2 cores.
# Reused by v40 (twenty-first session's declaration): RETRAIN=10 NAME=v40-owner-windows WORK=/work/v40 retrains the
# ensemble's owner instead (seed 10 with its 2x trunk, `--t2-width 2`, as v33 made it, plus the two split flags) and
# re-joins it with the committed members. RETRAIN: the seeds retrained (default "11 12"); NAME: the check's file name.
set -e
cd /work/main
export VAD_ROOT=/work/main
T="dotnet ${TEACHERS_BIN:-/work/teachers-bin-v39}/Vad.Teachers.dll"
P=/work/shared/data/ped2
L=bench/results/ped2/teachers/local
C=models/ped2/teachers
W=${WORK:-/work/v38}
CHECK="--dataset /work/ped2-val-crowded --clips 14-crowded-15,15-crowded-16,16-crowded-14 --edges yes --kinds speed,flip,glide,crowd"
mkdir -p $W
[ -d /work/ped2-val-crowded ] || $T make-crowded --dataset $P --out /work/ped2-val-crowded --clips 14,15,16 > $W/mk-val-crowded.log 2>&1
RETRAIN=${RETRAIN:-11 12}
for s in $RETRAIN; do
  M=$W/seed$s
  [ $s = 10 ] && WIDTH="--t2-width 2" || WIDTH=""
  echo "seed $s train $(date -u +%H:%M:%S)"
  [ -f $M/teachers.json ] || $T train --dataset $P --out $M --t1-from $C --t2-epochs 48 --stack-mask-neighbours yes --seed $s \
    $WIDTH --split-groups yes --split-stacks yes > $W/seed$s.train.log 2>&1
  echo "seed $s select $(date -u +%H:%M:%S)"
  $T select --dataset $P --models $M --group-stats yes --validation in-context --in-context-edges yes > $W/seed$s.select.log 2>&1
done
# The owner (T1, detector, seed-10 T2): retrained when 10 is in RETRAIN, else the committed folder's own files (members
# dropped). The members: each committed member, or its retrained folder.
if [[ " $RETRAIN " == *" 10 "* ]]; then OWNER=$W/seed10; else
  OWNER=$W/owner
  rm -rf $OWNER && mkdir $OWNER && find $C -maxdepth 1 -type f -exec cp {} $OWNER/ \;
  python3 - $OWNER/teachers.json <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p)); d['t2_members'] = []; json.dump(d, open(p, 'w'), indent=2)
PY
fi
MEMBERS=$(for m in $C/t2_members/seed*; do s=${m##*/seed}; [[ " $RETRAIN " == *" $s "* ]] && echo $W/seed$s || echo $m; done | paste -sd,)
echo "ensemble $(date -u +%H:%M:%S)"
rm -rf $W/ensemble
$T t2-ensemble --models $OWNER --members $MEMBERS --out $W/ensemble > $W/ensemble.log 2>&1
echo "check $(date -u +%H:%M:%S)"
$T validate-local $CHECK --models $W/ensemble --json $L/${NAME:-v38-windows}-crowded-heldout.json > $W/check.log 2>&1
echo "done $(date -u +%H:%M:%S)"
