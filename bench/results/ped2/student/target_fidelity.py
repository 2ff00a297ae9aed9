#!/usr/bin/env python3
"""Diagnostic (models/ped2/README.md, twenty-third session; selects and ships nothing): how faithfully each epoch of a
set of runs reproduces its distillation target on held-out training clips, and whether that ranks the epochs as the
test does. Target of a frame: the mean of the teachers' frame scores (the 1x1 head's exact optimum under the KD loss,
each teacher's map divided by its teacher_scale from the manifest). Student score: the ./vad score frame score.
usage: target_fidelity.py WORK EPOCH_CURVES_JSON OUT_MD  (WORK holds teachers/t1, teachers/t2 and one scores folder per
epoch, named <run folder name>-eNN, as target-fidelity.sh writes them)
       target_fidelity.py --one WORK SCORES_FOLDER MANIFEST_JSON  (one model: prints its fidelity as JSON)"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rank_stats import pearson, spearman


def read(folder, video):
    return [float(x) for x in open(os.path.join(folder, video + '.txt')).read().split()]


def held_out_videos(work):
    """The clips target-fidelity.sh scored the teachers on (WORK/teachers/t1/*.txt)."""
    return sorted(f[:-4] for f in os.listdir(os.path.join(work, 'teachers', 't1')) if f.endswith('.txt'))


def scales_of(manifest_path):
    """Each teacher's map scale as the student's manifest records it (1 when absent)."""
    metrics = json.load(open(manifest_path))['metrics']
    return {t: metrics.get('teacher_scale_' + t, 1.0) for t in ('t1', 't2')}


def target(work, videos, scales):
    """Per clip, the mean of the teachers' scaled frame scores."""
    t = {}
    for v in videos:
        a, b = read(os.path.join(work, 'teachers', 't1'), v), read(os.path.join(work, 'teachers', 't2'), v)
        t[v] = [(x / scales['t1'] + y / scales['t2']) / 2 for x, y in zip(a, b)]
    return t


def fidelity(folder, videos, tgt):
    """Pooled Pearson / Spearman / RMSE of a scores folder against the target, and the sd over clips of its mean offset."""
    s_all, t_all, offsets = [], [], []
    for v in videos:
        s = read(folder, v)
        if len(s) != len(tgt[v]): sys.exit(f'{folder}/{v}.txt: {len(s)} frames, the teachers scored {len(tgt[v])}')
        s_all += s; t_all += tgt[v]
        offsets.append(sum(x - y for x, y in zip(s, tgt[v])) / len(s))
    n = len(s_all)
    mean_offset = sum(offsets) / len(offsets)
    # Range compression: the least-squares slope of the student's scores on the target's (1 = full range), and how far
    # below its target the student stays on the frames whose target is in the top tenth (the frames an anomaly makes).
    ms, mt = sum(s_all) / n, sum(t_all) / n
    slope = sum((x - ms) * (y - mt) for x, y in zip(s_all, t_all)) / max(sum((y - mt) ** 2 for y in t_all), 1e-12)
    top = sorted(range(n), key=lambda i: t_all[i])[n - max(1, n // 10):]
    return dict(pearson=round(pearson(s_all, t_all), 4), spearman=round(spearman(s_all, t_all), 4),
                rmse=round((sum((x - y) ** 2 for x, y in zip(s_all, t_all)) / n) ** 0.5, 4),
                clip_offset_sd=round((sum((o - mean_offset) ** 2 for o in offsets) / len(offsets)) ** 0.5, 4),
                slope=round(slope, 4), top_decile_shortfall=round(sum(t_all[i] - s_all[i] for i in top) / len(top), 4))


def main(work, curves_path, out_md):
    curves = json.load(open(curves_path))['epochs']
    videos = held_out_videos(work)
    rows, targets = [], {}
    for r in curves:
        name = '%s-e%02d' % (os.path.basename(r['run']), r['epoch'])
        scales = scales_of(os.path.join(r['run'], 'epochs', 'epoch-%02d.json' % r['epoch']))
        key = (scales['t1'], scales['t2'])
        if key not in targets: targets[key] = target(work, videos, scales)
        rows.append(dict(run=os.path.basename(r['run']), epoch=r['epoch'], test_micro=r['test_micro'], glide=r['glide'],
                         **fidelity(os.path.join(work, name), videos, targets[key])))
        print(rows[-1], flush=True)
    cols = ['pearson', 'spearman', 'rmse', 'clip_offset_sd', 'glide']
    groups = {run: [r for r in rows if r['run'] == run] for run in sorted({r['run'] for r in rows})}
    groups['all epochs'] = rows
    with open(out_md, 'w') as f:
        f.write(f'Held-out clips ({len(videos)}): {", ".join(videos)}; {sum(len(t) for t in next(iter(targets.values())).values())} frames.\n\n')
        f.write('| run | epoch | pearson | spearman | rmse | clip offset sd | glide AUC | test micro |\n|---|---|---|---|---|---|---|---|\n')
        for r in rows:
            f.write('| %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n' % (r['run'], r['epoch'], r['pearson'], r['spearman'], r['rmse'],
                    r['clip_offset_sd'], r['glide'], r['test_micro']))
        f.write('\nSpearman rank correlation of each column with the test micro AUC over the epochs (for rmse and clip offset '
                'sd a faithful student is a low one: negative is the useful sign):\n\n| epochs of | ' + ' | '.join(cols) + ' |\n|---|'
                + '---|' * len(cols) + '\n')
        for g, rs in groups.items():
            f.write('| %s | %s |\n' % (g, ' | '.join('%.3f' % spearman([r[c] for r in rs], [r['test_micro'] for r in rs]) for c in cols)))
    print(open(out_md).read())

def check_teachers(manifest_path, maps_root, missing_ok):
    """Exits with a message when the cached teacher maps under MAPS_ROOT/<teacher>/manifest.json come from other weights
    than the student's manifest names (a missing map manifest passes only with missing_ok)."""
    for t, h in json.load(open(manifest_path))['teacher_hashes'].items():
        m = f'{maps_root}/{t}/manifest.json'
        if missing_ok and not os.path.exists(m): continue
        got = json.load(open(m))['weights_sha256']
        if got != h: sys.exit(f'{m}: teacher maps of {got[:12]}, but the model distilled {h[:12]}: set WORK to another folder (and TEACHERS)')


if __name__ == '__main__':
    if sys.argv[1] == '--check-teachers':  # MANIFEST MAPS_ROOT [--missing-ok]
        check_teachers(sys.argv[2], sys.argv[3], '--missing-ok' in sys.argv[4:])
    elif sys.argv[1] == '--one':
        work, folder, manifest = sys.argv[2:5]
        videos = held_out_videos(work)
        print(json.dumps(fidelity(folder, videos, target(work, videos, scales_of(manifest)))))
    else:
        main(*sys.argv[1:4])
