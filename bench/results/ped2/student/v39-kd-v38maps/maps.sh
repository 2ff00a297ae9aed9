#!/bin/bash
# Runs v39-kd-v38maps, maps (models/ped2/README.md, "Twentieth session"): the committed v38 teachers differ from v36
# only in T2 (two members retrained on split windows); T1's inputs (its weights, teachers.json, the detector's files)
# are byte-identical to v36's (checked below against v36's install commit b499286), so where V36CACHE (/work/v36-cache)
# exists T1's v36 maps are copied from it (identical inputs, identical maps) and T2 alone is re-scored; on a fresh
# machine without it both teachers are scored. Training clips and v29's derived clips, as filmed and 1.5x, 2x faster,
# into CACHE (/work/v38-cache). From the repository root.
set -e
cd "$(dirname "$0")/../../../../.."
H=bench/results/ped2/student
V36=${V36CACHE:-/work/v36-cache}
C=${CACHE:-/work/v38-cache}
T1=models/ped2/teachers
git diff --quiet b499286 HEAD -- $T1/t1_app_ae.bin $T1/t1_app_cls.bin $T1/t1_motion_ae.bin $T1/t1_motion_cls.bin \
  $T1/teachers.json $T1/background.png $T1/person_height.json || { echo "T1's inputs changed since v36: re-make all maps"; exit 1; }
if [ -d $V36/maps/t1 ]; then
  rm -rf $C && mkdir -p $C/maps && cp -r $V36/maps/t1 $C/maps/t1
  CACHE=$C ONLY=t2 LOGS=v38maps $H/v37-kd-v36maps/maps.sh
else   # a fresh machine (twenty-first session): both teachers of the v38 install straight into CACHE
  rm -rf $C && CACHE=$C LOGS=v38maps $H/v37-kd-v36maps/maps.sh
fi
