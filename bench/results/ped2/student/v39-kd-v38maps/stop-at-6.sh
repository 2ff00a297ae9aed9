#!/bin/bash
# v39, cut to 6 epochs for time (models/ped2/README.md, twenty-first session): the run (started with --epochs 9; the
# learning rate is constant, so this is a 6-epoch run) is stopped once its epoch-6 export exists, then the rule.
cd "$(dirname "$0")/../../../../.."
R=runs/student/ped2-cpu-v39-kd-v38maps-seed52
while [ ! -f $R/epochs/epoch-06.json ]; do sleep 5; done; sleep 3
pkill -f "v31-kd-v31maps/run.sh"; pkill -f -- "--seed 52 --run $R"
echo "stopped $(date -u +%H:%M:%S)"
rm -f $R/epochs/epoch-0[7-9].onnx $R/epochs/epoch-0[7-9].json   # nothing past epoch 6 enters the selection
bench/results/ped2/student/v39-kd-v38maps/decide.sh
echo "decided $(date -u +%H:%M:%S)"
