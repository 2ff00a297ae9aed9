#!/bin/bash
# Target fidelity on held-out clips 14-16 and their glide clips (models/ped2/README.md, twenty-third session): how
# faithfully a student's frame scores follow its distillation target (the mean of the teachers' scaled frame scores;
# the teachers: v38, which made the maps v39 and v42 distil; since 2026-12-01 the committed teachers are v40, so v38 is
# taken from commit ab2914a, the last that holds it). Scores the teachers once under WORK; --model checks that the
# cached teacher maps come from the teachers named in the model's manifest.
# usage: target-fidelity.sh [EPOCH_CURVES_JSON] [OUT_MD]   every epoch listed (default: v39's 24) and its Spearman with
#                                                          the test column (a diagnostic: selects and ships nothing)
#        target-fidelity.sh --model FILE.onnx NAME          one model (manifest next to it): prints its fidelity as JSON
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../../.."
export VAD_ROOT=$PWD
D=${DATASET:-/work/ped2-val-glide}
W=${WORK:-/work/fidelity}
V=14,15,16,$(ls $D/training/frames | grep -- -glide- | paste -sd,)
mkdir -p $W
T=${TEACHERS:-$W/v38-teachers}
if [ ! -f $W/teachers/t2/16.txt ]; then
  [ -d $T ] || { rm -rf $T.tmp && mkdir -p $T.tmp && git archive ab2914a models/ped2/teachers | tar -x -C $T.tmp --strip-components=3 && mv $T.tmp $T; }
  ./vad teachers score --dataset $D --split train --videos $V --models $T --out $W/teachers --cache $W/tcache > $W/teachers.log 2>&1
fi
score() { [ -f $2/16.txt ] || ./vad score --model $1 --dataset $D --split train --videos $V --out $2 --overlays 0 < /dev/null > /dev/null; }
if [ "${1:-}" = --model ]; then
  python3 "$HERE/target_fidelity.py" --check-teachers "${2%.onnx}.json" $W/tcache/maps || exit 1
  score $2 $W/$3
  exec python3 "$HERE/target_fidelity.py" --one $W $W/$3 "${2%.onnx}.json"
fi
CURVES=${1:-$HERE/v39-kd-v38maps-12/epoch-curves.json}
OUT=${2:-$(dirname "$CURVES")/target-fidelity.md}
python3 - "$CURVES" <<'PY' | while read run epoch; do
import json, sys
for r in json.load(open(sys.argv[1]))['epochs']: print(r['run'], '%02d' % r['epoch'])
PY
  score $run/epochs/epoch-$epoch.onnx $W/$(basename $run)-e$epoch
done
python3 "$HERE/target_fidelity.py" $W "$CURVES" "$OUT"
