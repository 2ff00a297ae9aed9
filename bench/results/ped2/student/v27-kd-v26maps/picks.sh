#!/bin/bash
# Exploratory runs v27 (not eligible for shipping): each run's glide pick within epochs 1-12 on the v26 maps, test
# figures (the same recipe on the v22 and v24 maps: ../v25-kd-v24maps/picks-vs-v22-maps.json). Run from the repository
# root; crowd drift needs /tmp/t2diag/test.csv (a v22 test --dump-objects).
exec python3 bench/results/ped2/student/v25-kd-v24maps/picks-vs-v22-maps.py /work/sel-v27.log \
  bench/results/ped2/student/v27-kd-v26maps/picks.json /tmp/v27cmp v26=runs/student/ped2-cpu-v27-kd-v26maps-seed
