# Diagnosis only (test labels read for reporting, nothing selected): per test clip, the level of normal frames and of
# abnormal frames, for the shipped student, a v28 student and the plain mean of the v22 teachers' frame scores.
import sys,statistics as st,math
L='/work/shared/data/ped2/testing/labels/%s.txt'
def load(d,v): return [float(x) for x in open('%s/%s.txt'%(d,v))]
def smooth(x,s=3):
    r=int(3*s); k=[math.exp(-i*i/(2*s*s)) for i in range(-r,r+1)]; out=[]
    for i in range(len(x)):
        num=den=0
        for j,w in zip(range(i-r,i+r+1),k):
            if 0<=j<len(x): num+=w*x[j]; den+=w
        out.append(num/den)
    return out
vids=['%02d'%i for i in range(1,13)]
srcs={'student shipped':lambda v:load('/work/main/bench/results/ped2/student/scores',v),
      'v28 s44 e9':lambda v:load('/tmp/v28cmp/ped2-cpu-v28-kd-crowded-seed44-epoch-09',v),
      'teachers mean v22':lambda v:[(a+b)/2 for a,b in zip(load('/work/v22-test/t1',v),load('/work/v22-test/t2',v))]}
for name,f in srcs.items():
    print(name)
    allv=[];alll=[]
    for v in vids:
        s=smooth(f(v)); lab=[int(x) for x in open(L%v)]
        n=[a for a,l in zip(s,lab) if l==0]; a=[a for a,l in zip(s,lab) if l==1]
        print('  %s normal median %.3f q90 %.3f | abnormal median %s'%(v,st.median(n) if n else float('nan'),sorted(n)[int(.9*(len(n)-1))] if n else float('nan'),'%.3f'%st.median(a) if a else '-'))
