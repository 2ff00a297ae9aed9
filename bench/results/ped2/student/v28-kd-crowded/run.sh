#!/bin/bash
# Runs v28-kd-crowded (models/ped2/README.md, "Eleventh session"): check -> maps of the crowded clips -> 3 seeds -> glide picks -> test.
cd /work/main
export VAD_ROOT=/work/main
T="dotnet /work/teachers-bin-v30/Vad.Teachers.dll"
S="dotnet /work/student-bin-v28/Vad.Student.dll"
# The current teachers code reproduces the v22 maps the other runs distilled on (training clip 01 as filmed).
rm -rf /tmp/chk28 && $T score --models /work/teachers-v22 --dataset ../shared/data/ped2 --split train --videos 01 --out /tmp/chk28/s --cache /tmp/chk28 > /dev/null 2>&1
python3 -c "
a=[float(x) for x in open('/tmp/chk28/s/t1/01.txt')]; b=[float(x) for x in open('/work/v22-cache/scores-train-x1/t1/01.txt')]
c=[float(x) for x in open('/tmp/chk28/s/t2/01.txt')]; d=[float(x) for x in open('/work/v22-cache/scores-train-x1/t2/01.txt')]
print('reproduces v22 maps of clip 01: t1 max diff', max(abs(x-y) for x,y in zip(a,b)), 't2', max(abs(x-y) for x,y in zip(c,d)), len(a), len(b))"
C=/work/v22c-cache
[ -d $C ] || cp -r /work/v22-cache $C
V=$(ls /work/ped2-crowded/training/frames | grep -- -crowded- | paste -sd,)
for f in 1 1.5 2; do
  $T score --models /work/teachers-v22 --dataset /work/ped2-crowded --split train --speedup $f --videos $V --out $C/scores-crowded-x$f --cache $C > /work/v28-maps-$f.log 2>&1
done
echo "maps done $(date -u +%H:%M:%S)"
R=runs/student/ped2-cpu-v28-kd-crowded-seed
for attempt in 1 2 3; do
  for s in 42 43 44; do
    [ -f $R$s/epochs/epoch-12.onnx ] && continue
    $S train --dataset /work/ped2-crowded --teachers $C --profile cpu \
      --distill-splits train,train-x1.5,train-x2 --hold-out 14,15,16 --export-epochs \
      --no-adversarial --ae-epochs 1 --epochs 12 --batch 32 --threads 1 --seed $s --run $R$s >> /work/v28-train-$s.log 2>&1 &
  done
  wait
  echo "attempt $attempt done $(date -u +%H:%M:%S): $(ls $R*/epochs/epoch-12.onnx 2>/dev/null | wc -l) of 3 complete"
done
echo "select $(date -u +%H:%M:%S)"
$S select-epoch --run ${R}42,${R}43,${R}44 --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 --out /work/sel-v28 > /work/sel-v28.log 2>&1
echo "selected $(date -u +%H:%M:%S)"
