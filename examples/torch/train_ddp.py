"""Train a model that `nnc compile --target torch` wrote, with DistributedDataParallel.

    nnc compile model.nn --target torch -o gen/
    torchrun --standalone --nproc_per_node=2 examples/torch/train_ddp.py \
        --module gen/model.py --data train.safetensors --epochs 1 --batch 32 --out run/

writes run/model.safetensors: the trained weights under nnc's parameter names, ready for
`nnc compile --weights run/model.safetensors` (TypeScript or ONNX) or `nnc train --weights`.

Each process trains one replica on its share of every step's examples; DDP averages the
gradients across processes during backward(), so every replica takes the same optimizer step.
Under torchrun the script joins a process group (NCCL on CUDA, else gloo) and wraps the model in
DDP, even with one process. Run with plain `python3` instead, it trains the bare module in one
process: no process group, no DDP wrapper.

Data order. The examples of an epoch come from DistributedSampler with the seed: one permutation
of the data set per epoch, which depends only on the seed and the epoch, dealt out in turn
(process r takes places r, r + W, r + 2W, ... of it, W processes). So at each step the W
processes together see exactly the W·B examples that one process at batch W·B sees, and since
DDP averages the per-process mean gradients, W processes at batch B take the same steps as one
at batch W·B, up to float rounding, for a model whose layers treat examples independently in
training (layer, group and instance normalization do; BatchNorm, whose statistics are each
process's own, does not, unless --sync-bn) and without dropout (each process draws its own
masks). Where the number of examples does not divide by W, DistributedSampler repeats the
first ones to fill the last places.

Debian's torch 1.13 on Python 3.11: its torchrun cannot parse its own default --redirects and
--tee (pytorch/pytorch#92319), so add `--redirects 2 --tee 2` there (standard error is teed).

Needs only torch and the generated file.
"""
import argparse
import importlib.util
import os
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--module", required=True, type=Path, metavar="DIR/MODEL.py", help="the generated file")
    add("--weights", type=Path, metavar="W.safetensors", help="initial nnc checkpoint "
        "(default: the module's sibling <stem>.safetensors, if there is one)")
    add("--data", required=True, metavar="D.safetensors|synthetic:N", help="a file with x "
        "[N, ...] (F32) and y [N] (integer labels), or N random examples of the input's shape")
    add("--epochs", type=int, default=1, help="passes over the data (default 1)")
    add("--steps", type=int, help="train this many steps in all instead, over as many epochs")
    add("--batch", type=int, default=16, help="examples per step in each process (default 16)")
    add("--optimizer", choices=["sgd", "adam", "adamw"], default="adam", help="as torch.optim")
    add("--lr", type=float, help="learning rate (default 0.05 for sgd, 0.002 for adam, adamw)")
    add("--momentum", type=float, default=0.0, help="sgd only (default 0)")
    add("--weight-decay", type=float, help="default 0; adamw 0.01 (decoupled)")
    add("--agc", type=float, metavar="λ", help="adaptive gradient clipping, classifier left out")
    add("--seed", type=int, default=0, help="data order, synthetic data, dropout (default 0)")
    add("--out", required=True, type=Path, metavar="RUN/", help="writes RUN/model.safetensors")
    add("--save-every-rank", action="store_true", help="also RUN/rank<k>.safetensors from each")
    add("--backend", help="the process group's (default: nccl with CUDA, else gloo)")
    add("--sync-bn", action="store_true", help="BatchNorm as SyncBatchNorm (CUDA only)")
    return parser.parse_args()


def import_generated(path):
    """The generated file as a Python module, imported from its path."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def input_shape(generated):
    """The model's input shape without the batch axis, from the generated file's INPUTS.

    INPUTS maps each input's name to its shape, None where a size is symbolic (the batch). A
    model with other symbolic sizes than the batch needs --data from a file.
    """
    if len(generated.INPUTS) != 1:
        raise SystemExit(f"train_ddp.py trains models of one input; this one has {len(generated.INPUTS)}")
    (name, shape), = generated.INPUTS.items()
    sizes = list(shape[1:])
    if any(size is None for size in sizes):
        raise SystemExit(f"input {name} has symbolic sizes {sizes}: give --data a file")
    return sizes


def load_data(spec, generated, model, seed):
    """The training examples (x, y) as CPU tensors: the same on every process."""
    if spec.startswith("synthetic:"):
        count = int(spec.partition(":")[2])
        # The number of classes is the width of the model's output on one example.
        shape = input_shape(generated)
        model.eval()
        with torch.no_grad():
            classes = model(torch.zeros(1, *shape)).shape[1]
        model.train()
        # A generator of its own, seeded: every process draws the same examples.
        generator = torch.Generator().manual_seed(seed)
        x = torch.randn(count, *shape, generator=generator)
        y = torch.randint(classes, (count,), generator=generator)
        return x, y
    tensors = generated.load_safetensors(spec)
    return tensors["x"].float(), tensors["y"].long()


def make_optimizer(args, parameters):
    """The --optimizer, as torch.optim builds it, with nnc train's defaults."""
    if args.optimizer == "sgd":
        lr = 0.05 if args.lr is None else args.lr
        decay = args.weight_decay or 0.0
        return torch.optim.SGD(parameters, lr=lr, momentum=args.momentum, weight_decay=decay)
    lr = 0.002 if args.lr is None else args.lr
    if args.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=lr, weight_decay=args.weight_decay or 0.0)
    decay = 0.01 if args.weight_decay is None else args.weight_decay
    return torch.optim.AdamW(parameters, lr=lr, weight_decay=decay)


def main():
    args = parse_arguments()

    # torchrun sets LOCAL_RANK, RANK and WORLD_SIZE; without them, one process and no group.
    distributed = "LOCAL_RANK" in os.environ
    rank = int(os.environ.get("RANK", 0))
    world = int(os.environ.get("WORLD_SIZE", 1))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    cuda = torch.cuda.is_available()
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    if distributed:
        dist.init_process_group(backend=args.backend or ("nccl" if cuda else "gloo"))
    if args.sync_bn and not (distributed and cuda):
        # torch's SyncBatchNorm runs on CUDA only, and only has something to do across processes.
        raise SystemExit("--sync-bn needs CUDA and torchrun (SyncBatchNorm is GPU-only)")

    # The model, from the generated file, with the initial checkpoint; without one, torch's own
    # initialization from the seed. (DDP starts every process from rank 0's weights anyway.)
    generated = import_generated(args.module)
    torch.manual_seed(args.seed)
    model = generated.MODEL()
    weights = args.weights or args.module.with_suffix(".safetensors")
    if args.weights or weights.exists():
        generated.load_weights(model, str(weights))
    x, y = load_data(args.data, generated, model, args.seed)
    model.to(device)
    if args.sync_bn:
        # Only torch.nn's BatchNorm layers convert; nnc's other normalizers (batch_renorm,
        # switchable) keep per-process statistics.
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    if distributed:
        model = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None)
    model.train()
    # Dropout: every process draws masks of its own.
    torch.manual_seed(args.seed + rank)

    # Every process deals itself its places of the epoch's permutation (see the docstring).
    dataset = TensorDataset(x, y)
    if len(dataset) == 0:
        raise SystemExit(f"{args.data}: no examples")
    sampler = DistributedSampler(dataset, world, rank, shuffle=True, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch, sampler=sampler)
    optimizer = make_optimizer(args, model.parameters())
    total = args.steps or args.epochs * len(loader)
    if rank == 0:
        processes = f"{world} process{'es' if world > 1 else ''}"
        print(f"{processes} × batch {args.batch} on {device}, {len(dataset)} examples")

    step, epoch = 0, 0
    while step < total:
        sampler.set_epoch(epoch)  # the epoch's permutation: the same in every process
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = generated.loss(model(inputs), labels)
            loss.backward()  # DDP averages the gradients across processes here
            if args.agc is not None:
                generated.adaptive_clip_grad(model, args.agc)
            optimizer.step()
            step += 1
            # The loss over all processes' examples: the mean of the per-process means.
            reported = loss.detach().clone()
            if distributed:
                dist.all_reduce(reported)
                reported /= world
            if rank == 0:
                line = f"step {step}/{total} epoch {epoch + 1} loss {reported.item():.6f}"
                print(line, flush=True)
            if step == total:
                break
        epoch += 1

    # Rank 0 saves the run. Parameters are the same in every process; BatchNorm's running
    # statistics (without --sync-bn) are not: DDP copies rank 0's to every process at the start
    # of each forward, then each process updates them from its own examples.
    args.out.mkdir(parents=True, exist_ok=True)
    metadata = {"steps": step, "world_size": world, "batch": args.batch}
    if rank == 0:
        generated.save_weights(model, str(args.out / "model.safetensors"), metadata)
        print(f"wrote {args.out / 'model.safetensors'}")
    if args.save_every_rank:
        generated.save_weights(model, str(args.out / f"rank{rank}.safetensors"), metadata)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
