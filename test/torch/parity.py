"""The PyTorch half of test/torch/parity.test.ts: runs nnc's generated PyTorch modules.

Usage: python3 -c "$(cat parity.py)" CASES.json, in the directory of the generated files.
CASES.json lists {"name", "loss", "step"}; for each case the directory holds <name>.py (nnc compile
--target torch), <name>.weights.safetensors (the checkpoint) and <name>.data.safetensors:
  x, target       the input and the loss target
  draws.forward,  the uniform draws nnc's dropout took in the training forward and in the
  draws.step      training step
  relu.calls      how many ReLUs nnc's training step ran
  relu.kinks      [k, 3]: (call, flat index, 1 if positive) for each ReLU input of nnc's step
                  within 1e-5 of its tensor's largest magnitude
Writes <name>.torch.safetensors with, each from a fresh load of the checkpoint:
  eval               the output in eval mode
  script             the output of torch.jit.script of the module, in eval mode
  train              the output of one forward in train mode
  state.<key>        state_dict() after that forward (num_batches_tracked left out)
  loss, grad.<name>  the file's loss() of another train-mode forward, and each parameter's
                     gradient after backward() (only where the case's "step" is true)
  relu.flipped       how many ReLU inputs were taken to nnc's side of the kink against PyTorch's
and <name>.errors.json: {"script": message} where torch.jit.script failed, else {}.

In the training runs F.dropout and F.relu are replaced (and restored after): dropout drops
where nnc's draws say (an element is kept where its draw is at least p, as nnc keeps it), and
ReLU takes nnc's side of the kink at the inputs nnc recorded.
"""
import contextlib
import importlib
import json
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


class DropoutReplay:
    """F.dropout that drops where nnc's recorded draws say, consuming them in order."""

    def __init__(self, draws):
        self.draws, self.used = draws.double(), 0

    def __call__(self, x, p=0.5, training=True, inplace=False):
        if not training or p == 0:
            return x
        count = x.numel()
        if self.used + count > self.draws.numel():
            raise RuntimeError(f"dropout needs {count} draws after {self.used}; nnc drew {self.draws.numel()}")
        u = self.draws[self.used:self.used + count].reshape(x.shape)
        self.used += count
        return x * ((u >= p).to(x.dtype) / (1 - p))


class ReluReplay:
    """F.relu that takes nnc's side of the kink where nnc's input was within rounding of it."""

    def __init__(self, kinks):
        self.sides, self.calls, self.flipped = {}, 0, 0
        for call, index, positive in kinks.long().tolist():
            self.sides.setdefault(call, []).append((index, positive == 1))

    def __call__(self, x, inplace=False):
        mask = (x > 0).reshape(-1)
        sides = self.sides.get(self.calls, [])
        self.calls += 1
        if sides:
            index = torch.tensor([i for i, _ in sides])
            side = torch.tensor([s for _, s in sides])
            self.flipped += int((mask[index] != side).sum())
            mask = mask.clone()
            mask[index] = side
        return x * mask.reshape(x.shape).to(x.dtype)


@contextlib.contextmanager
def replaying(what, draws, kinks=None, relu_calls=None):
    """Runs the body with nnc's dropout draws (and ReLU sides), checking that it used them all."""
    dropout, relu = DropoutReplay(draws), ReluReplay(kinks) if kinks is not None else None
    saved = F.dropout, F.relu
    F.dropout = dropout
    if relu is not None:
        F.relu = relu
    try:
        yield relu
    finally:
        F.dropout, F.relu = saved
    if dropout.used != dropout.draws.numel():
        raise RuntimeError(f"{what}: nnc drew {dropout.draws.numel()} numbers, dropout used {dropout.used}")
    if relu is not None and relu.calls != relu_calls:
        raise RuntimeError(f"{what}: nnc ran {relu_calls} ReLUs, PyTorch {relu.calls}")


def fresh(module, name, training):
    model = module.MODEL()
    module.load_weights(model, f"{name}.weights.safetensors")
    return model.train(training)


def run_case(case):
    name = case["name"]
    module = importlib.import_module(name)
    data = module.load_safetensors(f"{name}.data.safetensors")
    x = data["x"]
    results, errors = {}, {}

    with torch.no_grad():
        results["eval"] = fresh(module, name, False)(x)
        try:
            results["script"] = torch.jit.script(fresh(module, name, False))(x)
        except Exception as error:
            errors["script"] = str(error)

        model = fresh(module, name, True)
        with replaying(f"{name}: training forward", data["draws.forward"]):
            results["train"] = model(x)
        for key, value in model.state_dict().items():
            if key.rpartition(".")[2] != "num_batches_tracked":
                results[f"state.{key}"] = value

    if case["step"]:
        training_step(module, name, x, data, case["loss"], results)
    tensors = {key: value.detach().float() for key, value in results.items()}
    module.save_safetensors(tensors, f"{name}.torch.safetensors")
    with open(f"{name}.errors.json", "w") as file:
        json.dump(errors, file)


def training_step(module, name, x, data, loss_kind, results):
    """The loss of a train-mode forward with nnc's dropout draws and ReLU sides, and its gradients."""
    model = fresh(module, name, True)
    calls = int(data["relu.calls"].item())
    with replaying(f"{name}: training step", data["draws.step"], data["relu.kinks"], calls) as relu:
        loss = module.loss(model(x), data["target"], loss_kind)
    loss.backward()
    results["loss"] = loss.reshape(1)
    results["relu.flipped"] = torch.tensor([float(relu.flipped)])
    for key, parameter in model.named_parameters():
        results[f"grad.{key}"] = parameter.grad if parameter.grad is not None else torch.zeros_like(parameter)


def main():
    with open(sys.argv[1]) as file:
        cases = json.load(file)
    for case in cases:
        try:
            run_case(case)
        except Exception as error:
            raise RuntimeError(f"case {case['name']}: {error}") from error


main()
