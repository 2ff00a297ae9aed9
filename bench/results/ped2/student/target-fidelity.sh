#!/bin/bash
# Diagnostic (models/ped2/README.md, twenty-third session; selects and ships nothing): target-fidelity.py over every epoch
# listed in an epoch-curves.json (default: v39's 24), on the held-out clips 14-16 and their glide clips. Scores the
# teachers (the committed ones, which made the v38 maps the v39 runs distilled) and each epoch once under WORK.
# usage: target-fidelity.sh [EPOCH_CURVES_JSON] [OUT_MD]
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../../../.."
export VAD_ROOT=$PWD
CURVES=${1:-$HERE/v39-kd-v38maps-12/epoch-curves.json}
OUT=${2:-$(dirname "$CURVES")/target-fidelity.md}
D=${DATASET:-/work/ped2-val-glide}
W=${WORK:-/work/fidelity}
V=14,15,16,$(ls $D/training/frames | grep -- -glide- | paste -sd,)
mkdir -p $W
[ -f $W/teachers/t2/16.txt ] || ./vad teachers score --dataset $D --split train --videos $V --out $W/teachers --cache $W/tcache > $W/teachers.log 2>&1
python3 - "$CURVES" <<'PY' | while read run epoch; do
import json, sys
for r in json.load(open(sys.argv[1]))['epochs']: print(r['run'], '%02d' % r['epoch'])
PY
  O=$W/$(basename $run)-e$epoch
  [ -f $O/16.txt ] || ./vad score --model $run/epochs/epoch-$epoch.onnx --dataset $D --split train --videos $V --out $O --overlays 0 < /dev/null > /dev/null
done
python3 "$HERE/target-fidelity.py" $W "$CURVES" "$OUT"
