import csv,math,collections
def corr(x,y):
    n=len(x); mx=sum(x)/n; my=sum(y)/n
    sxy=sum((a-mx)*(b-my) for a,b in zip(x,y)); sxx=sum((a-mx)**2 for a in x); syy=sum((b-my)**2 for b in y)
    return sxy/math.sqrt(sxx*syy)
def q(v,p): v=sorted(v); return v[int(p*(len(v)-1))]
for f in ['/tmp/t2diag/train.csv','/tmp/t2diag/test.csv']:
    rows=list(csv.DictReader(open(f)))
    fr=collections.defaultdict(list)
    for r in rows: fr[(r['video'],r['frame'])].append(r)
    data=[]
    for key,rs in fr.items():
        for r in rs:
            if r['label']!='object': continue
            x,y,w,h=(int(r[k]) for k in 'xywh'); side=max(1.15*max(w,h),32); cx=x+w/2; cy=y+h/2
            sx0,sy0,sx1,sy1=cx-side/2,cy-side/2,cx+side/2,cy+side/2
            n=sum(1 for o in rs if o is not r and int(o['x'])<sx1 and int(o['x'])+int(o['w'])>sx0 and int(o['y'])<sy1 and int(o['y'])+int(o['h'])>sy0)
            data.append((r['video'],n,float(r['t1']),float(r['t2'])))
    for name,sel in ([('held-out 14-16',lambda v:v>='14'),('fit 01-13',lambda v:v<'14')] if 'train' in f else [('test (unlabelled)',lambda v:True)]):
        d=[x for x in data if sel(x[0])]
        print(f[12:17],name,len(d),'objects; neighbours in stack square: mean %.2f'%(sum(x[1] for x in d)/len(d)),
              ' corr with T1 %.3f  T2 %.3f'%(corr([x[1] for x in d],[x[2] for x in d]),corr([x[1] for x in d],[x[3] for x in d])))
        for k in [0,1,2]:
            dd=[x for x in d if (x[1]==k if k<2 else x[1]>=2)]
            if dd: print('    neighbours %s: %5d objects, T2 median %.3f, T1 median %.3f'%(str(k) if k<2 else '>=2',len(dd),q([x[3] for x in dd],.5),q([x[2] for x in dd],.5)))
