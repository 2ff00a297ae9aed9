"""GPU timing of the exported student ONNX when onnxruntime has no CUDA execution provider: executes the graph op by op
with PyTorch CUDA (only the ops the student exporter writes), checks parity against onnxruntime CPU, times fp32 at batch
1, 32, 64. usage: python3 gpu_torch_exec.py OUT.json MODEL.onnx [MODEL.onnx ...]"""
import json, sys, time
import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F
import onnxruntime as ort

def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

class Graph:
    def __init__(self, path, device):
        m = onnx.load(path)
        self.g = m.graph
        self.init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()).to(device) for t in self.g.initializer}
        self.nodes = [(n.op_type, list(n.input), list(n.output), attrs(n)) for n in self.g.node]
        self.outputs = [o.name for o in self.g.output]

    def run(self, x):
        env = dict(self.init); env["input"] = x
        for op, ins, outs, a in self.nodes:
            v = [env[i] for i in ins]
            if op == "Conv":
                p = a.get("pads", [0, 0, 0, 0])
                assert p[0] == p[2] and p[1] == p[3]
                y = F.conv2d(v[0], v[1], v[2] if len(v) > 2 else None, stride=a.get("strides", [1, 1]),
                             padding=(p[0], p[1]), dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
            elif op == "Relu": y = F.relu(v[0])
            elif op == "Concat": y = torch.cat(v, dim=a["axis"])
            elif op == "Reshape":
                shape = [int(s) for s in v[1].tolist()]
                shape = [v[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
                y = v[0].reshape(shape)
            elif op == "Transpose": y = v[0].permute(*a["perm"])
            elif op == "MatMul": y = torch.matmul(v[0], v[1])
            elif op == "Mul": y = v[0] * v[1]
            elif op == "Div": y = v[0] / v[1]
            elif op == "Add": y = v[0] + v[1]
            elif op == "Erf": y = torch.erf(v[0])
            elif op == "Softmax": y = torch.softmax(v[0], dim=a.get("axis", -1))
            elif op == "BatchNormalization":
                y = F.batch_norm(v[0], v[3], v[4], v[1], v[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op == "LayerNormalization":
                y = F.layer_norm(v[0], v[0].shape[-1:], v[1], v[2], a.get("epsilon", 1e-5))
            elif op == "GlobalMaxPool": y = torch.amax(v[0], dim=(2, 3), keepdim=True)
            elif op == "MaxPool": y = F.max_pool2d(v[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]))
            elif op == "Gather": y = torch.index_select(v[0], a.get("axis", 0), v[1].reshape(-1)).reshape(
                    v[0].shape[:a["axis"]] + v[1].shape + v[0].shape[a["axis"] + 1:])
            elif op == "ReduceMax": y = torch.amax(v[0], dim=tuple(a["axes"]), keepdim=bool(a.get("keepdims", 1)))
            elif op == "Pad":
                p = [int(s) for s in v[1].tolist()]; n = len(p) // 2
                y = F.pad(v[0], (p[3], p[n + 3], p[2], p[n + 2]), mode=a.get("mode", b"constant").decode())
            elif op == "Identity": y = v[0]
            else: raise RuntimeError(f"op {op} not handled")
            env[outs[0]] = y
        return [env[o] for o in self.outputs]

def bench(path, batches, seconds=2.0):
    dev = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    g = Graph(path, dev)
    shape = [d.dim_value for d in onnx.load(path).graph.input[0].type.tensor_type.shape.dim][1:]
    res = {"model": path, "input_chw": shape, "executor": "PyTorch CUDA op-by-op (fp32, TF32 off, cuDNN benchmark)"}
    x = np.random.rand(4, *shape).astype(np.float32)
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x})
    with torch.no_grad():
        got = [t.cpu().numpy() for t in g.run(torch.from_numpy(x).to(dev))]
    res["max_abs_diff_vs_ort_cpu"] = float(max(np.abs(a - b).max() for a, b in zip(ref, got)))
    with torch.no_grad():
        for b in batches:
            xb = torch.rand(b, *shape, device=dev)
            for _ in range(5): g.run(xb)
            torch.cuda.synchronize()
            n, t0 = 0, time.perf_counter()
            while n < 10 or time.perf_counter() - t0 < seconds:
                g.run(xb); n += 1
            torch.cuda.synchronize()
            res[f"fps_batch{b}"] = round(n * b / (time.perf_counter() - t0), 1)
            print(path, b, res[f"fps_batch{b}"], flush=True)
    return res

out = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "onnxruntime": ort.__version__,
       "onnxruntime_providers": ort.get_available_providers(),
       "note": "onnxruntime on the GPU machine has no CUDAExecutionProvider; the exported ONNX graph is executed by PyTorch CUDA",
       "paper_fps": 1480, "paper_gpu": "RTX 3090", "models": [bench(p, [1, 32, 64]) for p in sys.argv[2:]]}
json.dump(out, open(sys.argv[1], "w"), indent=2)
print(json.dumps(out, indent=2))
