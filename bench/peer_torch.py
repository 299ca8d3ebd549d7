"""PyTorch-in-Python peer for bench/recording-overhead: the same MLP 784-256-10, Fashion-MNIST,
batch 64, plain SGD lr 0.1, one thread; plain training and the naive way to record the same
schedule (64-minibatch gradient ensemble every 100 steps, weights every 10 steps, per-sample
losses every epoch, all on the training thread, saved with numpy)."""
import argparse, gzip, os, tempfile, time
import numpy as np
import torch

def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1874)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--blocks", type=int, default=0, help="only plain training: best and median of this many blocks of --steps")
    ap.add_argument("--data", default=os.environ.get("SGDLENS_DATA_DIR", "/usr/share/datasets/fashion-mnist"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    x = torch.tensor(idx(os.path.join(a.data, "train-images-idx3-ubyte.gz")).reshape(-1, 784), dtype=torch.float32) / 255
    y = torch.tensor(idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz")), dtype=torch.int64)
    n, b = x.shape[0], 64
    per_epoch = n // b

    def run(record):
        torch.manual_seed(1)
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        out = tempfile.mkdtemp()
        perm = None
        start = time.perf_counter()
        for step in range(a.steps + 1):
            if record:
                if step % 10 == 0:
                    np.save(os.path.join(out, f"w{step}.npy"), torch.cat([p.detach().flatten() for p in model.parameters()]).numpy())
                if step % 100 == 0:
                    ens = []
                    order = torch.randperm(n)
                    for m in range(64):
                        rows = order[m * b:(m + 1) * b]
                        model.zero_grad()
                        torch.nn.functional.cross_entropy(model(x[rows]), y[rows]).backward()
                        ens.append(torch.cat([p.grad.flatten() for p in model.parameters()]).numpy().copy())
                    np.save(os.path.join(out, f"g{step}.npy"), np.stack(ens))
                if step % per_epoch == 0:
                    with torch.no_grad():
                        losses = torch.nn.functional.cross_entropy(model(x), y, reduction="none")
                    np.save(os.path.join(out, f"l{step}.npy"), losses.numpy())
            if step == a.steps:
                break
            if step % per_epoch == 0:
                perm = torch.randperm(n)
            rows = perm[(step % per_epoch) * b:(step % per_epoch + 1) * b]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[rows]), y[rows]).backward()
            opt.step()
        return time.perf_counter() - start

    run(False)
    if a.blocks:
        rates, cpu_rates = [], []
        for _ in range(a.blocks):
            c0 = time.thread_time()
            rates.append(a.steps / run(False))
            cpu_rates.append(a.steps / (time.thread_time() - c0))
        rates.sort()
        cpu_rates.sort()
        m = len(rates) // 2
        print(f"PyTorch {torch.__version__} steps/s: best {rates[-1]:.0f}, median {rates[m]:.0f} over {a.blocks} blocks of {a.steps} steps; per CPU-second: best {cpu_rates[-1]:.0f}, median {cpu_rates[m]:.0f}")
        print(f"RESULT torch_best={rates[-1]:.0f} torch_median={rates[m]:.0f} torch_cpu_best={cpu_rates[-1]:.0f} torch_cpu_median={cpu_rates[m]:.0f}")
        return
    plain = min(run(False) for _ in range(a.repeats))
    naive = min(run(True) for _ in range(a.repeats))
    print(f"  PyTorch {torch.__version__} (Python, 1 thread): {a.steps / plain:.0f} steps/s; naive recording of the same schedule: {naive:.2f} s vs {plain:.2f} s plain ({naive / plain:.2f}x)")
    print(f"RESULT torch_steps_per_s={a.steps / plain:.0f} torch_plain_s={plain:.3f} torch_naive_record_s={naive:.3f}")

if __name__ == "__main__":
    main()
