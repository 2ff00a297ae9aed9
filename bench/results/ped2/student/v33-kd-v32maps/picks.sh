#!/bin/bash
# Runs v33-kd-v32maps (models/ped2/README.md, "Sixteenth session"): each run's glide pick (the rule before v33) and its
# test figures, computed after the v33 decision and used for nothing. Run from the repository root.
STUDENT_BIN=/work/student-bin-v32 exec python3 bench/results/ped2/student/v25-kd-v24maps/picks-vs-v22-maps.py /work/sel-v33.log \
  bench/results/ped2/student/v33-kd-v32maps/picks.json /tmp/v33cmp v33=runs/student/ped2-cpu-v33-kd-v32maps-seed
