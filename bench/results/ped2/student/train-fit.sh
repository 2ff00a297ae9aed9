#!/bin/bash
# Fit on the clips a student was distilled on (models/ped2/README.md, twenty-third and twenty-fourth sessions): the same
# measure as target-fidelity.sh (target_fidelity.py --one: Pearson / RMSE of its frame scores against the mean of the
# v38 teachers' scaled frame scores) on (a) Ped2's normal training clips 01-13 and (b) every 4th of the 117 pseudo-anomaly
# clips of ped2-local-stretch (30 clips). Next to target-fidelity.sh's held-out figure, the gap says how much of the fit
# carries to clips the student never saw. Training data only; a diagnostic (selects and ships nothing).
# Needs the v38 teachers' training scores (V38_CACHE, default /work/v38-cache: scores-train-x1, scores-derived-x1, made
# with the maps of bench/results/ped2/student/v39-kd-v38maps/maps.sh) and the derived dataset (LOCAL, default
# /work/ped2-local-stretch).
# usage: train-fit.sh FILE.onnx NAME   prints {"normal": {...}, "pseudo_anomaly": {...}} as JSON
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../../.."
export VAD_ROOT=$PWD
[ $# = 2 ] || { echo "usage: train-fit.sh FILE.onnx NAME" >&2; exit 2; }
MODEL=$1 NAME=$2
C=${V38_CACHE:-/work/v38-cache}
L=${LOCAL:-/work/ped2-local-stretch}
W=${WORK:-/work/train-fit}
for d in $C/scores-train-x1/t1 $C/scores-derived-x1/t1 $L/training/frames; do [ -d $d ] || { echo "missing $d" >&2; exit 1; }; done
python3 "$HERE/target_fidelity.py" --check-teachers "${MODEL%.onnx}.json" $C/maps --missing-ok || exit 1
NORMAL=$(seq -w 1 13 | paste -sd,)
PSEUDO=$(ls $C/scores-derived-x1/t1 | sed 's/\.txt$//' | sort | awk 'NR % 4 == 1' | paste -sd,)
# One target folder per set: WORK/<set>/teachers/t1|t2 holds links to just that set's teacher scores.
for set in normal pseudo; do
  VIDS=$([ $set = normal ] && echo $NORMAL || echo $PSEUDO)
  SRC=$C/$([ $set = normal ] && echo scores-train-x1 || echo scores-derived-x1)
  for t in t1 t2; do
    mkdir -p $W/$set/teachers/$t
    for v in ${VIDS//,/ }; do ln -sf $SRC/$t/$v.txt $W/$set/teachers/$t/$v.txt; done
  done
  DS=$([ $set = normal ] && echo ../shared/data/ped2 || echo $L)
  [ -f $W/$set/$NAME/$(echo $VIDS | awk -F, '{print $NF}').txt ] \
    || ./vad score --model $MODEL --dataset $DS --split train --videos $VIDS --out $W/$set/$NAME --overlays 0 < /dev/null > /dev/null
done
N=$(python3 "$HERE/target_fidelity.py" --one $W/normal $W/normal/$NAME "${MODEL%.onnx}.json")
P=$(python3 "$HERE/target_fidelity.py" --one $W/pseudo $W/pseudo/$NAME "${MODEL%.onnx}.json")
echo "{\"normal\": $N, \"pseudo_anomaly\": $P}"
