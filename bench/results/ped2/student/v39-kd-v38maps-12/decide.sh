#!/bin/bash
# The v39 rule as first declared (models/ped2/README.md, "Twentieth session"; completed in the twenty-second session):
# select-epoch over the 24 epochs of v39-kd-v38maps seeds 52 and 53 (both trained with correct convolution gradients);
# its pick replaces the shipped student (v34 s46 e7, glide 0.8758) iff its glide AUC is above 0.8758. Run from anywhere.
cd "$(dirname "$0")"
R=runs/student/ped2-cpu-v39-kd-v38maps-seed
EPOCHS=12 NAME=v39-12 HERE=$PWD RUNS=${R}52,${R}53 SEL=${SEL:-/work/sel-v39-12} \
  RULE="models/ped2/README.md, Twentieth session, completed in the twenty-second session: select-epoch's pick over the 24 epochs of v39-kd-v38maps seeds 52 and 53 (12 each, correct convolution gradients) (highest glide AUC with crowd correlation <= 0.10) replaces the shipped student iff its glide AUC is above the shipped one's (v34 s46 e7, 0.8758)" \
  SHIPPED_RUN=runs/student/ped2-cpu-v34-kd-v33maps-seed46 SHIPPED_EPOCH=7 SHIPPED_GLIDE=0.8758 exec ../glide-decide.sh
