#!/bin/bash
# v39 completed as first declared (models/ped2/README.md, twenty-second session): seed 52 resumed from its checkpoint
# (epoch 7, step 5) to 12 epochs, then seed 53 from scratch to 12 epochs, one at a time with 2 threads (correct
# convolution gradients), then the rule (decide.sh). Re-running resumes where it stopped.
cd "$(dirname "$0")/../../../../.."
for s in 52 53; do
  CACHE=/work/v38-cache RUNS=runs/student/ped2-cpu-v39-kd-v38maps-seed LOG=v39 SEL=/work/sel-v39-$s SEEDS=$s EPOCHS=12 \
    THREADS=2 SELECT=0 bench/results/ped2/student/v31-kd-v31maps/run.sh || exit 1
  echo "seed $s: 12 epochs $(date -u +%H:%M:%S)"
done
bench/results/ped2/student/v39-kd-v38maps-12/decide.sh
echo "decided $(date -u +%H:%M:%S)"
