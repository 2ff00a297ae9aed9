#!/bin/bash
# Runs v31-kd-v31maps, maps (models/ped2/README.md, "Thirteenth session"): T1's maps are v22's (the same networks, rule
# and statistics: re-scoring training clips 01 and 05 with v31's T1 gives them within 4e-8), so only T2 is scored, with
# v31's teachers, on the training clips and v29's derived clips, as filmed and 1.5x, 2x faster.
# Reused for later teachers whose T1 is v22's: MODELS (teachers), CACHE (maps), TEACHERS_BIN and LOG (log prefix); the
# defaults are what made the v31 maps. v32 (fourteenth session): MODELS=models/ped2/teachers CACHE=/work/v32-cache
# TEACHERS_BIN=/work/teachers-bin-v36 LOG=v32maps (a T2 seed ensemble needs a build that knows t2_members).
# v33 (seventeenth session): MODELS=models/ped2/teachers CACHE=/work/v33-cache TEACHERS_BIN=/work/teachers-bin-v37
# LOG=v33maps (the wide T2 member needs a build that knows t2_width).
set -e
cd /work/main
export VAD_ROOT=/work/main
T="dotnet ${TEACHERS_BIN:-/work/teachers-bin-v35}/Vad.Teachers.dll"
P=/work/shared/data/ped2
M=${MODELS:-/work/seed10-masked}
C=${CACHE:-/work/v31-cache}
G=${LOG:-v31maps}
mkdir -p $C/maps
[ -d $C/maps/t1 ] || cp -r /work/v22-cache/maps/t1 $C/maps/t1
for f in 1 1.5 2; do
  $T score --teachers t2 --models $M --dataset $P --split train --speedup $f --out $C/scores-train-x$f --cache $C > /work/$G-train-$f.log 2>&1
  V=$(ls /work/ped2-local-stretch/training/frames | grep -- - | paste -sd,)
  $T score --teachers t2 --models $M --dataset /work/ped2-local-stretch --split train --speedup $f --videos $V --out $C/scores-derived-x$f --cache $C > /work/$G-derived-$f.log 2>&1
  echo "maps x$f done $(date -u +%H:%M:%S)"
done
