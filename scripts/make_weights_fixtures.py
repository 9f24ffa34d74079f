"""Writes the PyTorch-made safetensors fixtures of test/weights (run by hand, then commit).

The `safetensors` Python package is not available here, so the files are written byte by byte
as the format defines them: an 8-byte little-endian header length, a UTF-8 JSON header padded
with spaces to a multiple of 8 bytes, then each tensor's raw little-endian data.

The model is a PyTorch `nn.Sequential(conv, batchnorm, relu, flatten, linear)` after one
training step, so its running statistics are not the initial ones and `num_batches_tracked` is 1.
Its tensors are stored in several dtypes to exercise the reader's conversions, and an int64
`num_batches_tracked` that the reader must parse and matching must ignore:

- torch-declared.safetensors: header keys in `state_dict` order, no `order` metadata.
- torch-sorted.safetensors: keys sorted as `safetensors.torch.save_file` sorts them (by
  alignment, then name), with the declaration order in the `order` metadata.
- torch-expected.json: for each tensor, its dtype, shape and values as float32 would hold them.

Usage: /usr/bin/python3 scripts/make_weights_fixtures.py
"""
import json
import os
import struct

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "weights")

# The dtype each state_dict entry is stored as; everything else is F32.
STORED_AS = {
    "1.bias": torch.bfloat16,
    "1.running_mean": torch.float64,
    "4.weight": torch.float16,
}

NAMES = {
    torch.float32: ("F32", 4),
    torch.float16: ("F16", 2),
    torch.bfloat16: ("BF16", 2),
    torch.float64: ("F64", 8),
    torch.int64: ("I64", 8),
}


def make_state():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(16, 2))
    with torch.no_grad():
        net[1].weight.uniform_(0.5, 1.5)
        net[1].bias.uniform_(-0.5, 0.5)
    net.train()
    net(torch.randn(2, 3, 4, 4))
    return {name: t.detach().to(STORED_AS.get(name, t.dtype)) for name, t in net.state_dict().items()}


def raw_bytes(t):
    """Little-endian bytes of a tensor; bfloat16 has no numpy type, so it goes through int16."""
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    array = t.contiguous().numpy()
    return array.astype(array.dtype.newbyteorder("<")).tobytes()


def write(path, state, names, metadata):
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name in names:
        data = raw_bytes(state[name])
        header[name] = {"dtype": NAMES[state[name].dtype][0], "shape": list(state[name].shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def main():
    state = make_state()
    declared = list(state)
    write(os.path.join(OUT, "torch-declared.safetensors"), state, declared, {"format": "pt"})
    by_alignment = sorted(declared, key=lambda n: (-NAMES[state[n].dtype][1], n))
    write(os.path.join(OUT, "torch-sorted.safetensors"), state, by_alignment, {"format": "pt", "order": json.dumps(declared)})
    expected = {
        "order": declared,
        "tensors": {
            name: {"dtype": NAMES[t.dtype][0], "shape": list(t.shape), "values": t.float().flatten().tolist()}
            for name, t in state.items()
        },
    }
    with open(os.path.join(OUT, "torch-expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
