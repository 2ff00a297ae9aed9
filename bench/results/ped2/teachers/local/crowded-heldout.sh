#!/bin/bash
# The declared check (bench/results/ped2/teachers/README.md, 17:23 UTC): v24 and v26 first, then the reference runs.
cd /work/main
export VAD_ROOT=/work/main
T="dotnet /work/teachers-bin-v30/Vad.Teachers.dll"
L=bench/results/ped2/teachers/local
for v in v24:models/ped2/teachers v26:/work/v26-teachers v22:/work/teachers-v22 seed8-masked:/work/seed8-masked seed8-plain:/work/seed8-plain seed9-masked:/work/seed9-masked seed9-plain:/work/seed9-plain; do
  n=${v%%:*}; m=${v#*:}
  echo "$n start $(date -u +%H:%M:%S)"
  $T validate-local --dataset ../ped2-val-crowded --clips 14-crowded-15,15-crowded-16,16-crowded-14 --models $m \
    --edges yes --kinds speed,flip,glide,crowd --json $L/$n-crowded-heldout.json > /work/crowdcheck-$n.log 2>&1
  grep -A30 "kind " /work/crowdcheck-$n.log | grep -v "%"
done
echo "done $(date -u +%H:%M:%S)"
