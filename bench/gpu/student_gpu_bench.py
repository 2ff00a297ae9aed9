"""Times the exported student ONNX on the lent GPU machine (no .NET there; Python with onnx, onnxruntime, PyTorch).

ONNX Runtime's CUDA execution provider is used when that machine's onnxruntime has it. When it does not (its wheel is
the CPU build and no other can be fetched there), the same ONNX graph is executed node by node with PyTorch CUDA ops
by the small interpreter below, after checking that its outputs match ONNX Runtime's on the same input.
Usage: python3 student_gpu_bench.py MODEL.onnx OUT.json
"""
import json, sys, time, platform
import numpy as np
import onnx
from onnx import numpy_helper
import onnxruntime as ort
import torch
import torch.nn.functional as F

model_path, out_path = sys.argv[1], sys.argv[2]
model = onnx.load(model_path)
graph = model.graph
inp = graph.input[0]
dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
C, H, W = dims[1], dims[2], dims[3]
outputs = [o.name for o in graph.output]
result = {"model": model_path, "input": [C, H, W], "outputs": outputs, "ort_version": ort.__version__,
          "ort_providers": ort.get_available_providers(), "torch": torch.__version__,
          "gpu": torch.cuda.get_device_name(0), "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
          "host_cpu": platform.processor(), "batches": {}}
print(json.dumps({k: result[k] for k in ("ort_version", "ort_providers", "gpu")}), flush=True)

def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

dev = torch.device("cuda")
def place(arr):
    # Integer tensors are shapes/indices: they stay on the CPU so that Reshape & co. never sync with the GPU
    # (which also keeps the graph capturable by CUDA graphs); float tensors live on the GPU.
    t = torch.from_numpy(arr.copy())
    return t if t.dtype in (torch.int64, torch.int32) else t.to(dev)

inits = {t.name: place(numpy_helper.to_array(t)) for t in graph.initializer}
for n in graph.node:
    if n.op_type == "Constant":
        inits[n.output[0]] = place(numpy_helper.to_array(onnx.helper.get_attribute_value(n.attribute[0])))

def pads_for(a, nd):
    p = a.get("pads", [0] * (2 * nd))
    return p

gpu_index_cache = {}

def run_graph(x):
    env = dict(inits)
    env[inp.name] = x
    for n in graph.node:
        a = attrs(n)
        i = [env[k] if k else None for k in n.input]
        op = n.op_type
        if op == "Conv":
            w = i[1]; b = i[2] if len(i) > 2 else None
            p = pads_for(a, 2); s = a.get("strides", [1, 1]); d = a.get("dilations", [1, 1]); g = a.get("group", 1)
            xx = i[0]
            if p[0] != p[2] or p[1] != p[3]:
                xx = F.pad(xx, (p[1], p[3], p[0], p[2])); p = [0, 0, 0, 0]
            y = F.conv2d(xx, w, b, s, (p[0], p[1]), d, g)
        elif op == "ConvTranspose":
            p = pads_for(a, 2); s = a.get("strides", [1, 1]); op_ = a.get("output_padding", [0, 0])
            y = F.conv_transpose2d(i[0], i[1], i[2] if len(i) > 2 else None, s, (p[0], p[1]), tuple(op_), a.get("group", 1))
        elif op == "Relu": y = F.relu(i[0])
        elif op == "LeakyRelu": y = F.leaky_relu(i[0], a.get("alpha", 0.01))
        elif op == "Sigmoid": y = torch.sigmoid(i[0])
        elif op == "Tanh": y = torch.tanh(i[0])
        elif op == "Erf": y = torch.erf(i[0])
        elif op == "Gelu": y = F.gelu(i[0], approximate="tanh" if a.get("approximate", b"none") in (b"tanh", "tanh") else "none")
        elif op == "Add": y = i[0] + i[1]
        elif op == "Sub": y = i[0] - i[1]
        elif op == "Mul": y = i[0] * i[1]
        elif op == "Div": y = i[0] / i[1]
        elif op == "Pow": y = torch.pow(i[0], i[1])
        elif op == "Sqrt": y = torch.sqrt(i[0])
        elif op == "MatMul": y = torch.matmul(i[0], i[1])
        elif op == "Gemm":
            A = i[0].t() if a.get("transA", 0) else i[0]; B = i[1].t() if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (A @ B) + (a.get("beta", 1.0) * i[2] if len(i) > 2 and i[2] is not None else 0)
        elif op == "Softmax": y = torch.softmax(i[0], dim=a.get("axis", -1))
        elif op == "Reshape":
            shape = [int(v) for v in i[1].tolist()]
            shape = [i[0].shape[k] if v == 0 else v for k, v in enumerate(shape)]
            y = i[0].reshape(shape)
        elif op == "Transpose": y = i[0].permute(*a["perm"])
        elif op == "Concat": y = torch.cat([t for t in i], dim=a["axis"])
        elif op == "Flatten": y = torch.flatten(i[0], a.get("axis", 1))
        elif op == "Identity": y = i[0]
        elif op == "MaxPool":
            p = pads_for(a, 2)
            y = F.max_pool2d(i[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]), (p[0], p[1]), ceil_mode=bool(a.get("ceil_mode", 0)))
        elif op == "AveragePool":
            p = pads_for(a, 2)
            y = F.avg_pool2d(i[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]), (p[0], p[1]), ceil_mode=bool(a.get("ceil_mode", 0)),
                             count_include_pad=bool(a.get("count_include_pad", 0)))
        elif op == "GlobalMaxPool": y = torch.amax(i[0], dim=(2, 3), keepdim=True)
        elif op == "GlobalAveragePool": y = torch.mean(i[0], dim=(2, 3), keepdim=True)
        elif op in ("ReduceMax", "ReduceMean"):
            axes = a.get("axes") or (i[1].tolist() if len(i) > 1 and i[1] is not None else list(range(i[0].dim())))
            kd = bool(a.get("keepdims", 1))
            y = torch.amax(i[0], dim=tuple(axes), keepdim=kd) if op == "ReduceMax" else torch.mean(i[0], dim=tuple(axes), keepdim=kd)
        elif op == "Pad":
            pads = [int(v) for v in i[1].tolist()]; nd = len(pads) // 2
            tp = []
            for k in reversed(range(nd)): tp += [pads[k], pads[k + nd]]
            mode = a.get("mode", b"constant"); mode = mode.decode() if isinstance(mode, bytes) else mode
            y = F.pad(i[0], tp, mode={"constant": "constant", "reflect": "reflect", "edge": "replicate"}[mode])
        elif op == "BatchNormalization":
            y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get("epsilon", 1e-5))
        elif op == "LayerNormalization":
            axis = a.get("axis", -1); shape = i[0].shape[axis:]
            y = F.layer_norm(i[0], shape, i[1], i[2] if len(i) > 2 else None, a.get("epsilon", 1e-5))
        elif op == "Resize":
            sizes = i[3] if len(i) > 3 and i[3] is not None else None
            mode = a.get("mode", b"nearest"); mode = mode.decode() if isinstance(mode, bytes) else mode
            if sizes is not None: y = F.interpolate(i[0], size=[int(v) for v in sizes.tolist()[2:]], mode="nearest" if mode == "nearest" else "bilinear")
            else: y = F.interpolate(i[0], scale_factor=[float(v) for v in i[2].tolist()[2:]], mode="nearest" if mode == "nearest" else "bilinear")
        elif op == "Shape": y = torch.tensor(list(i[0].shape), dtype=torch.int64)
        elif op == "Gather":
            # numpy.take semantics: out shape = x.shape[:axis] + idx.shape + x.shape[axis+1:]
            ax = a.get("axis", 0) % i[0].dim(); idx = i[1].long()
            idx = torch.where(idx < 0, idx + i[0].shape[ax], idx)
            if i[0].is_cuda:  # the index moves to the GPU once (first run), never during a CUDA-graph capture
                gidx = gpu_index_cache.get(n.output[0])
                if gidx is None or gidx.shape != idx.reshape(-1).shape:
                    gidx = gpu_index_cache[n.output[0]] = idx.reshape(-1).to(dev)
            else:
                gidx = idx.reshape(-1)
            y = torch.index_select(i[0], ax, gidx).reshape(list(i[0].shape[:ax]) + list(idx.shape) + list(i[0].shape[ax + 1:]))
        elif op == "Unsqueeze":
            axes = a.get("axes") or i[1].tolist(); y = i[0]
            for ax in sorted(axes): y = y.unsqueeze(ax)
        elif op == "Squeeze":
            axes = a.get("axes") or (i[1].tolist() if len(i) > 1 else None); y = i[0].squeeze() if axes is None else i[0].squeeze(tuple(axes))
        elif op == "Constant": continue  # materialised once at load (see inits)
        elif op == "Cast": y = i[0]
        elif op == "Slice":
            starts, ends = i[1].tolist(), i[2].tolist()
            axes = i[3].tolist() if len(i) > 3 and i[3] is not None else list(range(len(starts)))
            steps = i[4].tolist() if len(i) > 4 and i[4] is not None else [1] * len(starts)
            idx = [slice(None)] * i[0].dim()
            for s_, e_, ax, st in zip(starts, ends, axes, steps): idx[ax] = slice(s_, min(e_, i[0].shape[ax]), st)
            y = i[0][tuple(idx)]
        elif op == "Split":
            ax = a.get("axis", 0)
            split = a.get("split") or (i[1].tolist() if len(i) > 1 and i[1] is not None else None)
            parts = torch.split(i[0], split, dim=ax) if split else torch.chunk(i[0], len(n.output), dim=ax)
            for name, t in zip(n.output, parts): env[name] = t
            continue
        else:
            raise SystemExit(f"unsupported op in the torch interpreter: {op}")
        env[n.output[0]] = y
    return [env[o] for o in outputs]

# ONNX Runtime: CUDA EP when present, else CPU (for the parity check and a CPU figure on this machine's cores).
providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if "CUDAExecutionProvider" in ort.get_available_providers() else ["CPUExecutionProvider"]
sess = ort.InferenceSession(model_path, providers=providers)
result["ort_session_providers"] = sess.get_providers()
rng = np.random.default_rng(0)
x = rng.random((2, C, H, W), dtype=np.float32)
ref = sess.run(outputs, {inp.name: x})
torch.backends.cudnn.benchmark = True
# strict fp32 (no TF32) so the figures are for the same arithmetic as the CPU runtimes
torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False
with torch.inference_mode():
    got = [t.float().cpu().numpy() for t in run_graph(torch.from_numpy(x).to(dev))]
result["torch_vs_ort_max_abs_diff"] = float(max(np.abs(a - b).max() for a, b in zip(ref, got)))
print("parity torch-cuda vs ort:", result["torch_vs_ort_max_abs_diff"], flush=True)

def timeit(fn, batch, seconds=3.0):
    fn(); fn(); torch.cuda.synchronize()
    n = 0; t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn(); n += 1
    torch.cuda.synchronize()
    return batch * n / (time.perf_counter() - t0)

for batch in (1, 32, 64, 256):
    row = {}
    xb = torch.rand((batch, C, H, W), device=dev)
    with torch.inference_mode():
        row["torch_cuda_eager_fps"] = round(timeit(lambda: run_graph(xb), batch), 1)
        # CUDA graph replay of the same interpreter: removes Python/launch overhead (what a C++ runtime would pay).
        try:
            static_in = xb.clone()
            s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(3): run_graph(static_in)
            torch.cuda.current_stream().wait_stream(s)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g): static_out = run_graph(static_in)
            row["torch_cuda_graph_fps"] = round(timeit(g.replay, batch), 1)
        except Exception as e:  # noqa: BLE001 - report, don't hide
            row["torch_cuda_graph_error"] = str(e)[:200]
    if "CUDAExecutionProvider" in sess.get_providers():
        xn = xb.cpu().numpy()
        t0 = time.perf_counter(); n = 0
        sess.run(outputs, {inp.name: xn})
        while time.perf_counter() - t0 < 3: sess.run(outputs, {inp.name: xn}); n += 1
        row["ort_cuda_fps"] = round(batch * n / (time.perf_counter() - t0), 1)
    result["batches"][str(batch)] = row
    print(batch, row, flush=True)

# ORT CPU on this machine's cores, batch 32, for scale.
cpu = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
xn = rng.random((32, C, H, W), dtype=np.float32)
cpu.run(outputs, {inp.name: xn})
t0 = time.perf_counter(); n = 0
while time.perf_counter() - t0 < 3: cpu.run(outputs, {inp.name: xn}); n += 1
result["ort_cpu_fps_batch32_device_host"] = round(32 * n / (time.perf_counter() - t0), 1)
result["paper_fps_rtx3090"] = 1480
json.dump(result, open(out_path, "w"), indent=2)
print(json.dumps(result, indent=2))
