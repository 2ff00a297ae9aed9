# Size-neutrality criterion of the v23 declaration: Pearson correlation of ln(box height) with the T2 (and T1) object
# score over the detector's whole objects (label 'object', not group windows) of a --dump-objects CSV of the training split.
import csv,math,sys
def corr(x,y):
    n=len(x); mx=sum(x)/n; my=sum(y)/n
    sxy=sum((a-mx)*(b-my) for a,b in zip(x,y)); sxx=sum((a-mx)**2 for a in x); syy=sum((b-my)**2 for b in y)
    return sxy/math.sqrt(sxx*syy)
rows=[r for r in csv.DictReader(open(sys.argv[1])) if r['label']=='object']
for t in ['t1','t2']:
    o=[r for r in rows if r[t] not in ('NaN','nan')]
    c=corr([math.log(int(r['h'])) for r in o],[float(r[t]) for r in o])
    print(f'{t}: corr(ln h, object score) = {c:.4f} over {len(o)} objects')
