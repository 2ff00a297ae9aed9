#!/bin/bash
# Runs v37-kd-v36maps, maps (models/ped2/README.md, "Nineteenth session"): both teachers of the committed v36 (stacks
# split: T1's maps change too, unlike v31-v35's) on the training clips and v29's derived clips, as filmed and 1.5x, 2x
# faster, into CACHE (default /work/v36-cache). Run from the repository root.
# Reused for later teachers: ONLY=t2 re-scores T2 alone (when only T2 changed; T1's maps are copied into CACHE first),
# LOGS names the logs (default v36maps).
set -e
cd "$(dirname "$0")/../../../../.."
export VAD_ROOT=$PWD
T="dotnet ${TEACHERS_BIN:-/work/teachers-bin-v38}/Vad.Teachers.dll"
P=../shared/data/ped2
D=${DERIVED:-/work/ped2-local-stretch}
C=${CACHE:-/work/v36-cache}
G=${LOGS:-v36maps}
ONLY=${ONLY:+--teachers $ONLY}
mkdir -p $C
V=$(ls $D/training/frames | grep -- - | paste -sd,)
for f in 1 1.5 2; do
  $T score --models models/ped2/teachers --dataset $P --split train --speedup $f --out $C/scores-train-x$f --cache $C $ONLY > /work/$G-train-$f.log 2>&1
  $T score --models models/ped2/teachers --dataset $D --split train --speedup $f --videos $V --out $C/scores-derived-x$f --cache $C $ONLY > /work/$G-derived-$f.log 2>&1
  echo "maps x$f done $(date -u +%H:%M:%S)"
done
