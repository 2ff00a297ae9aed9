#!/bin/bash
# Installs a decided candidate as the shipped student (after its rule said "ships"; the rule's decision.json committed
# first). Moves the figures of the model it replaces into bench/results/ped2/student/ARCHIVE_NAME/, copies the run's
# train.log, metrics.json and loss.png, the model and manifest into models/ped2/, writes selection.json from the
# decision, then re-scores the Ped2 test with the new model into bench/results/ped2/student/scores and writes
# eval_sigma3.json / eval_sigma0.json (the test figures, after the decision). Prints both AUCs. Does not commit.
# usage: ship.sh RUN_DIR ARCHIVE_NAME DECISION_JSON
set -e
[ $# -eq 3 ] || { echo "usage: $0 RUN_DIR ARCHIVE_NAME DECISION_JSON" >&2; exit 2; }
RUN=$1; ARCHIVE=$2; DECISION=$3
cd "$(dirname "$0")/../../../.."
B=bench/results/ped2/student
python3 -c "import json,sys; sys.exit(0 if json.load(open('$DECISION'))['ships'] else 1)" || { echo "$DECISION: the rule did not ship it" >&2; exit 1; }
[ -f $RUN/student.onnx ] && [ -f $RUN/student.json ] || { echo "$RUN: no student.onnx/student.json" >&2; exit 1; }
[ -e $B/$ARCHIVE ] && { echo "$B/$ARCHIVE exists" >&2; exit 1; }
mkdir -p $B/$ARCHIVE
for f in eval_sigma0.json eval_sigma3.json loss.png metrics.json selection.json train.log; do git mv $B/$f $B/$ARCHIVE/$f; done
cp $RUN/train.log $RUN/metrics.json $RUN/loss.png $B/
cp $RUN/student.onnx $RUN/student.json models/ped2/
python3 - "$DECISION" > $B/selection.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d['candidate']
print(json.dumps(dict(rule=d['rule'], selected=c['run'] + ': student.onnx', glide_auc=c['glide_auc'],
                      crowd_correlation=c['crowd_corr'], held_out_fidelity=c['fidelity']['pearson'],
                      shipped_before=dict(version=d['shipped']['version'], held_out_fidelity=d['shipped']['fidelity']['pearson']),
                      decision=sys.argv[1]), indent=1))
PY
git rm -rq $B/scores && rm -rf $B/scores
./vad score --model models/ped2/student.onnx --dataset ../shared/data/ped2 --split test --out $B/scores
for s in 3 0; do
  ./vad eval --dataset ../shared/data/ped2 --scores $B/scores --sigma $s --json $B/eval_sigma$s.json --no-plots > /dev/null
  python3 -c "import json; j=json.load(open('$B/eval_sigma$s.json')); print('sigma $s: micro %.4f macro %.4f' % (j['micro_auc'], j['macro_auc']))"
done
git add -A $B models/ped2/student.onnx models/ped2/student.json
