#!/bin/bash
# The v39 rule (models/ped2/README.md, "Twentieth session", declared before the runs existed; cut in the twenty-first
# session, before any epoch existed, to seed 52 alone, trained with correct convolution gradients, stopped after its
# epoch 6): select-epoch over the 6 epochs of v39-kd-v38maps seed 52; its pick replaces the shipped student (v34 s46
# e7, glide 0.8758) iff its glide AUC is above 0.8758. Run from anywhere.
cd "$(dirname "$0")"
R=runs/student/ped2-cpu-v39-kd-v38maps-seed
EPOCHS=6 NAME=v39 HERE=$PWD RUNS=${R}52 SEL=${SEL:-/work/sel-v39} \
  RULE="models/ped2/README.md, Twentieth session: select-epoch's pick over the 6 epochs of v39-kd-v38maps seed 52 (cut from 2 x 12 in the twenty-first session before any epoch existed) (highest glide AUC with crowd correlation <= 0.10) replaces the shipped student iff its glide AUC is above the shipped one's (v34 s46 e7, 0.8758)" \
  SHIPPED_RUN=runs/student/ped2-cpu-v34-kd-v33maps-seed46 SHIPPED_EPOCH=7 SHIPPED_GLIDE=0.8758 exec ../glide-decide.sh
