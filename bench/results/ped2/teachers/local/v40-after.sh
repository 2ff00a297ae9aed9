#!/bin/bash
# v40 after its decision (bench/results/ped2/teachers/README.md, twenty-first session's declaration): the candidate's
# test figures, whichever the decision (both teachers scored from the candidate ensemble folder, then the ensemble and
# the evals, sigma 0 and 3, under $WORK/test); the committed teachers, their test scores and eval files are replaced only
# when local/v40-decision.json says "adopt" (v38's eval files kept in v38-eval/). Run after v40-decide.py.
set -e
cd "$(dirname "$0")/../../../../.."
export VAD_ROOT=$PWD
W=${WORK:-/work/v40}
P=../shared/data/ped2
R=bench/results/ped2/teachers
ADOPT=$(python3 -c "import json; print(json.load(open('$R/local/v40-decision.json'))['adopt'])")
rm -rf $W/test
./vad teachers score --dataset $P --split test --out $W/test --cache $W/test-cache --models $W/ensemble
./vad teachers ensemble --scores $W/test/t1,$W/test/t2 --out $W/test/ensemble
for t in t1 t2 ensemble; do for s in 0 3; do
  ./vad eval --dataset $P --scores $W/test/$t --sigma $s --json $W/test/eval/${t}_sigma$s.json > /dev/null
done; done
python3 - $W/test/eval <<'PY'
import json, sys
for t in ("t1", "t2", "ensemble"):
    d = {s: json.load(open(f"{sys.argv[1]}/{t}_sigma{s}.json")) for s in (0, 3)}
    clips = [round(v["auc"], 3) for v in d[3]["per_video"] if v.get("auc") is not None]
    print(f"{t:9s} s0 {d[0]['micro_auc']:.3f} / {d[0]['macro_auc']:.3f}   s3 {d[3]['micro_auc']:.3f} / {d[3]['macro_auc']:.3f}   per clip s3 {clips}")
PY
[ "$ADOPT" = True ] || { echo "not adopted: the committed teachers stay"; exit 0; }
rm -rf $R/v38-eval && cp -r $R/eval $R/v38-eval
rm -rf models/ped2/teachers && mkdir -p models/ped2/teachers && cp -r $W/ensemble/. models/ped2/teachers/
for t in t1 t2 ensemble; do rm -rf $R/$t && cp -r $W/test/$t $R/$t; done
for t in t1 t2 ensemble; do for s in 0 3; do
  ./vad eval --dataset $P --scores $R/$t --sigma $s --json $R/eval/${t}_sigma$s.json $([ $s = 3 ] && echo --plots $R/$t/plots) > /dev/null
done; done
echo "adopted: models/ped2/teachers, $R/{t1,t2,ensemble,eval} replaced"
