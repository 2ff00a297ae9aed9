#!/bin/bash
# The v37 rule (models/ped2/README.md, "Nineteenth session", declared before the runs existed): select-epoch over the
# 24 epochs of v37-kd-v36maps seeds 50 and 51 (glide check on held-out clips 14-16, crowd correlation <= 0.10); its pick
# replaces the shipped student iff its glide AUC is above the shipped one's (v34 s46 e7, 0.8758). Reads training data
# only; writes select-epoch-v37.log and decision.json here (through the shared ../glide-decide.sh since the twentieth
# session; the same commands and parsing as when it decided).
cd "$(dirname "$0")"
R=runs/student/ped2-cpu-v37-kd-v36maps-seed
NAME=v37 HERE=$PWD RUNS=${R}50,${R}51 SEL=${SEL:-/work/sel-v37} \
  RULE="models/ped2/README.md, Nineteenth session: select-epoch's pick over the 24 epochs of v37-kd-v36maps seeds 50, 51 (highest glide AUC with crowd correlation <= 0.10) replaces the shipped student iff its glide AUC is above the shipped one's (v34 s46 e7, 0.8758)" \
  SHIPPED_RUN=runs/student/ped2-cpu-v34-kd-v33maps-seed46 SHIPPED_EPOCH=7 SHIPPED_GLIDE=0.8758 exec ../glide-decide.sh
