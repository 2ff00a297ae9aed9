# Test figures (reported after the selection, not used): each run's glide pick within epochs 1-12, for v25 (v24 maps)
# and for the same recipe on the v22 maps (v17's first 12 epochs = v16-kd), seeds 42-44.
# Other runs: picks-vs-v22-maps.py SELECT_LOG OUT_JSON SCORES_DIR maps=RUN_PREFIX [maps=RUN_PREFIX ...] (../v27-kd-v26maps/picks.sh).
import re,json,os,subprocess,collections,csv,math,sys
if len(sys.argv)>4:
    log,outjson,cmpdir=sys.argv[1:4]; groups=[tuple(a.split('=',1)) for a in sys.argv[4:]]
else:
    log,outjson,cmpdir='/work/sel-glide9b.log','/work/v25cmp.json','/tmp/v25cmp'
    groups=[('v24','runs/student/ped2-cpu-v25-kd-v24maps-seed'),('v22','runs/student/ped2-cpu-v17-kd-seed')]
rows=collections.defaultdict(list)
for l in open(log):
    m=re.match(r'(\S+) (epoch-(\d+)): in-context AUC ([\d.]+).*crowd correlation ([-\d.]+)',l)
    if m: rows[m.group(1)].append((m.group(2),int(m.group(3)),float(m.group(4)),float(m.group(5))))
def q(v,p): v=sorted(v); return v[int(p*(len(v)-1))]
def corr(x,y):
    n=len(x); mx=sum(x)/n; my=sum(y)/n
    return sum((a-mx)*(b-my) for a,b in zip(x,y))/math.sqrt(sum((a-mx)**2 for a in x)*sum((b-my)**2 for b in y))
# the crowd-drift column needs a teachers' test --dump-objects; without it the column is left out
dump=list(csv.DictReader(open('/tmp/t2diag/test.csv'))) if os.path.exists('/tmp/t2diag/test.csv') else []
objs=collections.Counter(r['video'] for r in dump); frames=collections.defaultdict(set)
for r in dump: frames[r['video']].add(r['frame'])
out=[]
for maps,prefix in groups:
    for run in sorted(r for r in rows if r.startswith(prefix)):
        el=[r for r in rows[run] if r[1]<=12 and r[3]<=0.10]
        ep,_,auc,cc=max(el,key=lambda r:(r[2],r[1]))
        od='%s/%s-%s'%(cmpdir,os.path.basename(run),ep)
        if not os.path.exists(od+'-eval.json'):
            subprocess.run(['dotnet',os.environ.get('STUDENT_BIN','/work/student-bin-v28')+'/Vad.Student.dll','score','--model','%s/epochs/%s.onnx'%(run,ep),'--dataset','../shared/data/ped2','--split','test','--out',od,'--overlays','0'],cwd='/work/main',capture_output=True,env=dict(os.environ,VAD_ROOT='/work/main'))
            subprocess.run(['./vad','eval','--dataset','../shared/data/ped2','--scores',od,'--sigma','3','--json',od+'-eval.json'],cwd='/work/main',capture_output=True)
        d=json.load(open(od+'-eval.json'))
        xs=[];ys=[]
        for v in sorted(objs):
            sc=[float(x) for x in open('%s/%s.txt'%(od,v))]; xs.append(objs[v]/len(frames[v])); ys.append(q(sc,.1))
        r=dict(maps=maps,run=os.path.basename(run),epoch=ep,glide_auc=auc,crowd_corr=cc,test_micro=round(d['micro_auc'],4),test_macro=round(d['macro_auc'],4))
        if xs: r['clip_q10_vs_objects_per_frame']=round(corr(xs,ys),3)
        out.append(r); print(r,flush=True)
json.dump(out,open(outjson,'w'),indent=1)
