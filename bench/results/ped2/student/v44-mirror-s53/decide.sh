#!/bin/bash
# v44-mirror-s53's rule (models/ped2/README.md, "Twenty-sixth session", declared before any of its epochs existed):
# the mirrored seed-53 continuation (v43's command with SEED=53) replaces the shipped student (v43 s52) iff its glide AUC
# is above 0.8918 (v43 s52's, measured by the same check), its crowd correlation <= 0.10 and its held-out target fidelity
# is above the shipped model's. Training data only.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
R=runs/student/ped2-cpu-v43-mirror-swa-seed53
cd "$HERE/../../../../.."
python3 -c "import json,sys; j=json.load(open('$R/student.json')); m=j['metrics']; sys.exit(0 if m.get('weights_swa_epochs')==12 and m.get('phase2_epochs')==24 and j['train_options'].get('mirror') else 1)" \
  || { echo "$R: not finished (24 epochs, 12 averaged, mirrored)"; exit 1; }
exec bench/results/ped2/student/candidate-decide.sh $R v44-mirror-seed53-final 0.8918 "$HERE" \
  "models/ped2/README.md, Twenty-sixth session: the mirrored seed-53 continuation (weight average of epochs 13-24) replaces the shipped student iff its glide AUC > 0.8918, its crowd correlation <= 0.10 and its held-out target fidelity (Pearson) > the shipped model's"
