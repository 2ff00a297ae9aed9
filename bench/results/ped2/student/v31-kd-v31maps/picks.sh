#!/bin/bash
# Runs v31 (models/ped2/README.md, "Thirteenth session"): each run's glide pick and its test figures, computed after
# the selection and used for nothing. Run from the repository root.
STUDENT_BIN=/work/student-bin-v32 exec python3 bench/results/ped2/student/v25-kd-v24maps/picks-vs-v22-maps.py /work/sel-v31.log \
  bench/results/ped2/student/v31-kd-v31maps/picks.json /tmp/v31cmp v31=runs/student/ped2-cpu-v31-kd-v31maps-seed
