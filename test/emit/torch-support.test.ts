/**
 * The support section of the PyTorch target (`compiler/emit/torch/support.ts`): its definitions
 * resolve and print in a stable order, and, where PyTorch is installed, the Python runs and
 * agrees with the references — the custom layers with `scripts/torch_nn.py` (the modules nnc's
 * fixtures were made with) in training and evaluation, clipping with timm's code, the loss with
 * `F.cross_entropy`, and safetensors files both ways with nnc's own reader and writer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ALWAYS, IMPORTS, SUPPORT, supportSection } from "../../compiler/emit/torch/support.js";
import { readSafetensorsFile, writeSafetensors } from "../../runtime/weights/safetensors.js";
import { requireTorch, runPython, SKIP_TORCH, warnSkipped } from "../torch/python.js";

/** The names a section defines at top level, in order. */
function definedNames(section: string): string[] {
  return [...section.matchAll(/^(?:def |class )?([A-Za-z_]\w*)(?: = |\()/gm)].map((m) => m[1]!);
}

describe("supportSection", () => {
  it("resolves every need, and each definition defines its own name", () => {
    for (const [name, definition] of SUPPORT) {
      expect(definedNames(definition.code)[0], name).toBe(name);
      for (const need of definition.needs ?? []) expect(SUPPORT.has(need), `${name} needs ${need}`).toBe(true);
    }
  });

  it("prints ALWAYS with its helpers, dependencies first, each once", () => {
    const names = definedNames(supportSection([]));
    expect(names).toEqual([
      "SAFETENSORS_DTYPES",
      "load_safetensors",
      "save_safetensors",
      "unwrap_model",
      "load_weights",
      "save_weights",
      "unitwise_norm",
      "adaptive_clip_grad",
      "loss",
    ]);
    for (const name of ALWAYS) expect(names).toContain(name);
  });

  it("adds the used names in a stable order, whatever order they come in", () => {
    const section = supportSection(["Standardize", "ScaledStandardizedConv2d", "BatchRenorm", "Standardize"]);
    expect(supportSection(["BatchRenorm", "Standardize", "ScaledStandardizedConv2d"])).toBe(section);
    expect(definedNames(section).slice(9)).toEqual(["per_channel", "BatchRenorm", "scale_weight", "ScaledStandardizedConv2d", "Standardize"]);
    expect(section.split("\n\n\n")).toHaveLength(14);
    expect(() => supportSection(["BatchNorm"])).toThrow(/no support definition named BatchNorm/);
  });

  it("is torch-only Python at column 0, 4-space indented, lines of at most 99 characters", () => {
    expect(IMPORTS).toBe("import json\nimport math\nimport struct\n\nimport torch\nfrom torch import nn\nimport torch.nn.functional as F");
    const section = supportSection(SUPPORT.keys());
    expect(section).not.toMatch(/numpy|safetensors\.torch|^\s*(import|from) /m);
    for (const line of section.split("\n")) {
      expect(line, line).not.toMatch(/\t|\s$/);
      expect([...line].length, line).toBeLessThanOrEqual(99);
      expect(line.match(/^ */)![0].length % 4, line).toBe(0);
    }
  });
});

// Compares the support section with its references; `argv`: the nnc-written checkpoint, the
// path to write one back to, and nnc's scripts directory (for torch_nn.py).
const CHECK = String.raw`
import sys
import torch
from torch import nn
import torch_support as sup

nnc_file, out_file, scripts = sys.argv[1:4]
sys.path.insert(0, scripts)
import torch_nn as ref

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def close(a, b):
    assert a.shape == b.shape and torch.allclose(a, b, rtol=1e-10, atol=1e-12), (a, b)


def compare(make_ref, make_sup, shape):
    a, b = make_ref(), make_sup()
    assert list(a.state_dict()) == list(b.state_dict()), (list(a.state_dict()), list(b.state_dict()))
    with torch.no_grad():
        for name, t in a.state_dict().items():
            t.copy_(torch.rand_like(t) + 0.5 if "running_std" in name or "running_var" in name else torch.randn_like(t))
    b.load_state_dict(a.state_dict())
    for training in (True, True, False):
        a.train(training), b.train(training)
        x = torch.randn(*shape) * 2 + 0.3
        xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
        ya, yb = a(xa), b(xb)
        g = torch.randn_like(ya)
        ya.backward(g), yb.backward(g)
        close(ya, yb), close(xa.grad, xb.grad)
        for pa, pb in zip(a.parameters(), b.parameters()):
            close(pa.grad, pb.grad)
        for ba, bb in zip(a.buffers(), b.buffers()):
            close(ba, bb)


for shape in ([6, 5], [3, 5, 4, 4]):
    compare(lambda: ref.BatchRenorm(5, momentum=0.3, rmax=1.5, dmax=0.5),
            lambda: sup.BatchRenorm(5, momentum=0.3, rmax=1.5, dmax=0.5), shape)
    compare(lambda: ref.SwitchableNorm(5, momentum=0.2), lambda: sup.SwitchableNorm(5, momentum=0.2), shape)
compare(lambda: ref.FilterResponseNorm(5), lambda: sup.FilterResponseNorm(5), [3, 5, 4, 4])
for options in ({}, {"eps": 1e-3, "affine": False}):
    compare(lambda: ref.ChannelNorm2d(5, **options), lambda: sup.ChannelNorm2d(5, **options), [3, 5, 4, 4])
channel_norm = sup.ChannelNorm2d(5, eps=1e-3)
with torch.no_grad():
    channel_norm.weight.uniform_(0.5, 1.5), channel_norm.bias.normal_()
x = torch.randn(2, 5, 3, 4) * 2 + 0.3
pixel_mean, pixel_var = x.mean(dim=1, keepdim=True), x.var(dim=1, unbiased=False, keepdim=True)
per_pixel = (x - pixel_mean) / torch.sqrt(pixel_var + 1e-3)
close(channel_norm(x), channel_norm.weight.view(1, -1, 1, 1) * per_pixel + channel_norm.bias.view(1, -1, 1, 1))
conv = dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, dilation=1, groups=2)
for bias in (True, False):
    for name in ("StandardizedConv2d", "ScaledStandardizedConv2d"):
        compare(lambda: getattr(ref, name)(**conv, bias=bias), lambda: getattr(sup, name)(**conv, bias=bias), [2, 4, 7, 7])
    for name in ("StandardizedLinear", "ScaledStandardizedLinear"):
        compare(lambda: getattr(ref, name)(6, 3, bias=bias), lambda: getattr(sup, name)(6, 3, bias=bias), [4, 6])
assert list(sup.ScaledStandardizedConv2d(4, 6, 3).state_dict()) == ["weight", "bias", "gain"]

x = torch.tensor([1.0, 3.0, 3.0, 0.0, 2.0, 2.0]).view(1, 6, 1, 1).requires_grad_()
y = sup.maxout(x, 3)
y.sum().backward()
assert y.flatten().tolist() == [3, 2] and x.grad.flatten().tolist() == [0, 0.5, 0.5, 0, 0.5, 0.5]
x = torch.randn(2, 12, 3, 4)
for groups, part in ((3, x), (2, x[:, 2:8])):
    # Output channel j·g + i is input channel i·(C/g) + j, also on a slice (not contiguous).
    c = part.shape[1]
    order = [i * (c // groups) + j for j in range(c // groups) for i in range(groups)]
    assert torch.equal(sup.channel_shuffle(part, groups), part[:, order])
standardize = sup.Standardize([0, 1, 2], [1, 2, 4])
assert list(standardize.state_dict()) == [] and standardize.mean.dtype == torch.float32
close(standardize(torch.ones(2, 3)), torch.tensor([[1.0, 0.0, -0.25]] * 2))

# Clipping: timm's adaptive_clip_grad, verbatim but for the loop's filter.
def timm_agc(parameters, clip_factor, eps=1e-3):
    def unitwise_norm(x):
        return x.norm(2.0) if x.ndim <= 1 else x.norm(2.0, dim=tuple(range(1, x.ndim)), keepdim=True)
    for p in parameters:
        if p.grad is None:
            continue
        p_data, g_data = p.detach(), p.grad.detach()
        max_norm = unitwise_norm(p_data).clamp_(min=eps).mul_(clip_factor)
        grad_norm = unitwise_norm(g_data)
        clipped_grad = g_data * (max_norm / grad_norm.clamp(min=1e-6))
        p.grad.detach().copy_(torch.where(grad_norm < max_norm, g_data, clipped_grad))


def net():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(36, 2))
    with torch.no_grad():
        model[0].weight[0] *= 1e-5  # one unit under the eps floor
    model(torch.randn(2, 3, 5, 5)).square().sum().backward()
    return model


for exclude in (None, []):
    a, b = net(), net()
    sup.CLASSIFIER = ("3.weight", "3.bias")
    sup.adaptive_clip_grad(nn.DataParallel(a), 0.01, exclude=exclude)
    timm_agc([p for n, p in b.named_parameters() if exclude is not None or not n.startswith("3.")], 0.01)
    assert all(torch.equal(p.grad, q.grad) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a[0].weight.grad, net()[0].weight.grad)

logits = torch.randn(5, 4, requires_grad=True)
labels = torch.tensor([0, 3, 1, 1, 2])
for smoothing in (0.0, 0.1):
    want = torch.nn.functional.cross_entropy(logits, labels, label_smoothing=smoothing)
    (want_grad,) = torch.autograd.grad(want, logits)
    for sup.OUTPUT, head in (("logits", lambda z: z), ("log_softmax", lambda z: z.log_softmax(1)),
                             ("softmax", lambda z: z.softmax(1))):
        got = sup.loss(head(logits), labels.float(), label_smoothing=smoothing)
        close(got, want), close(torch.autograd.grad(got, logits)[0], want_grad)
close(sup.loss(logits, torch.zeros(5, 4), "mse"), logits.square().mean())

# Safetensors: nnc's file in its declaration order, then every dtype back to nnc.
torch.set_default_dtype(torch.float32)
weights = sup.load_safetensors(nnc_file)
assert list(weights) == ["b.weight", "a.weight", "10"], list(weights)
assert weights["b.weight"].tolist() == [[1.5, -2.0, 0.25]] and weights["10"].shape == (0,)
back = {"a.weight": weights["a.weight"].double(), "b.weight": weights["b.weight"].half(), "10": weights["10"]}
sup.save_safetensors(back, out_file, metadata={"step": 3})
extra = {"f32": torch.randn(2, 3).t(), "bf16": torch.randn(4).bfloat16(), "i64": torch.arange(-3, 3),
         "i32": torch.arange(3, dtype=torch.int32), "i16": torch.tensor([-7, 9], dtype=torch.int16),
         "i8": torch.tensor([-128, 127], dtype=torch.int8), "u8": torch.tensor([0, 255], dtype=torch.uint8),
         "bool": torch.tensor([True, False]), "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 2)}
sup.save_safetensors(extra, out_file + ".all")
loaded = sup.load_safetensors(out_file + ".all")
assert list(loaded) == list(extra)
assert all(loaded[k].dtype == v.dtype and torch.equal(loaded[k], v) for k, v in extra.items())
for header, data in (({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}}, 12),
                     ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, 4),
                     ({"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}, 2)):
    text = sup.json.dumps(header).encode()
    with open(out_file + ".bad", "wb") as file:
        file.write(len(text).to_bytes(8, "little") + text + bytes(data))
    try:
        sup.load_safetensors(out_file + ".bad")
        raise AssertionError(f"accepted {header}")
    except ValueError as error:
        assert "tensor 'w'" in str(error), error

# Checkpoints: nnc's names without num_batches_tracked, through DataParallel, F64 accepted.
model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), sup.Standardize([0.0] * 4, [1.0] * 4))
with torch.no_grad():
    model[1].running_var.uniform_(0.5, 2)
sup.save_weights(nn.DataParallel(model), out_file + ".model")
assert list(sup.load_safetensors(out_file + ".model")) == ["0.weight", "0.bias", "1.weight", "1.bias",
                                                           "1.running_mean", "1.running_var"]
copy = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), sup.Standardize([0.0] * 4, [1.0] * 4))
sup.load_weights(copy, out_file + ".model")
assert all(torch.equal(p, q) for p, q in zip(model.state_dict().values(), copy.state_dict().values()))
state = {k: v.double() for k, v in model.state_dict().items()}
sup.load_weights(nn.DataParallel(copy), state)
assert copy[0].weight.dtype == torch.float32
state["0.weight"] = torch.zeros(4, 3, 1, 1)
del state["1.bias"]
state["extra"] = torch.zeros(1)
try:
    sup.load_weights(copy, state)
    raise AssertionError("accepted a checkpoint that does not fit")
except ValueError as error:
    message = str(error)
    assert "missing 1.bias [4]" in message and "unexpected extra" in message, message
    assert "0.weight: shape [4, 3, 1, 1], the model's [4, 3, 3, 3]" in message, message
print("ok")
`;

describe.skipIf(SKIP_TORCH)("the support section under PyTorch", () => {
  warnSkipped("the PyTorch support section test");
  const dir = mkdtempSync(join(tmpdir(), "nnc-torch-support-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("matches torch_nn.py, timm and F.cross_entropy, and reads and writes nnc's safetensors", () => {
    requireTorch();
    const globals = 'CLASSIFIER = ()\nOUTPUT = "logits"';
    writeFileSync(join(dir, "torch_support.py"), `${IMPORTS}\n\n\n${globals}\n\n\n${supportSection(SUPPORT.keys())}\n`);
    const nncFile = join(dir, "nnc.safetensors");
    const outFile = join(dir, "python.safetensors");
    writeFileSync(
      nncFile,
      writeSafetensors([
        { name: "b.weight", shape: [1, 3], data: Float32Array.of(1.5, -2, 0.25) },
        { name: "a.weight", shape: [2], data: Float32Array.of(0.1, 7) },
        { name: "10", shape: [0], data: new Float32Array(0) },
      ]),
    );
    const run = runPython(CHECK, [nncFile, outFile, resolve("scripts")], dir);
    expect(run.stdout.trim()).toBe("ok");
    const back = readSafetensorsFile(new Uint8Array(readFileSync(outFile)));
    expect([...back.tensors.keys()]).toEqual(["a.weight", "b.weight", "10"]);
    expect(back.metadata).toEqual({ step: "3" });
    expect(back.tensors.get("a.weight")).toEqual({ dtype: "F64", shape: [2], data: Float32Array.of(0.1, 7) });
    expect(back.tensors.get("b.weight")).toEqual({ dtype: "F16", shape: [1, 3], data: Float32Array.of(1.5, -2, 0.25) });
  });
});
