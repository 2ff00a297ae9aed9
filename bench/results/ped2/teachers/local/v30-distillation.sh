#!/bin/bash
# Teachers v30 (bench/results/ped2/teachers/README.md, twelfth session): the candidate, then the declared check for v24 and v30.
cd /work/main
export VAD_ROOT=/work/main
T="dotnet /work/teachers-bin-v33/Vad.Teachers.dll"
P=/work/shared/data/ped2
L=bench/results/ped2/teachers/local
[ -d /work/ped2-val-crowded ] || $T make-crowded --dataset $P --out /work/ped2-val-crowded --clips 14,15,16 > /work/mk-val-crowded.log 2>&1
echo "candidate $(date -u +%H:%M:%S)"
$T add-distillation --dataset $P --models models/ped2/teachers --out /work/v30-teachers --epochs 24 > /work/v30-add.log 2>&1
$T select --dataset $P --models /work/v30-teachers --group-stats yes --validation in-context --in-context-edges yes --neighbour-calibration t2 > /work/v30-select.log 2>&1
echo "check $(date -u +%H:%M:%S)"
for v in v24r:models/ped2/teachers v30:/work/v30-teachers; do
  n=${v%%:*}; m=${v#*:}
  $T validate-local --dataset /work/ped2-val-crowded --clips 14-crowded-15,15-crowded-16,16-crowded-14 --models $m \
    --edges yes --kinds speed,flip,glide,crowd --json $L/$n-crowded-heldout.json > /work/crowdcheck-$n.log 2>&1
  echo "$n done $(date -u +%H:%M:%S)"
done
for v in v24r:models/ped2/teachers v30:/work/v30-teachers; do
  n=${v%%:*}; m=${v#*:}
  $T validate-local --dataset $P --clips 14,15,16 --models $m --edges yes --kinds speed,flip,glide,stretch --json $L/$n-heldout-plain.json > /work/plaincheck-$n.log 2>&1
  echo "$n plain done $(date -u +%H:%M:%S)"
done
