#!/bin/bash
# Runs v29 (models/ped2/README.md, "Eleventh session"): each run's glide pick within epochs 1-12, test figures after the
# selection (the same seeds without stretch clips: ../v25-kd-v24maps/picks-vs-v22-maps.json, maps v22). Run from the
# repository root; crowd drift needs /tmp/t2diag/test.csv (a v22 test --dump-objects).
exec python3 bench/results/ped2/student/v25-kd-v24maps/picks-vs-v22-maps.py /work/sel-v29.log \
  bench/results/ped2/student/v29-kd-stretch/picks.json /tmp/v29cmp stretch=runs/student/ped2-cpu-v29-kd-stretch-seed
