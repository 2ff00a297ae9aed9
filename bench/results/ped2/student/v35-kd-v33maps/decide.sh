#!/bin/bash
# The v35 rule (models/ped2/README.md, "Seventeenth session", declared 11:36 UTC before the runs existed): select-epoch
# over the four runs v34 seeds 46, 47 and v35 seeds 48, 49 (48 epochs, glide check on held-out clips 14-16, crowd
# correlation <= 0.10); its pick replaces the shipped student iff its glide AUC is above the shipped one's (v34 s46 e7,
# 0.8758). Reads training data only; writes select-epoch-v35-pool.log and decision.json here (through the shared
# ../glide-decide.sh since the twentieth session; the same commands and parsing as when it decided).
cd "$(dirname "$0")"
R=runs/student/ped2-cpu-
NAME=v35-pool HERE=$PWD SEL=${SEL:-/work/sel-v35-pool} \
  RUNS=${R}v34-kd-v33maps-seed46,${R}v34-kd-v33maps-seed47,${R}v35-kd-v33maps-seed48,${R}v35-kd-v33maps-seed49 \
  RULE="models/ped2/README.md, Seventeenth session (declared 11:36 UTC, commits ce77fb5/d6e0b40): select-epoch's pick over the 48 epochs of v34-kd-v33maps seeds 46, 47 and v35-kd-v33maps seeds 48, 49 (highest glide AUC with crowd correlation <= 0.10) replaces the shipped student iff its glide AUC is above the shipped one's (v34 s46 e7, 0.8758)" \
  SHIPPED_RUN=runs/student/ped2-cpu-v34-kd-v33maps-seed46 SHIPPED_EPOCH=7 SHIPPED_GLIDE=0.8758 exec ../glide-decide.sh
