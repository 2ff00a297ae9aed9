#!/bin/bash
# v41-swa as declared (models/ped2/README.md, "Twenty-third session", commit 27df062 before any averaged model existed):
# W52 and W53, the weight averages of epochs 7-12 of v39-kd-v38maps seeds 52 and 53 (`./vad average-weights`), each
# written into a run-like folder as epochs/epoch-12.onnx ("the average through epoch 12": the shared glide rule reads
# run folders); select-epoch's glide pick over the two replaces the shipped student (v39 s52 e9, glide 0.8847) iff its
# glide AUC is above 0.8847. Reads training data only. Run from anywhere.
set -e
cd "$(dirname "$0")"
HERE=$PWD
for s in 52 53; do
  R=runs/student/ped2-cpu-v39-kd-v38maps-seed$s
  W=runs/student/ped2-cpu-v41-swa-seed$s
  MODELS=$(for e in 07 08 09 10 11 12; do echo $R/epochs/epoch-$e.onnx; done | paste -sd,)
  (cd ../../../../.. && rm -rf $W && ./vad average-weights --models $MODELS --out $W/epochs/epoch-12.onnx) | tee $HERE/average-seed$s.log
done
R=runs/student/ped2-cpu-v41-swa-seed
EPOCHS=12 NAME=v41-swa HERE=$HERE RUNS=${R}52,${R}53 SEL=${SEL:-/work/sel-v41-swa} \
  RULE="models/ped2/README.md, Twenty-third session: select-epoch's pick over W52 and W53 (the weight averages of epochs 7-12 of v39-kd-v38maps seeds 52 and 53) (highest glide AUC with crowd correlation <= 0.10) replaces the shipped student iff its glide AUC is above the shipped one's (v39 s52 e9, 0.8847)" \
  SHIPPED_RUN=runs/student/ped2-cpu-v39-kd-v38maps-seed52 SHIPPED_EPOCH=9 SHIPPED_GLIDE=0.8847 exec ../glide-decide.sh
