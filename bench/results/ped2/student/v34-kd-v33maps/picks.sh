#!/bin/bash
# Runs v34-kd-v33maps (models/ped2/README.md, "Seventeenth session"): each run's glide pick and its test figures,
# computed after the v34 decision and used for nothing. Run from the repository root.
STUDENT_BIN=/work/student-bin-v32 exec python3 bench/results/ped2/student/v25-kd-v24maps/picks-vs-v22-maps.py /work/sel-v34.log \
  bench/results/ped2/student/v34-kd-v33maps/picks.json /tmp/v34cmp v34=runs/student/ped2-cpu-v34-kd-v33maps-seed
