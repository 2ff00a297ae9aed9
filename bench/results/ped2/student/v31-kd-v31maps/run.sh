#!/bin/bash
# Runs v31-kd-v31maps (models/ped2/README.md, "Thirteenth session"): v29's recipe on the v31 maps of maps.sh, 2 seeds,
# 12 epochs; resumes from the checkpoints when re-run; the glide selection only once both runs have all 12 epochs.
# Reused for later maps: CACHE (maps), RUNS (run folder prefix), LOG (log prefix), SEL (selection folder); the defaults
# are v31's. v32-kd-v32maps (fourteenth session): CACHE=/work/v32-cache RUNS=runs/student/ped2-cpu-v32-kd-v32maps-seed
# LOG=v32 SEL=/work/sel-v32. SEEDS (default "42 43"): v33-kd-v32maps (fifteenth session): the v32 line with
# RUNS=runs/student/ped2-cpu-v33-kd-v32maps-seed LOG=v33 SEL=/work/sel-v33 SEEDS="44 45".
# v34-kd-v33maps (seventeenth session): CACHE=/work/v33-cache RUNS=runs/student/ped2-cpu-v34-kd-v33maps-seed LOG=v34
# SEL=/work/sel-v34 SEEDS="46 47". EPOCHS (default 12) and THREADS (default 1): v39 (twenty-first session) ran seed 52
# alone, 9 epochs, 2 threads. SELECT=0 skips the selection at the end (v39 completed, twenty-second session: the
# decision's own select-epoch over both runs is the only one).
cd /work/main
export VAD_ROOT=/work/main
S="dotnet /work/student-bin-v32/Vad.Student.dll"
D=/work/ped2-local-stretch
C=${CACHE:-/work/v31-cache}
R=${RUNS:-runs/student/ped2-cpu-v31-kd-v31maps-seed}
G=${LOG:-v31}
O=${SEL:-/work/sel-v31}
SEEDS=${SEEDS:-42 43}
N=${EPOCHS:-12}
TH=${THREADS:-1}
LAST=epoch-$(printf %02d $N).onnx
K=$(echo $SEEDS | wc -w)
# Only this call's seeds count: other runs with the same prefix (v39's seed 52 when seed 53 runs) are not theirs.
complete() { for s in $SEEDS; do [ -f $R$s/epochs/$LAST ] && echo $s; done | wc -l; }
RUNLIST=$(for s in $SEEDS; do printf "%s," $R$s; done | sed 's/,$//')
for attempt in 1 2 3; do
  for s in $SEEDS; do
    [ -f $R$s/epochs/$LAST ] && continue
    $S train --dataset $D --teachers $C --profile cpu \
      --distill-splits train,train-x1.5,train-x2 --hold-out 14,15,16 --export-epochs \
      --no-adversarial --ae-epochs 1 --epochs $N --batch 32 --threads $TH --seed $s --run $R$s >> /work/$G-train-$s.log 2>&1 &
  done
  wait
  echo "attempt $attempt done $(date -u +%H:%M:%S): $(complete) of $K complete"
done
[ "$(complete)" = $K ] || { echo "not complete: no selection"; exit 1; }
[ "${SELECT:-1}" = 0 ] && exit 0
echo "select $(date -u +%H:%M:%S)"
$S select-epoch --run $RUNLIST --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 --out $O > $O.log 2>&1
echo "selected $(date -u +%H:%M:%S)"
