"""One training step (forward, cross-entropy, backward, SGD with momentum) of the training
benchmark's models in PyTorch on one thread, timed as `npm run bench:train` times nnc's.

    python3 bench/train-torch.py MODEL BATCH WARMUP STEPS   # MODEL: mnist | resnet20
    python3 bench/train-torch.py MODEL BATCH WARMUP --serve

Prints one JSON line: {"median_ms": ..., "steps": [...]}, and the BLAS torch's dense layers run
on ("blas"): Debian's python3-torch links the system's libblas.so.3, which is the reference
(netlib) BLAS, about 6 GFLOP/s, unless OpenBLAS is installed (`apt-get install
libopenblas0-pthread`); its threads are held to one here like torch's.

With `--serve`, after the warm-up it prints {"ready": true, "blas": ...} and then, for each line
N read from standard input, runs N steps and prints {"steps": [...]}: `npm run bench:train` times
its steps in turns with nnc's this way, so that a change in the machine's load weighs on both.
"""
import json
import os
import statistics
import sys
import time

# Before torch loads OpenBLAS, which otherwise starts a thread per core.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)


def mnist_net():
    """bench/mnist-net.nn."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )


class Basic(nn.Module):
    """examples/resnet20.nn's Basic block."""

    def __init__(self, cin, c, stride=1):
        super().__init__()
        self.y = nn.Sequential(
            nn.Conv2d(cin, c, 3, stride, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
            nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c),
        )
        self.s = nn.Identity() if stride == 1 and cin == c else nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return torch.relu(self.y(x) + self.s(x))


def resnet20(width=16):
    """examples/resnet20.nn."""
    layers = [nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    cin = width
    for c, stride in [(width, 1), (2 * width, 2), (4 * width, 2)]:
        for k in range(3):
            layers.append(Basic(cin, c, stride if k == 0 else 1))
            cin = c
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10)]
    return nn.Sequential(*layers)


def main():
    name, batch, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    model, shape = (mnist_net(), [batch, 1, 28, 28]) if name == "mnist" else (resnet20(), [batch, 3, 32, 32])
    model.train()
    x = torch.randn(shape)
    target = torch.randint(0, 10, (batch,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=False)
        loss = loss_fn(model(x), target)
        loss.backward()
        optimizer.step()

    def timed(count):
        times = []
        for _ in range(count):
            start = time.perf_counter()
            step()
            times.append((time.perf_counter() - start) * 1000)
        return times

    for _ in range(warmup):
        step()
    if sys.argv[4] == "--serve":
        print(json.dumps({"ready": True, "blas": blas()}), flush=True)
        for line in sys.stdin:
            print(json.dumps({"steps": timed(int(line))}), flush=True)
        return
    times = timed(int(sys.argv[4]))
    print(json.dumps({"median_ms": statistics.median(times), "steps": times, "blas": blas()}))


def blas():
    """The BLAS library this process loaded, from its memory map (Linux), or "unknown"."""
    try:
        with open("/proc/self/maps") as maps:
            libraries = maps.read()
    except OSError:
        return "unknown"
    if "openblas" in libraries:
        return "OpenBLAS"
    if "libmkl" in libraries:
        return "MKL"
    if "/blas/libblas.so" in libraries:
        return "reference BLAS (netlib)"
    return "unknown"


main()
