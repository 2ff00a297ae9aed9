#!/bin/bash
# Runs v30, cut to 9 epochs for time (models/ped2/README.md, "Twelfth session"): each run is stopped once its epoch-9
# export exists (the learning rate is constant, so this is a 9-epoch run), then the glide selection over both runs.
cd /work/main
export VAD_ROOT=/work/main
S="dotnet /work/student-bin-v32/Vad.Student.dll"
R=runs/student/ped2-cpu-v30-kd-ride-seed
for s in 42 43; do
  ( while [ ! -f $R$s/epochs/epoch-09.json ]; do sleep 10; done; sleep 5; pkill -f -- "--seed $s --run $R$s" ) &
done
wait
echo "stopped $(date -u +%H:%M:%S)"
rm -f $R*/epochs/epoch-1[0-9].onnx $R*/epochs/epoch-1[0-9].json   # nothing past epoch 9 enters the selection
$S select-epoch --run ${R}42,${R}43 --dataset ../shared/data/ped2 --clips 14,15,16 --local /work/ped2-val-glide --max-crowd-correlation 0.10 --out /work/sel-v30 > /work/sel-v30.log 2>&1
echo "selected $(date -u +%H:%M:%S)"
