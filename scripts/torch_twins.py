"""Builds a PyTorch twin of every model in examples/ and writes test/fixtures/torch/<example>.json.

A twin is an nn.Module that computes what the .nn file describes and registers its submodules in
the order in which nnc declares parameters: the source order of the file after blocks, repeats
and `for` bodies are expanded (in a ResNet `Basic` block, the main path's conv0, batch0, conv1,
batch1 before the shortcut's conv2, batch2). Its state_dict therefore pairs up, tensor by tensor,
with `nnc params` (`--weights-match order`, docs/codegen.md). Each fixture holds:

    {"example": "resnet20",
     "params": [{"name": <state_dict name>, "shape": [...]}, ...],   # nnc's declaration order
     "parameter_count": <sum of p.numel() over model.parameters()>,
     "buffer_count": <numel of the state_dict's buffers>,
     "nnc_names": [<the name nnc gives each of those tensors>, ...],
     "state_dict_order": <whether that is also the state_dict's order>}

The two orders agree for every twin but ConvNeXt's, whose blocks hold their layer_scale
themselves: PyTorch lists it before the block's layers, nnc where the block applies it (last).

`num_batches_tracked` is left out everywhere: nnc has no such buffer and ignores it on import.

The nnc names are derived independently of the compiler, from nnc's naming rule
(docs/operators.md, "Parameter names"): every
module that holds tensors is tagged, as it is built, with the name its layer gets in nnc. `Names`
below is one naming scope (the model, a block instance, a labelled group); it hands out
`<kind><k>` per kind, counting from 0 in the order the layers are built, which is the source
order. Each twin builds its layers in exactly the order in which they appear in its .nn file.

Usage: /usr/bin/python3 scripts/torch_twins.py
"""
import json
import os
import sys
from collections import OrderedDict

import torch
import torchvision
from torch import nn
from torchvision.models.convnext import CNBlock, CNBlockConfig, ConvNeXt, LayerNorm2d
from torchvision.models.googlenet import BasicConv2d, Inception
from torchvision.ops.misc import SqueezeExcitation

sys.dont_write_bytecode = True  # importing torch_nn must not leave a __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_nn import (  # noqa: E402
    BatchRenorm,
    FilterResponseNorm,
    ScaledStandardizedConv2d,
    StandardizedConv2d,
    SwitchableNorm,
)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "torch")


# --- naming (docs/operators.md) ----------------------------------------------------------------

class Names:
    """One naming scope: hands out `<kind><k>` per kind, from 0, in the order asked."""

    def __init__(self, prefix=""):
        self.prefix = prefix
        self.counters = {}

    def next(self, kind):
        """The full dotted name of the next unlabelled instance of `kind` in this scope."""
        k = self.counters.get(kind, 0)
        self.counters[kind] = k + 1
        return f"{self.prefix}{kind}{k}"

    def scope(self, path):
        """A nested scope (a block instance or a labelled group) whose full name is `path`."""
        return Names(path + ".")

    def block(self, kind):
        """The scope of the next unlabelled instance of block `kind`."""
        return self.scope(self.next(kind))

    def labelled(self, label):
        """The scope of the group labelled `label`."""
        return self.scope(self.prefix + label)


def tag(module, name):
    """Records on `module` the nnc name of the layer it stands for."""
    module.nnc_name = name
    return module


# --- layers, each tagged with its nnc name ------------------------------------------------------

def conv(names, cin, cout, kernel, stride=1, pad=0, bias=True, ws="none"):
    """`conv(cout, kernel, stride:, pad:, bias:, ws:)`."""
    cls = {"none": nn.Conv2d, "standard": StandardizedConv2d, "scaled": ScaledStandardizedConv2d}[ws]
    return tag(cls(cin, cout, kernel, stride=stride, padding=pad, bias=bias), names.next("conv"))


def dense(names, fin, fout, bias=True):
    """`dense(fout, bias:)`."""
    return tag(nn.Linear(fin, fout, bias=bias), names.next("dense"))


def norm(names, kind, channels, rank=4, **args):
    """A normalizer by its nnc name; `none` is the identity and takes no name."""
    if kind == "none":
        return nn.Identity()
    if kind == "batch":
        module = (nn.BatchNorm2d if rank == 4 else nn.BatchNorm1d)(channels, **args)
    elif kind == "batch_renorm":
        module = BatchRenorm(channels, **args)
    elif kind == "layer":
        module = nn.GroupNorm(1, channels, **args) if rank == 4 else nn.LayerNorm(channels, **args)
    elif kind == "instance":
        module = nn.InstanceNorm2d(channels, affine=True, **args)
    elif kind == "group":
        module = nn.GroupNorm(args.pop("groups", 32), channels, **args)
    elif kind == "frn":
        module = FilterResponseNorm(channels, **args)
    elif kind == "switchable":
        module = SwitchableNorm(channels, **args)
    else:
        raise ValueError(f"unknown normalizer {kind}")
    return tag(module, names.next(kind))


def seq(*modules):
    """nn.Sequential over named (name, module) pairs, in order."""
    return nn.Sequential(OrderedDict(modules))


# --- lenet.nn ------------------------------------------------------------------------------------

def lenet():
    n = Names()
    return seq(
        ("conv1", conv(n, 1, 6, 5, pad=2)), ("act1", nn.Tanh()), ("pool1", nn.AvgPool2d(2)),
        ("conv2", conv(n, 6, 16, 5)), ("act2", nn.Tanh()), ("pool2", nn.AvgPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", dense(n, 16 * 5 * 5, 120)), ("act3", nn.Tanh()),
        ("fc2", dense(n, 120, 84)), ("act4", nn.Tanh()),
        ("fc3", dense(n, 84, 10)), ("log_softmax", nn.LogSoftmax(dim=1)),
    )


# --- vgg.nn --------------------------------------------------------------------------------------

def vgg():
    n = Names()
    layers, cin = [], 3
    for stage, c in enumerate([64, 128, 256], start=1):
        for i in (1, 2):
            layers += [(f"conv{stage}_{i}", conv(n, cin, c, 3, pad=1)),
                       (f"bn{stage}_{i}", norm(n, "batch", c)),
                       (f"relu{stage}_{i}", nn.ReLU())]
            cin = c
        layers.append((f"pool{stage}", nn.MaxPool2d(2)))
    layers.append(("flatten", nn.Flatten()))
    fin = 256 * 4 * 4
    for i in (1, 2):
        layers += [(f"fc{i}", dense(n, fin, 256)), (f"relu_fc{i}", nn.ReLU()), (f"drop{i}", nn.Dropout(0.5))]
        fin = 256
    layers += [("fc3", dense(n, 256, 10)), ("softmax", nn.Softmax(dim=1))]
    return seq(*layers)


# --- resnet20.nn and resnet18.nn -------------------------------------------------------------------

class BasicBlock(nn.Module):
    """`block Basic(x, c, stride)`: torchvision's BasicBlock, shortcut registered last."""

    def __init__(self, names, cin, c, stride=1):
        super().__init__()
        n = names.block("Basic")
        self.conv1 = conv(n, cin, c, 3, stride=stride, pad=1, bias=False)
        self.bn1 = norm(n, "batch", c, momentum=0.1)
        self.conv2 = conv(n, c, c, 3, pad=1, bias=False)
        self.bn2 = norm(n, "batch", c, momentum=0.1)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != c:
            self.downsample = nn.Sequential(conv(n, cin, c, 1, stride=stride, bias=False),
                                            norm(n, "batch", c, momentum=0.1))

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        s = x if self.downsample is None else self.downsample(x)
        return self.relu(y + s)


def stage(names, cin, c, count, stride):
    """`Basic(c, stride: stride) -> Basic(c) * (count - 1)`."""
    blocks = [BasicBlock(names, cin, c, stride)] + [BasicBlock(names, c, c) for _ in range(count - 1)]
    return nn.Sequential(*blocks)


class ResNet20(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        n = Names()
        s = n.labelled("stem")
        self.stem = nn.Sequential(conv(s, 3, width, 3, pad=1, bias=False),
                                  norm(s, "batch", width, momentum=0.1), nn.ReLU())
        self.layer1 = stage(n, width, width, 3, 1)
        self.layer2 = stage(n, width, 2 * width, 3, 2)
        self.layer3 = stage(n, 2 * width, 4 * width, 3, 2)
        self.fc = dense(n, 4 * width, 10)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(x.mean(dim=(2, 3), keepdim=True), 1))


class ResNet18(nn.Module):
    """torchvision's resnet18 layout and state_dict names."""

    def __init__(self):
        super().__init__()
        n = Names()
        self.conv1 = conv(n, 3, 64, 7, stride=2, pad=3, bias=False)
        self.bn1 = norm(n, "batch", 64, momentum=0.1)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = stage(n, 64, 64, 2, 1)
        self.layer2 = stage(n, 64, 128, 2, 2)
        self.layer3 = stage(n, 128, 256, 2, 2)
        self.layer4 = stage(n, 256, 512, 2, 2)
        self.fc = dense(n, 512, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(x.mean(dim=(2, 3), keepdim=True), 1))


# --- inception.nn --------------------------------------------------------------------------------

def conv_bn_relu(names, cin, cout, kernel, pad=0):
    return [conv(names, cin, cout, kernel, pad=pad, bias=False), norm(names, "batch", cout), nn.ReLU()]


class InceptionBlock(nn.Module):
    """`block Inception(x, c1, c3, cp)`: three labelled branches, concatenated on channels."""

    def __init__(self, names, cin, c1, c3, cp):
        super().__init__()
        n = names.block("Inception")
        b1 = n.labelled("branch1")
        self.branch1 = nn.Sequential(*conv_bn_relu(b1, cin, c1, 1))
        b3 = n.labelled("branch3")
        self.branch3 = nn.Sequential(*conv_bn_relu(b3, cin, c3, 1),
                                     *conv_bn_relu(b3, c3, c3, (1, 3), pad=(0, 1)),
                                     *conv_bn_relu(b3, c3, c3, (3, 1), pad=(1, 0)))
        bp = n.labelled("branch_pool")
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), *conv_bn_relu(bp, cin, cp, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch3(x), self.branch_pool(x)], dim=1)


class InceptionNet(nn.Module):
    def __init__(self):
        super().__init__()
        n = Names()
        self.stem = nn.Sequential(*conv_bn_relu(n.labelled("stem"), 3, 32, 3, pad=1))
        self.inception1 = InceptionBlock(n, 32, 16, 32, 16)
        self.inception2 = InceptionBlock(n, 64, 32, 64, 32)
        self.pool = nn.MaxPool2d(2)
        self.fc = dense(n, 128, 10)

    def forward(self, x):
        x = self.pool(self.inception2(self.pool(self.inception1(self.stem(x)))))
        return self.fc(torch.flatten(x.mean(dim=(2, 3), keepdim=True), 1))


# --- mlp.nn --------------------------------------------------------------------------------------

def mlp():
    n = Names()
    layers, fin = [], 784
    for i, h in enumerate([512, 256, 128], start=1):
        layers += [(f"fc{i}", dense(n, fin, h)), (f"bn{i}", norm(n, "batch", h, rank=2, momentum=0.1)),
                   (f"relu{i}", nn.ReLU()), (f"drop{i}", nn.Dropout(0.2))]
        fin = h
    layers += [("fc4", dense(n, fin, 10)), ("log_softmax", nn.LogSoftmax(dim=1))]
    return seq(*layers)


# --- nfnet.nn ------------------------------------------------------------------------------------

class NFBlock(nn.Module):
    """`block NFBlock(x, c, beta, alpha, stride)` under `use norm = none`, `use act = gelu`:
    x + alpha * f(x / beta), the shortcut of a transition block reading x / beta."""

    def __init__(self, names, cin, c, beta, alpha=0.2, stride=1):
        super().__init__()
        n = names.block("NFBlock")
        self.beta, self.alpha = beta, alpha
        self.act = nn.GELU()
        self.conv1 = conv(n, cin, c, 3, stride=stride, pad=1, ws="scaled")
        self.norm1 = norm(n, "none", c)
        self.conv2 = conv(n, c, c, 3, pad=1, ws="scaled")
        self.norm2 = norm(n, "none", c)
        self.shortcut = None
        if stride != 1 or cin != c:
            self.shortcut = nn.Sequential(nn.AvgPool2d(stride, count_include_pad=False),
                                          conv(n, cin, c, 1, ws="scaled"))

    def forward(self, x):
        h = x / self.beta
        y = self.norm2(self.conv2(self.act(self.norm1(self.conv1(self.act(h))))))
        s = x if self.shortcut is None else self.shortcut(h)
        return s + self.alpha * y


class NFNet(nn.Module):
    def __init__(self):
        super().__init__()
        n = Names()
        self.stem = nn.Sequential(conv(n.labelled("stem"), 3, 16, 3, pad=1, ws="scaled"), nn.GELU())
        beta = 1.0198039  # sqrt(1 + 0.2²), as nfnet.nn writes it
        self.blocks = nn.Sequential(NFBlock(n, 16, 16, 1.0), NFBlock(n, 16, 32, beta, stride=2),
                                    NFBlock(n, 32, 64, beta, stride=2))
        self.fc = dense(n, 64, 10)

    def forward(self, x):
        x = torch.relu(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(x.mean(dim=(2, 3), keepdim=True), 1))


# --- norm_zoo.nn ---------------------------------------------------------------------------------

class Unit(nn.Module):
    """`block Unit(x, c, n: layer)`: conv -> n -> relu."""

    def __init__(self, names, cin, c, kind, **args):
        super().__init__()
        n = names.block("Unit")
        self.conv = conv(n, cin, c, 3, pad=1, bias=False)
        self.norm = norm(n, kind, c, **args)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.norm(self.conv(x)))


def norm_zoo():
    n = Names()
    return seq(
        ("unit_batch", Unit(n, 3, 16, "batch", momentum=0.1)),
        ("unit_batch_renorm", Unit(n, 16, 16, "batch_renorm", rmax=3.0, dmax=5.0)),
        ("pool1", nn.MaxPool2d(2)),
        ("unit_layer", Unit(n, 16, 32, "layer")),
        ("unit_instance", Unit(n, 32, 32, "instance")),
        ("ws_conv", conv(n, 32, 32, 3, pad=1, bias=False, ws="standard")),
        ("group", norm(n, "group", 32, groups=8)),
        ("relu", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("unit_frn", Unit(n, 32, 64, "frn")),
        ("unit_switchable", Unit(n, 64, 64, "switchable")),
        ("unit_none", Unit(n, 64, 64, "none")),
        ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("fc1", dense(n, 64, 64)),
        ("ln", norm(n, "layer", 64, rank=2)),
        ("relu_fc", nn.ReLU()),
        ("fc2", dense(n, 64, 10)),
    )


# --- the torchvision zoo: mobilenet_v2.nn, mobilenet_v3_small.nn, efficientnet_b0.nn, googlenet.nn, ... --

# These twins ARE torchvision's models (randomly initialized); only their nnc names are added, by
# walking each model's modules in registration order, which is its forward order and the order of
# the .nn file, with one naming scope per block instance of the .nn file.

KINDS = ((nn.Conv2d, "conv"), (nn.BatchNorm2d, "batch"), (nn.Linear, "dense"))


def tag_all(names, module, kinds=KINDS):
    """Tags every layer of `kinds` (by default conv, batch norm and linear) inside `module`, in
    registration order."""
    for sub in module.modules():
        kind = next((k for cls, k in kinds if isinstance(sub, cls)), None)
        if kind is not None:
            tag(sub, names.next(kind))


def tag_stages(names, blocks, sizes, stage, block):
    """Tags `blocks` as instances of block `block`, taken `sizes[i]` at a time into the i-th instance
    of block `stage`."""
    blocks = iter(blocks)
    for size in sizes:
        s = names.block(stage)
        for _ in range(size):
            tag_all(s.block(block), next(blocks))


def mobilenet_v2():
    """torchvision's mobilenet_v2(): `Stage` per row of (t, c, n, s), `InvertedResidual` inside."""
    model = torchvision.models.mobilenet_v2()
    n = Names()
    tag_all(n, model.features[0])
    tag_stages(n, model.features[1:18], [1, 2, 3, 4, 3, 3, 1], "Stage", "InvertedResidual")
    tag_all(n, model.features[18])
    tag_all(n, model.classifier)
    return model


def mobilenet_v3_small():
    """torchvision's mobilenet_v3_small(): eleven `Bneck` blocks, SE in its own block scope."""
    model = torchvision.models.mobilenet_v3_small()
    n = Names()
    tag_all(n, model.features[0])
    for bneck in model.features[1:12]:
        b = n.block("Bneck")
        for part in bneck.block:
            if isinstance(part, SqueezeExcitation):
                tag_all(b.block("SqueezeExcitation"), part)
            else:
                tag_all(b, part)
    tag_all(n, model.features[12])
    tag_all(n, model.classifier)
    return model


def efficientnet_b0():
    """torchvision's efficientnet_b0(): `Stage` per row of (t, k, c, n, s), `MBConv` inside."""
    model = torchvision.models.efficientnet_b0()
    n = Names()
    tag_all(n, model.features[0])
    for stage in model.features[1:8]:
        s = n.block("Stage")
        for mbconv in stage:
            b = s.block("MBConv")
            for part in mbconv.block:
                tag_all(b.block("SqueezeExcitation") if isinstance(part, SqueezeExcitation) else b, part)
    tag_all(n, model.features[8])
    tag_all(n, model.classifier)
    return model


def googlenet():
    """torchvision's googlenet(aux_logits=False, transform_input=False), BasicConv2d as `BasicConv`."""
    model = torchvision.models.googlenet(aux_logits=False, transform_input=False, init_weights=True)
    n = Names()
    for child in model.children():
        if isinstance(child, BasicConv2d):
            tag_all(n.block("BasicConv"), child)
        elif isinstance(child, Inception):
            i = n.block("Inception")
            for label in ("branch1", "branch2", "branch3", "branch4"):
                b, branch = i.labelled(label), getattr(child, label)
                if isinstance(branch, BasicConv2d):
                    tag_all(b, branch)  # `branch1: [BasicConv(c1, 1)]`: the label names the instance
                    continue
                for part in branch.modules():
                    if isinstance(part, BasicConv2d):
                        tag_all(b.block("BasicConv"), part)
        else:
            tag_all(n, child)
    return model


def shufflenet_v2():
    """torchvision's shufflenet_v2_x0_5(): labelled stages of `Stage`, `Unit`s inside, each branch
    labelled as torchvision names it (`branch1:` only in a stage's first, downsampling unit)."""
    model = torchvision.models.shufflenet_v2_x0_5()
    n = Names()
    tag_all(n.labelled("conv1"), model.conv1)
    for label in ("stage2", "stage3", "stage4"):
        stage = n.labelled(label)  # `stage2: [Stage(48, 4)]`: the label names the instance
        for unit in getattr(model, label):
            u = stage.block("Unit")
            if unit.stride > 1:
                tag_all(u.labelled("branch1"), unit.branch1)
            tag_all(u.labelled("branch2"), unit.branch2)  # `branch2: [Branch(h, s)]`, likewise
    tag_all(n.labelled("conv5"), model.conv5)
    tag_all(n, model.fc)
    return model


def resnet50():
    """torchvision's resnet50(): `Stage` per layer1..layer4, `Bottleneck` inside (its downsample
    registered after conv3/bn3, where the .nn file writes the shortcut)."""
    model = torchvision.models.resnet50()
    n = Names()
    tag_all(n, nn.Sequential(model.conv1, model.bn1))
    tag_stages(n, [b for layer in (model.layer1, model.layer2, model.layer3, model.layer4) for b in layer],
               [3, 4, 6, 3], "Stage", "Bottleneck")
    tag_all(n, model.fc)
    return model


def densenet121():
    """torchvision's densenet121(): `DenseBlock`s of `DenseLayer`s, `Transition` between them."""
    model = torchvision.models.densenet121()
    n = Names()
    for name, part in model.features.named_children():
        if name.startswith("denseblock"):
            block = n.block("DenseBlock")
            for layer in part.values():
                tag_all(block.block("DenseLayer"), layer)
        elif name.startswith("transition"):
            tag_all(n.block("Transition"), part)
        else:
            tag_all(n, part)
    tag_all(n, model.classifier)
    return model


def regnetx_400mf():
    """torchvision's regnet_x_400mf(): `Stage`s of `XBlock`s, each with its labelled `proj:` (first,
    as torchvision registers it) and `f:`."""
    model = torchvision.models.regnet_x_400mf()
    n = Names()
    tag_all(n.labelled("stem"), model.stem)
    for stage in model.trunk_output:
        s = n.block("Stage")
        for xblock in stage:
            b = s.block("XBlock")
            if xblock.proj is not None:
                tag_all(b.labelled("proj"), xblock.proj)
            tag_all(b.labelled("f"), xblock.f)
    tag_all(n, model.fc)
    return model


def convnext_atto():
    """torchvision's ConvNeXt class at the Atto size (widths 40-320, depths 2, 2, 6, 2), without
    stochastic depth: `Stage`s of `CNBlock`s, `Downsample` between them.

    A CNBlock holds its layer_scale itself, so PyTorch's state_dict lists it before the block's
    submodules; nnc declares `scale(1e-6)` where the block applies it, last. `declaration_order`
    moves each layer_scale after its block's other tensors: the one place this twin's state_dict
    order and nnc's declaration order differ."""
    setting = [CNBlockConfig(40, 80, 2), CNBlockConfig(80, 160, 2), CNBlockConfig(160, 320, 6), CNBlockConfig(320, None, 2)]
    model = ConvNeXt(setting, stochastic_depth_prob=0.0, layer_scale=1e-6)
    n = Names()
    kinds = ((nn.Conv2d, "conv"), (nn.LayerNorm, "channel_norm"), (LayerNorm2d, "channel_norm"), (nn.Linear, "dense"))

    tag_all(n, model.features[0], kinds)
    for part in model.features[1:]:
        if isinstance(part[0], CNBlock):
            stage = n.block("Stage")
            for cnblock in part:
                b = stage.block("CNBlock")
                tag_all(b, cnblock.block, kinds)
                cnblock.nnc_own = {"layer_scale": b.next("scale") + ".weight"}
        else:
            tag_all(n.block("Downsample"), part, kinds)
    tag_all(n, model.classifier, kinds)

    def declaration_order(pairs):
        out, held = [], []
        for torch_name, nnc in pairs:
            if torch_name.endswith(".layer_scale"):
                held.append((torch_name, nnc))
                continue
            out.append((torch_name, nnc))
            if held and torch_name == held[0][0].replace("layer_scale", "block.5.bias"):
                out.append(held.pop())
        assert not held
        return out

    model.declaration_order = declaration_order
    return model


# --- fixtures ------------------------------------------------------------------------------------

EXAMPLES = [
    # example, builder, input shape (batch 2), output shape
    ("lenet", lenet, [2, 1, 28, 28], [2, 10]),
    ("vgg", vgg, [2, 3, 32, 32], [2, 10]),
    ("resnet20", ResNet20, [2, 3, 32, 32], [2, 10]),
    ("resnet18", ResNet18, [2, 3, 224, 224], [2, 1000]),
    ("inception", InceptionNet, [2, 3, 32, 32], [2, 10]),
    ("mlp", mlp, [2, 784], [2, 10]),
    ("nfnet", NFNet, [2, 3, 32, 32], [2, 10]),
    ("norm_zoo", norm_zoo, [2, 3, 32, 32], [2, 10]),
    ("mobilenet_v2", mobilenet_v2, [2, 3, 224, 224], [2, 1000]),
    ("mobilenet_v3_small", mobilenet_v3_small, [2, 3, 224, 224], [2, 1000]),
    ("efficientnet_b0", efficientnet_b0, [2, 3, 224, 224], [2, 1000]),
    ("googlenet", googlenet, [2, 3, 224, 224], [2, 1000]),
    ("shufflenet_v2", shufflenet_v2, [2, 3, 224, 224], [2, 1000]),
    ("convnext_atto", convnext_atto, [2, 3, 224, 224], [2, 1000]),
    ("resnet50", resnet50, [2, 3, 224, 224], [2, 1000]),
    ("densenet121", densenet121, [2, 3, 224, 224], [2, 1000]),
    ("regnetx_400mf", regnetx_400mf, [2, 3, 224, 224], [2, 1000]),
]

# torchvision.models.resnet18().parameters(), summed.
RESNET18_PARAMETERS = 11_689_512


def nnc_names(model):
    """Pairs of (state_dict name, nnc name) for every tensor, from the tags, module by module."""
    pairs = []
    for path, module in model.named_modules():
        own = [key for key in module.state_dict(keep_vars=True) if "." not in key and key != "num_batches_tracked"]
        if not own:
            continue
        named = getattr(module, "nnc_own", None)  # a tensor a module holds beside its layers (layer_scale)
        if named is None and not hasattr(module, "nnc_name"):
            raise AssertionError(f"{path} ({type(module).__name__}) holds tensors but has no nnc name")
        pairs += [(f"{path}.{key}" if path else key, named[key] if named else f"{module.nnc_name}.{key}") for key in own]
    return getattr(model, "declaration_order", lambda p: p)(pairs)


def fixture(example, model):
    state = [(name, t) for name, t in model.state_dict().items() if not name.endswith("num_batches_tracked")]
    buffer_names = {name for name, _ in model.named_buffers()}
    pairs = nnc_names(model)
    shapes = dict(state)
    in_order = [name for name, _ in pairs] == [name for name, _ in state]
    assert in_order or hasattr(model, "declaration_order"), f"{example}: tensors out of state_dict order"
    assert sorted(name for name, _ in pairs) == sorted(shapes), f"{example}: tensors missing"
    state = [(name, shapes[name]) for name, _ in pairs]
    nnc = [ours for _, ours in pairs]
    assert len(set(nnc)) == len(nnc), f"{example}: duplicate nnc names"
    return {
        "example": example,
        "params": [{"name": name, "shape": list(t.shape)} for name, t in state],
        "parameter_count": sum(p.numel() for p in model.parameters()),
        "buffer_count": sum(t.numel() for name, t in state if name in buffer_names),
        "nnc_names": nnc,
        "state_dict_order": in_order,
    }


def dumps(body):
    """JSON with one list element a line, so that fixture diffs read well."""
    lines = ["{"]
    items = list(body.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(value, list):
            inner = ",\n".join("    " + json.dumps(v, separators=(", ", ": ")) for v in value)
            lines.append(f'  "{key}": [\n{inner}\n  ]{comma}')
        else:
            lines.append(f'  "{key}": {json.dumps(value)}{comma}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    os.makedirs(OUT, exist_ok=True)
    for stale in os.listdir(OUT):
        if stale.endswith(".json"):
            os.remove(os.path.join(OUT, stale))
    torch.manual_seed(0)
    print(f"{'example':<18} {'parameters':>12} {'buffers':>9} {'tensors':>8}  output")
    for example, build, input_shape, output_shape in EXAMPLES:
        model = build().eval()
        with torch.no_grad():
            y = model(torch.randn(*input_shape))
        assert list(y.shape) == output_shape, f"{example}: output {list(y.shape)}, expected {output_shape}"
        assert torch.isfinite(y).all(), f"{example}: non-finite output"
        body = fixture(example, model)
        if example == "resnet18":
            assert body["parameter_count"] == RESNET18_PARAMETERS, body["parameter_count"]
        with open(os.path.join(OUT, example + ".json"), "w") as f:
            f.write(dumps(body))
        print(f"{example:<18} {body['parameter_count']:>12,} {body['buffer_count']:>9,} "
              f"{len(body['params']):>8}  {list(y.shape)}")


if __name__ == "__main__":
    main()
