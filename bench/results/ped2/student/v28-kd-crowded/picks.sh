#!/bin/bash
# Runs v28 (models/ped2/README.md, "Eleventh session"): each run's glide pick within epochs 1-12, test figures after the
# selection (the same seeds without crowded clips: ../v25-kd-v24maps/picks-vs-v22-maps.json, maps v22). Run from the
# repository root; crowd drift needs /tmp/t2diag/test.csv (a v22 test --dump-objects).
exec python3 bench/results/ped2/student/v25-kd-v24maps/picks-vs-v22-maps.py /work/sel-v28.log \
  bench/results/ped2/student/v28-kd-crowded/picks.json /tmp/v28cmp crowded=runs/student/ped2-cpu-v28-kd-crowded-seed
