# The teachers' frame scores on the derived pseudo-anomaly clips (frames labelled 1) against the fit clips' normal
# frames (01-13 as filmed), per kind, as filmed (x1): what signal each teacher's maps give the student. Training data only.
# usage: teachers-on-derived.py CACHE [CACHE ...]   (each with scores-train-x1/{t1,t2} and scores-derived-x1/{t1,t2})
import sys, os, collections
LABELS = '/work/ped2-local-stretch/training/pseudo-labels'
def auc(neg, pos):
    allv = sorted([(v, 0) for v in neg] + [(v, 1) for v in pos]); r = 0.0; i = 0; ranks = {}
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]: j += 1
        for k in range(i, j): r_k = (i + j + 1) / 2; allv[k] = (allv[k][0], allv[k][1], r_k)
        i = j
    sp = sum(x[2] for x in allv if x[1] == 1)
    return (sp - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
def read(p): return [float(x) for x in open(p)]
for cache in sys.argv[1:]:
    for t in ('t1', 't2'):
        if not os.path.isdir(f'{cache}/scores-train-x1/{t}'): continue  # a cache whose teacher was not re-scored
        neg = [v for c in range(1, 14) for v in read(f'{cache}/scores-train-x1/{t}/{c:02d}.txt')]
        pos = collections.defaultdict(list)
        for f in sorted(os.listdir(LABELS)):
            kind = f.split('-')[1]
            lab = [l.strip() for l in open(f'{LABELS}/{f}')]
            sc = read(f'{cache}/scores-derived-x1/{t}/{f}')
            pos[kind] += [s for s, l in zip(sc, lab) if l == '1']
        print(cache, t, ' '.join(f'{k} {auc(neg, v):.3f}' for k, v in sorted(pos.items())))
