#!/bin/bash
# A declared glide rule (models/ped2/README.md): select-epoch over every epoch of the runs in RUNS (comma-separated run
# folders, each with all EPOCHS epochs (default 12); glide check on held-out clips 14-16, crowd correlation <= 0.10); its pick replaces
# the shipped student iff it is not that model and its glide AUC is above SHIPPED_GLIDE (the shipped model's by the same
# check). Reads training data only; writes HERE/select-epoch-NAME.log and HERE/decision.json. Called by each rule's
# decide.sh with NAME, HERE, RUNS, RULE, SHIPPED_RUN, SHIPPED_EPOCH, SHIPPED_GLIDE (and SEL: the selection's folder).
set -e
cd "$(dirname "$0")/../../../.."
export VAD_ROOT=$PWD
: "${NAME:?}" "${HERE:?}" "${RUNS:?}" "${RULE:?}" "${SHIPPED_RUN:?}" "${SHIPPED_EPOCH:?}" "${SHIPPED_GLIDE:?}"
N=${EPOCHS:-12}
for r in ${RUNS//,/ }; do
  [ -f $r/epochs/epoch-$(printf %02d $N).onnx ] || { echo "the rule needs all $N epochs of $r"; exit 1; }
  [ -z "$(ls $r/epochs | grep -E "^epoch-[0-9]+\.onnx$" | sed -E "s/epoch-0*([0-9]+).onnx/\1/" | awk -v n=$N '$1>n')" ] || { echo "$r has epochs past $N"; exit 1; }
done
dotnet ${STUDENT_BIN:-/work/student-bin-v32}/Vad.Student.dll select-epoch --run $RUNS \
  --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 \
  --out ${SEL:-/work/sel-$NAME} > $HERE/select-epoch-$NAME.log 2>&1
python3 - "$HERE" "$NAME" "$RULE" "$SHIPPED_RUN" "$SHIPPED_EPOCH" "$SHIPPED_GLIDE" "$RUNS" <<'PY'
import re, json, sys
here, name, rule, shipped_run, shipped_epoch, shipped_glide, runs = sys.argv[1:]
log = open(f'{here}/select-epoch-{name}.log').read()
# With one run select-epoch names epochs without their run folder.
m = re.search(r'^selected (?:(\S+) )?epoch-(\d+) \(in-context AUC ([\d.]+)\)', log, re.M)
if not m: sys.exit('no selection in the log')
run, epoch, glide = m.group(1) or runs, int(m.group(2)), float(m.group(3))
prefix = '' if m.group(1) is None else re.escape(run) + ' '
crowd = float(re.search(r'^%sepoch-%02d: .*crowd correlation ([-\d.]+)' % (prefix, epoch), log, re.M).group(1))
shipped = dict(run=shipped_run, epoch=int(shipped_epoch), glide_auc=float(shipped_glide))
same = run == shipped['run'] and epoch == shipped['epoch']
ships = not same and glide > shipped['glide_auc']
decision = dict(rule=rule, pick=dict(run=run, epoch=epoch, glide_auc=glide, crowd_corr=crowd), shipped_before=shipped,
  ships=ships, outcome='ships' if ships else ('the pick is the shipped epoch: nothing changes' if same
                                              else f'not above {shipped_glide}: nothing changes'),
  test_figures_before_decision='none')
json.dump(decision, open(f'{here}/decision.json', 'w'), indent=1)
print(json.dumps(decision, indent=1))
PY
