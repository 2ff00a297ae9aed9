#!/bin/bash
# Runs v30 completed to 12 epochs (models/ped2/README.md, "Fifteenth session"): each run's glide pick over epochs 1-12
# and its test figures, computed after the selection and used for nothing. Run from the repository root.
STUDENT_BIN=/work/student-bin-v32 exec python3 bench/results/ped2/student/v25-kd-v24maps/picks-vs-v22-maps.py /work/sel-v30.log \
  bench/results/ped2/student/v30-kd-ride/picks-12.json /tmp/v30cmp ride=runs/student/ped2-cpu-v30-kd-ride-seed
