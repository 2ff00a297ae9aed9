#!/bin/bash
# Runs v30-kd-ride, part 1 (models/ped2/README.md, "Twelfth session"): every derived dataset and the v22 teachers' maps,
# rebuilt on a fresh machine (the earlier sessions' copies were not kept), then the ride clips and their maps.
set -e
cd /work/main
export VAD_ROOT=/work/main
T="dotnet /work/teachers-bin-v32/Vad.Teachers.dll"
P=/work/shared/data/ped2
FIT=01,02,03,04,05,06,07,08,09,10,11,12,13
[ -d /work/ped2-local ] || $T make-local --dataset $P --out /work/ped2-local --clips $FIT > /work/mk-local.log 2>&1
[ -d /work/ped2-stretch ] || $T make-local --dataset $P --out /work/ped2-stretch --clips $FIT --kinds stretch > /work/mk-stretch.log 2>&1
[ -d /work/ped2-ride ] || $T make-local --dataset $P --out /work/ped2-ride --clips $FIT --kinds ride > /work/mk-ride.log 2>&1
[ -d /work/ped2-val-glide ] || $T make-local --dataset $P --out /work/ped2-val-glide --clips 14,15,16 --per-clip 6 --kinds glide > /work/mk-glide.log 2>&1
echo "datasets done $(date -u +%H:%M:%S)"
for kind in stretch ride; do
  D=/work/ped2-local-$kind
  [ $kind = ride ] && B=/work/ped2-local-stretch || B=/work/ped2-local
  if [ ! -d $D ]; then
    cp -rs $B/. $D
    for c in /work/ped2-$kind/training/frames/*-$kind-*; do ln -s $c $D/training/frames/; done
    for l in /work/ped2-$kind/training/pseudo-labels/*-$kind-*; do ln -s $l $D/training/pseudo-labels/; done
  fi
  echo "$D: $(ls $D/training/frames | wc -l) training clips, $(ls $D/training/pseudo-labels | wc -l) labelled"
done
# maps of the v22 teachers (the shipped student's): original training clips, then every derived clip, at 1x, 1.5x, 2x
C=/work/v22-cache
for f in 1 1.5 2; do
  $T score --models /work/teachers-v22 --dataset $P --split train --speedup $f --out $C/scores-train-x$f --cache $C > /work/maps-train-$f.log 2>&1
  V=$(ls /work/ped2-local-ride/training/frames | grep -- - | paste -sd,)
  $T score --models /work/teachers-v22 --dataset /work/ped2-local-ride --split train --speedup $f --videos $V --out $C/scores-derived-x$f --cache $C > /work/maps-derived-$f.log 2>&1
  echo "maps x$f done $(date -u +%H:%M:%S)"
done
