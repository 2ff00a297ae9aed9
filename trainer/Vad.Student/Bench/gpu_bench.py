"""Times the exported student ONNX with onnxruntime's CUDA execution provider (the GPU machine has Python, no .NET).
usage: python3 gpu_bench.py OUT.json MODEL.onnx [MODEL.onnx ...]"""
import json, sys, time, platform
import numpy as np
import onnxruntime as ort

def gpu_name():
    try:
        import torch
        return torch.cuda.get_device_name(0)
    except Exception as e:  # torch missing or no CUDA
        return f"unknown ({e})"

def time_model(path, batches, seconds=2.0):
    providers = ort.get_available_providers()
    res = {"model": path, "available_providers": providers}
    if "CUDAExecutionProvider" not in providers:
        res["error"] = "onnxruntime has no CUDAExecutionProvider here"
        return res
    sess = ort.InferenceSession(path, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    res["session_providers"] = sess.get_providers()
    shape = sess.get_inputs()[0].shape
    outs = [o.name for o in sess.get_outputs()]
    for b in batches:
        x = np.random.rand(b, *shape[1:]).astype(np.float32)
        # host->device copy per call (what a server feeding numpy pays)
        sess.run(outs, {"input": x})
        n, t0 = 0, time.perf_counter()
        while n < 5 or time.perf_counter() - t0 < seconds:
            sess.run(outs, {"input": x}); n += 1
        host_fps = n * b / (time.perf_counter() - t0)
        # input already on the GPU, outputs left there: the model's own throughput
        io = sess.io_binding()
        xv = ort.OrtValue.ortvalue_from_numpy(x, "cuda", 0)
        io.bind_ortvalue_input("input", xv)
        for o in outs: io.bind_output(o, "cuda", 0)
        sess.run_with_iobinding(io)
        n, t0 = 0, time.perf_counter()
        while n < 5 or time.perf_counter() - t0 < seconds:
            sess.run_with_iobinding(io); n += 1
        dev_fps = n * b / (time.perf_counter() - t0)
        res[f"batch{b}"] = {"fps_host_io": round(host_fps, 1), "fps_device_io": round(dev_fps, 1)}
        print(path, b, res[f"batch{b}"], flush=True)
    return res

out = {"gpu": gpu_name(), "onnxruntime": ort.__version__, "python": platform.python_version(), "precision": "fp32",
       "paper_fps": 1480, "paper_gpu": "RTX 3090", "models": [time_model(p, [1, 32, 64]) for p in sys.argv[2:]]}
json.dump(out, open(sys.argv[1], "w"), indent=2)
print(json.dumps(out, indent=2))
