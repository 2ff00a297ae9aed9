# Crowd-neutrality criterion of the v24 declaration: Pearson correlation of the number of other detections overlapping
# an object's stack square (side max(32, round(1.15 x longer box side)) around the box centre, as T2 cuts its crops)
# with the T1 and T2 object scores, over the detector's whole objects (label 'object', not group windows) of a
# `./vad teachers score --dump-objects` CSV. Usage: python3 neighbourcorr.py F.csv [first_clip last_clip]
import csv,math,sys,collections
def corr(x,y):
    n=len(x); mx=sum(x)/n; my=sum(y)/n
    sxy=sum((a-mx)*(b-my) for a,b in zip(x,y)); sxx=sum((a-mx)**2 for a in x); syy=sum((b-my)**2 for b in y)
    return sxy/math.sqrt(sxx*syy)
rows=list(csv.DictReader(open(sys.argv[1])))
lo,hi=(sys.argv[2],sys.argv[3]) if len(sys.argv)>3 else ('00','99')
frames=collections.defaultdict(list)
for r in rows:
    if lo<=r['video']<=hi: frames[(r['video'],r['frame'])].append(r)
pts=[]
for rs in frames.values():
    b=[tuple(int(r[k]) for k in 'xywh') for r in rs]
    for k,r in enumerate(rs):
        if r['label']!='object': continue
        x,y,w,h=b[k]; side=max(32,round(max(w,h)*1.15)); x0=x+w/2-side/2; y0=y+h/2-side/2; x1=x0+side; y1=y0+side
        n=sum(1 for j,(bx,by,bw,bh) in enumerate(b) if j!=k and bx<x1 and bx+bw>x0 and by<y1 and by+bh>y0)
        pts.append((n,r['t1'],r['t2']))
for i,t in [(1,'t1'),(2,'t2')]:
    p=[(q[0],float(q[i])) for q in pts if q[i] not in ('NaN','nan')]
    print(f'{t}: corr(neighbours in stack square, object score) = {corr([a for a,_ in p],[b for _,b in p]):.4f} over {len(p)} objects')
