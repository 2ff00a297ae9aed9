#!/bin/bash
# Runs v32-kd-v32maps (models/ped2/README.md, "Fourteenth session"): each run's glide pick and its test figures,
# computed after the selection and used for nothing. Run from the repository root.
STUDENT_BIN=/work/student-bin-v32 exec python3 bench/results/ped2/student/v25-kd-v24maps/picks-vs-v22-maps.py /work/sel-v32.log \
  bench/results/ped2/student/v32-kd-v32maps/picks.json /tmp/v32cmp v32=runs/student/ped2-cpu-v32-kd-v32maps-seed
