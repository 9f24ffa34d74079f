# The element types of the safetensors format that these files read and write.
SAFETENSORS_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


def load_safetensors(path):
    """Read a safetensors file into a dict of tensors (fresh, contiguous, on the CPU).

    The format: an 8-byte little-endian header length n, then n bytes of JSON that map each
    tensor's name to its dtype, shape and data_offsets [begin, end) in the data that follows; an
    optional "__metadata__" entry holds strings. The dict follows the header's order, or the
    declaration order that nnc records as the metadata "order". Raises ValueError, naming the
    tensor, where an entry's dtype, shape or offsets do not describe its bytes.
    """
    with open(path, "rb") as file:
        raw = file.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: {len(raw)} bytes is too short for a safetensors file")
    (header_size,) = struct.unpack("<Q", raw[:8])
    if header_size > len(raw) - 8:
        raise ValueError(f"{path}: header length {header_size} runs past the end of the file")
    header = json.loads(raw[8:8 + header_size])
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    data = memoryview(raw)[8 + header_size:]
    tensors = {}
    for name, entry in header.items():
        where = f"{path}: tensor {name!r}"
        if not isinstance(entry, dict) or entry.get("dtype") not in SAFETENSORS_DTYPES:
            raise ValueError(f"{where}: unsupported dtype or malformed entry {entry!r}")
        dtype = SAFETENSORS_DTYPES[entry["dtype"]]
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)):
            raise ValueError(f"{where}: shape {shape!r} is not a list of non-negative integers")
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(offset, int) for offset in offsets)
            and 0 <= offsets[0] <= offsets[1] <= len(data)
        ):
            raise ValueError(f"{where}: data_offsets {offsets!r} are not [begin, end] in the data")
        begin, end = offsets
        size = math.prod(shape) * torch.empty(0, dtype=dtype).element_size()
        if end - begin != size:
            raise ValueError(
                f"{where}: shape {shape} of {entry['dtype']} needs {size} bytes, "
                f"but data_offsets {offsets} span {end - begin}"
            )
        if size == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            values = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype)
            tensors[name] = values.reshape(shape)
    try:
        order = json.loads(metadata["order"])
        if sorted(order) == sorted(tensors):
            tensors = {name: tensors[name] for name in order}
    except (KeyError, TypeError, ValueError):
        pass  # no usable "order": the header's own order stands
    return tensors


def save_safetensors(tensors, path, metadata=None):
    """Write a dict of tensors as a safetensors file, in the dict's order.

    Each tensor is stored from the CPU, contiguous, with the dtype it has (float32 as F32 and so
    on); the data follow one another without gaps, and the JSON header is padded with spaces to
    a multiple of 8 bytes. metadata, a dict of strings, goes under "__metadata__".
    """
    dtype_names = {dtype: name for name, dtype in SAFETENSORS_DTYPES.items()}
    header = {}
    if metadata:
        header["__metadata__"] = {str(key): str(value) for key, value in metadata.items()}
    stored, offset = [], 0
    for name, tensor in tensors.items():
        if name == "__metadata__" or tensor.dtype not in dtype_names:
            raise ValueError(f"cannot store tensor {name!r} of {tensor.dtype} as safetensors")
        tensor = tensor.detach().cpu().contiguous()
        size = tensor.numel() * tensor.element_size()
        header[name] = {
            "dtype": dtype_names[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + size],
        }
        stored.append((tensor, offset, size))
        offset += size
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    data = bytearray(offset)
    if offset > 0:
        # A uint8 tensor over the bytearray's memory: each tensor's bytes are copied straight in.
        data_view = torch.frombuffer(data, dtype=torch.uint8)
        for tensor, begin, size in stored:
            data_view[begin:begin + size] = tensor.reshape(-1).view(torch.uint8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(header_bytes)))
        file.write(header_bytes)
        file.write(data)


def unwrap_model(model):
    """The model inside a DataParallel or DistributedDataParallel wrapper, else model itself."""
    if isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        return model.module
    return model


def load_weights(model, weights):
    """Load an nnc checkpoint (a safetensors path, or a dict of tensors) into model, in place.

    Every entry of model.state_dict() must be in the checkpoint with the same shape, and the
    checkpoint may hold nothing else; PyTorch's num_batches_tracked counters may be present or
    not (nnc has none and leaves the model's alone). Values are converted to each entry's dtype
    and device, so a float64 checkpoint loads into a float32 model. Raises ValueError naming
    every missing, unexpected or differently shaped tensor.
    """
    tensors = weights if isinstance(weights, dict) else load_safetensors(weights)
    state = {
        name: value
        for name, value in unwrap_model(model).state_dict().items()
        if name.rpartition(".")[2] != "num_batches_tracked"
    }
    problems = []
    for name, value in state.items():
        if name not in tensors:
            problems.append(f"missing {name} {list(value.shape)}")
        elif tensors[name].shape != value.shape:
            shapes = f"{list(tensors[name].shape)}, the model's {list(value.shape)}"
            problems.append(f"{name}: shape {shapes}")
    for name in tensors:
        if name not in state and name.rpartition(".")[2] != "num_batches_tracked":
            problems.append(f"unexpected {name}")
    if problems:
        raise ValueError("the checkpoint does not fit the model:\n  " + "\n  ".join(problems))
    with torch.no_grad():
        for name, value in state.items():
            value.copy_(tensors[name])


def save_weights(model, path, metadata=None):
    """Save model's weights as an nnc checkpoint: its state_dict() in declaration order.

    PyTorch's num_batches_tracked counters are left out, so the file lists exactly nnc's
    parameters and buffers; a DataParallel or DistributedDataParallel wrapper adds no prefix.
    """
    state = unwrap_model(model).state_dict()
    tensors = {
        name: value
        for name, value in state.items()
        if name.rpartition(".")[2] != "num_batches_tracked"
    }
    save_safetensors(tensors, path, metadata)


def unitwise_norm(x):
    """The 2-norm of each unit of x: the whole tensor for rank ≤ 1, else each slice x[i]."""
    if x.ndim <= 1:
        return x.norm(2.0)
    return x.norm(2.0, dim=tuple(range(1, x.ndim)), keepdim=True)


def adaptive_clip_grad(model, clipping, eps=1e-3, exclude=None):
    """Adaptive Gradient Clipping (Brock et al. 2021), in place, as timm's adaptive_clip_grad.

    For each unit i of a parameter W (an output channel of a conv weight, an output row of a
    linear weight; a parameter of rank ≤ 1 is one unit) and its gradient G, with 2-norms:
        max_i = clipping · max(‖W_i‖, eps)
        G_i ← G_i · max_i / max(‖G_i‖, 1e-6)   where ‖G_i‖ ≥ max_i, else G_i unchanged
    Parameters named in exclude (default: CLASSIFIER, the final classifier) and parameters
    without a gradient are left alone. Call it between backward() and the optimizer's step().
    """
    exclude = set(CLASSIFIER if exclude is None else exclude)
    for name, parameter in unwrap_model(model).named_parameters():
        if parameter.grad is None or name in exclude:
            continue
        weight, grad = parameter.detach(), parameter.grad.detach()
        max_norm = unitwise_norm(weight).clamp_(min=eps).mul_(clipping)
        grad_norm = unitwise_norm(grad)
        clipped = grad * (max_norm / grad_norm.clamp(min=1e-6))
        grad.copy_(torch.where(grad_norm < max_norm, grad, clipped))


def loss(output, target, kind="cross_entropy", label_smoothing=0.0):
    """The loss nnc trains with, the mean over the batch.

    cross_entropy, on class labels y: with label smoothing ε the target distribution is
    (1 − ε)·onehot(y) + ε/C, so the loss is
        (1 − ε)·(−log p_y) + ε·mean_c(−log p_c)
    as F.cross_entropy computes it. The log-probabilities depend on OUTPUT, what the model ends in:
    logits go through log_softmax; a model ending in log_softmax gives them itself; a model
    ending in softmax trains on the log of its probabilities, the negative log-likelihood of
    what it predicts, never on a second softmax.
    mse: mean((output − target)²).
    """
    if kind == "mse":
        return F.mse_loss(output, target.to(output.dtype))
    if kind != "cross_entropy":
        raise ValueError(f"unknown loss {kind!r}: use 'cross_entropy' or 'mse'")
    target = target.long()
    if OUTPUT == "logits":
        return F.cross_entropy(output, target, label_smoothing=label_smoothing)
    log_probabilities = output if OUTPUT == "log_softmax" else torch.log(output)
    nll = F.nll_loss(log_probabilities, target)
    if label_smoothing == 0:
        return nll
    return (1 - label_smoothing) * nll - label_smoothing * log_probabilities.mean(dim=1).mean()


def per_channel(vector, x):
    """vector [C] shaped to broadcast over x [N, C, ...] along its channel axis."""
    shape = [1, -1]
    for _ in range(x.dim() - 2):
        shape.append(1)
    return vector.view(shape)


class BatchRenorm(nn.Module):
    """Batch renormalization (Ioffe 2017) of [N, C] or [N, C, H, W], per channel.

    Training, with the batch mean μ_b and biased variance σ²_b over N (and H, W):
        σ_b = sqrt(σ²_b + eps)
        r = clip(σ_b / σ, 1/rmax, rmax), d = clip((μ_b − μ) / σ, −dmax, dmax)
        y = γ · ((x − μ_b) / σ_b · r + d) + β   (r and d are constants: no gradient)
    then μ ← μ + momentum · (μ_b − μ) and σ ← σ + momentum · (σ_b − σ).
    Evaluation: y = γ · (x − μ) / σ + β.
    Parameters weight (γ) and bias (β); buffers running_mean (μ) and running_std (σ).
    """

    def __init__(self, channels, eps=1e-5, momentum=0.01, rmax=3.0, dmax=5.0):
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.rmax = rmax
        self.dmax = dmax
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_std", torch.ones(channels))

    def extra_repr(self):
        return (
            f"{self.weight.numel()}, eps={self.eps}, momentum={self.momentum}, "
            f"rmax={self.rmax}, dmax={self.dmax}"
        )

    def forward(self, x):
        if not self.training:
            x_hat = (x - per_channel(self.running_mean, x)) / per_channel(self.running_std, x)
        else:
            axes = [0]
            for axis in range(2, x.dim()):
                axes.append(axis)
            batch_mean = x.mean(dim=axes)
            batch_std = torch.sqrt(x.var(dim=axes, unbiased=False) + self.eps)
            with torch.no_grad():
                r = torch.clamp(batch_std / self.running_std, 1 / self.rmax, self.rmax)
                d = (batch_mean - self.running_mean) / self.running_std
                d = torch.clamp(d, -self.dmax, self.dmax)
                self.running_mean += self.momentum * (batch_mean - self.running_mean)
                self.running_std += self.momentum * (batch_std - self.running_std)
            x_hat = (x - per_channel(batch_mean, x)) / per_channel(batch_std, x)
            x_hat = x_hat * per_channel(r, x) + per_channel(d, x)
        return per_channel(self.weight, x) * x_hat + per_channel(self.bias, x)


class FilterResponseNorm(nn.Module):
    """Filter response normalization with its thresholded linear unit (Singh & Krishnan 2019).

    The same in training and evaluation, per sample and channel of [N, C, H, W]:
        ν² = mean over H, W of x²
        y = max(γ · x / sqrt(ν² + eps) + β, τ)
    Parameters weight (γ), bias (β) and tau (τ); no running statistics.
    """

    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.tau = nn.Parameter(torch.zeros(channels))

    def extra_repr(self):
        return f"{self.weight.numel()}, eps={self.eps}"

    def forward(self, x):
        nu2 = (x * x).mean(dim=(2, 3), keepdim=True) if x.dim() == 4 else x * x
        y = per_channel(self.weight, x) * x / torch.sqrt(nu2 + self.eps)
        y = y + per_channel(self.bias, x)
        return torch.maximum(y, per_channel(self.tau, x))


class SwitchableNorm(nn.Module):
    """Switchable normalization (Luo et al. 2018): a learned mix of IN, LN and BN statistics.

    Per sample and channel, μ_in and σ²_in over H, W; per sample, μ_ln = mean_c μ_in and
    σ²_ln = mean_c(σ²_in + μ_in²) − μ_ln²; per channel, μ_bn and σ²_bn over N, H, W in
    training, the running statistics in evaluation. All variances are biased. With
    wm = softmax(mean_weight) and wv = softmax(var_weight) over (IN, LN, BN):
        μ = Σ_k wm_k μ_k,  σ² = Σ_k wv_k σ²_k
        y = γ · (x − μ) / sqrt(σ² + eps) + β
    Training also moves the running statistics as BatchNorm does, with the biased variance:
        running ← (1 − momentum) · running + momentum · batch
    Parameters weight (γ), bias (β), mean_weight [3], var_weight [3]; buffers running_mean and
    running_var.
    """

    def __init__(self, channels, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.mean_weight = nn.Parameter(torch.ones(3))
        self.var_weight = nn.Parameter(torch.ones(3))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def extra_repr(self):
        return f"{self.weight.numel()}, eps={self.eps}, momentum={self.momentum}"

    def forward(self, x):
        n, c = x.shape[:2]
        flat = x.reshape(n, c, -1)
        mean_in = flat.mean(dim=2)
        var_in = flat.var(dim=2, unbiased=False)
        mean_ln = mean_in.mean(dim=1, keepdim=True)
        var_ln = (var_in + mean_in**2).mean(dim=1, keepdim=True) - mean_ln**2
        if self.training:
            by_channel = flat.transpose(0, 1).reshape(c, -1)
            mean_bn = by_channel.mean(dim=1)
            var_bn = by_channel.var(dim=1, unbiased=False)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean_bn)
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var_bn)
        else:
            mean_bn, var_bn = self.running_mean, self.running_var
        wm = torch.softmax(self.mean_weight, dim=0)
        wv = torch.softmax(self.var_weight, dim=0)
        mean = wm[0] * mean_in + wm[1] * mean_ln + wm[2] * mean_bn.view(1, c)
        var = wv[0] * var_in + wv[1] * var_ln + wv[2] * var_bn.view(1, c)
        y = (flat - mean.view(n, c, 1)) / torch.sqrt(var.view(n, c, 1) + self.eps)
        y = self.weight.view(1, c, 1) * y + self.bias.view(1, c, 1)
        return y.reshape(x.shape)


class ChannelNorm2d(nn.LayerNorm):
    """Layer normalization over the C channels of each pixel of [N, C, H, W] (ConvNeXt).

    The same in training and evaluation; per sample n and pixel (h, w), with the mean μ and
    the biased variance σ² of x[n, :, h, w]:
        y[n, c, h, w] = γ_c · (x[n, c, h, w] − μ) / sqrt(σ² + eps) + β_c
    That is nn.LayerNorm(C) on x permuted to [N, H, W, C], as timm's LayerNorm2d. Parameters
    weight (γ) and bias (β), [C] (none with affine=False); no running statistics.
    """

    def __init__(self, channels, eps=1e-6, affine=True):
        super().__init__(channels, eps=eps, elementwise_affine=affine)

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


def standardize_weight(weight, eps: float = 1e-5):
    """Weight Standardization (Qiao et al. 2019) of each output filter k.

    Ŵ = (W − μ_k) / sqrt(σ²_k + eps), with μ_k and the biased σ²_k over the filter's
    weights.
    """
    flat = weight.reshape(weight.shape[0], -1)
    mean = flat.mean(dim=1, keepdim=True)
    var = flat.var(dim=1, unbiased=False, keepdim=True)
    return ((flat - mean) / torch.sqrt(var + eps)).reshape(weight.shape)


def scale_weight(weight, gain):
    """Scaled Weight Standardization (Brock et al. 2021) of each output filter k, with gain g.

    Ŵ = g_k · (W − μ_k) / (sqrt(fan_in) · σ_k), with μ_k and the biased σ_k over the
    filter's weights and no eps; fan_in is the number of weights of one filter
    (in_channels / groups · kh · kw, or in_features).
    """
    flat = weight.reshape(weight.shape[0], -1)
    mean = flat.mean(dim=1, keepdim=True)
    std = flat.var(dim=1, unbiased=False, keepdim=True).sqrt()
    fan_in = flat.shape[1]
    return (gain.view(-1, 1) * (flat - mean) / (math.sqrt(fan_in) * std)).reshape(weight.shape)


class StandardizedConv2d(nn.Conv2d):
    """nn.Conv2d with a standardized weight: y = conv(x, standardize_weight(W)) + b.

    Takes nn.Conv2d's arguments and has its parameters (weight, bias); the same in training
    and evaluation.
    """

    def forward(self, x):
        return self._conv_forward(x, standardize_weight(self.weight), self.bias)


class ScaledStandardizedConv2d(nn.Conv2d):
    """nn.Conv2d with a scaled standardized weight: y = conv(x, scale_weight(W, g)) + b.

    Takes nn.Conv2d's arguments; parameters weight, bias (when bias=True), then a per-filter
    gain g [out_channels], initially 1. The same in training and evaluation.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gain = nn.Parameter(torch.ones(self.out_channels))

    def forward(self, x):
        return self._conv_forward(x, scale_weight(self.weight, self.gain), self.bias)


class StandardizedLinear(nn.Linear):
    """nn.Linear with a standardized weight: y = x · standardize_weight(W)ᵀ + b.

    Takes nn.Linear's arguments and has its parameters (weight, bias); the same in training
    and evaluation.
    """

    def forward(self, x):
        return F.linear(x, standardize_weight(self.weight), self.bias)


class ScaledStandardizedLinear(nn.Linear):
    """nn.Linear with a scaled standardized weight: y = x · scale_weight(W, g)ᵀ + b.

    Takes nn.Linear's arguments; parameters weight, bias (when bias=True), then a per-output
    gain g [out_features], initially 1. The same in training and evaluation.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gain = nn.Parameter(torch.ones(self.out_features))

    def forward(self, x):
        return F.linear(x, scale_weight(self.weight, self.gain), self.bias)


def maxout(x, pieces: int):
    """Maxout over channels: output channel c is the max of input channels c·p … c·p + p − 1.

    p is pieces. Tied maxima share the gradient equally, as amax's does.
    """
    return x.unflatten(1, (-1, pieces)).amax(dim=2)


def channel_shuffle(x, groups: int):
    """ShuffleNet's channel shuffle, as torchvision's, on [N, C, H, W].

    The channels, as a groups × C/groups grid, are read by columns: output channel
    j·groups + i is input channel i·(C/groups) + j.
    """
    n, c, h, w = x.size()
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class Standardize(nn.Module):
    """Fixed per-channel input normalization y = (x − mean) / std, in training and evaluation.

    mean and std are constants of the model, not weights: buffers left out of state_dict().
    """

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float), persistent=False)

    def extra_repr(self):
        return f"mean={self.mean.tolist()}, std={self.std.tolist()}"

    def forward(self, x):
        return (x - per_channel(self.mean, x)) / per_channel(self.std, x)


class Scale(nn.Module):
    """A learned multiplier per channel, y = x · weight, on [N, C] or [N, C, H, W].

    weight starts at init (ConvNeXt's layer scale uses 1e-6); it is [C], or [C, 1, 1] with
    image=True, as ConvNeXt's layer_scale, for [N, C, H, W] inputs.
    """

    def __init__(self, channels: int, init: float = 1.0, image: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels, 1, 1) if image else (channels,), init))

    def extra_repr(self):
        return f"{self.weight.numel()}"

    def forward(self, x):
        return x * self.weight if self.weight.dim() == 3 else x * per_channel(self.weight, x)