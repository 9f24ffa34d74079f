"""PyTorch modules for the nnc layers that torch.nn lacks (their formulas: docs/operators.md).

Batch renormalization, filter response normalization, switchable normalization and the two
weight-standardized convolutions and linear layers. Each registers its parameters and buffers
under the names and in the order nnc gives them (per-channel tensors are 1-D `[C]`), so that a
model built from them has the same state_dict layout as nnc's parameter list, and follows the
formulas of docs/operators.md literally, so that it can serve as the numerical reference of a whole model.

Imported by scripts/torch_twins.py; meant for any later script that needs the same layers.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


def _channel_view(x):
    """The shape that broadcasts a per-channel vector over x (rank 2 or 4)."""
    return [1, -1] + [1] * (x.dim() - 2)


def _reduce_axes(x):
    """The axes of per-channel batch statistics: N and every spatial axis."""
    return [0] + list(range(2, x.dim()))


class BatchRenorm(nn.Module):
    """Batch renormalization (Ioffe 2017), as docs/operators.md defines it.

    Training: σ_b = sqrt(var_b + eps) with the biased variance, r = clip(σ_b / σ, 1/rmax, rmax),
    d = clip((μ_b - μ) / σ, -dmax, dmax), both without gradient; x̂ = (x - μ_b) / σ_b · r + d;
    then μ += momentum (μ_b - μ), σ += momentum (σ_b - σ). Inference: y = γ (x - μ) / σ + β.
    """

    def __init__(self, channels, eps=1e-5, momentum=0.01, rmax=3.0, dmax=5.0):
        super().__init__()
        self.eps, self.momentum, self.rmax, self.dmax = eps, momentum, rmax, dmax
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_std", torch.ones(channels))

    def forward(self, x):
        view = _channel_view(x)
        if not self.training:
            x_hat = (x - self.running_mean.view(view)) / self.running_std.view(view)
        else:
            axes = _reduce_axes(x)
            mu_b = x.mean(dim=axes)
            sigma_b = torch.sqrt(x.var(dim=axes, unbiased=False) + self.eps)
            with torch.no_grad():
                r = torch.clamp(sigma_b / self.running_std, 1 / self.rmax, self.rmax)
                d = torch.clamp((mu_b - self.running_mean) / self.running_std, -self.dmax, self.dmax)
            x_hat = (x - mu_b.view(view)) / sigma_b.view(view) * r.view(view) + d.view(view)
            with torch.no_grad():
                self.running_mean += self.momentum * (mu_b - self.running_mean)
                self.running_std += self.momentum * (sigma_b - self.running_std)
        return self.weight.view(view) * x_hat + self.bias.view(view)


class FilterResponseNorm(nn.Module):
    """Filter response normalization with its thresholded linear unit (Singh & Krishnan 2019).

    ν² = mean_{H,W}(x²) (x² itself on rank 2), y = max(γ x / sqrt(ν² + eps) + β, τ).
    """

    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.tau = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        view = _channel_view(x)
        nu2 = (x * x).mean(dim=(2, 3), keepdim=True) if x.dim() == 4 else x * x
        y = self.weight.view(view) * x / torch.sqrt(nu2 + self.eps) + self.bias.view(view)
        return torch.maximum(y, self.tau.view(view))


class SwitchableNorm(nn.Module):
    """Switchable normalization (Luo et al. 2018), as docs/operators.md defines it.

    A softmax-weighted mix of instance, layer and batch statistics (all variances biased):
    μ = Σ wm_k μ_k, σ² = Σ wv_k σ²_k over (IN, LN, BN), y = γ (x - μ) / sqrt(σ² + eps) + β.
    The batch statistics are the running ones at inference; training updates them as BatchNorm
    does, but with the biased variance.
    """

    def __init__(self, channels, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.mean_weight = nn.Parameter(torch.ones(3))
        self.var_weight = nn.Parameter(torch.ones(3))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x):
        n, c = x.shape[:2]
        flat = x.reshape(n, c, -1)
        mu_in = flat.mean(dim=2)
        var_in = flat.var(dim=2, unbiased=False)
        mu_ln = mu_in.mean(dim=1, keepdim=True)
        var_ln = (var_in + mu_in ** 2).mean(dim=1, keepdim=True) - mu_ln ** 2
        if self.training:
            per_channel = flat.transpose(0, 1).reshape(c, -1)
            mu_bn, var_bn = per_channel.mean(dim=1), per_channel.var(dim=1, unbiased=False)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mu_bn)
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var_bn)
        else:
            mu_bn, var_bn = self.running_mean, self.running_var
        wm = torch.softmax(self.mean_weight, dim=0)
        wv = torch.softmax(self.var_weight, dim=0)
        mu = wm[0] * mu_in + wm[1] * mu_ln + wm[2] * mu_bn.view(1, c)
        var = wv[0] * var_in + wv[1] * var_ln + wv[2] * var_bn.view(1, c)
        y = (flat - mu.view(n, c, 1)) / torch.sqrt(var.view(n, c, 1) + self.eps)
        y = self.weight.view(1, c, 1) * y + self.bias.view(1, c, 1)
        return y.reshape(x.shape)


class ChannelNorm2d(nn.Module):
    """ConvNeXt's layer normalization over the C channels of each pixel of [N, C, H, W].

    nn.LayerNorm(C) on x permuted to [N, H, W, C], as timm's and torchvision's LayerNorm2d:
    per sample and pixel, y = γ (x - μ) / sqrt(σ² + eps) + β over the channels (biased σ²).
    weight (γ) and bias (β) are [C], absent with affine=False; no running statistics.
    """

    def __init__(self, channels, eps=1e-6, affine=True):
        super().__init__()
        self.channels, self.eps = channels, eps
        self.weight = nn.Parameter(torch.ones(channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(channels)) if affine else None

    def forward(self, x):
        y = F.layer_norm(x.permute(0, 2, 3, 1), (self.channels,), self.weight, self.bias, self.eps)
        return y.permute(0, 3, 1, 2)


class Scale(nn.Module):
    """nnc's `scale(init)`: a learned multiplier per channel, y = x · weight on [N, C] or
    [N, C, H, W] (ConvNeXt's layer scale); weight starts at init, [C], or [C, 1, 1] with
    image=True (nnc's shape on an image, as ConvNeXt's layer_scale)."""

    def __init__(self, channels, init=1.0, image=False):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels, 1, 1) if image else (channels,), init))

    def forward(self, x):
        return x * self.weight.view(_channel_view(x))


def standardize_weight(weight, eps=1e-5):
    """Weight Standardization (Qiao 2019): per output filter, (W - μ) / sqrt(σ² + eps), biased σ²."""
    flat = weight.reshape(weight.shape[0], -1)
    mu = flat.mean(dim=1, keepdim=True)
    var = flat.var(dim=1, unbiased=False, keepdim=True)
    return ((flat - mu) / torch.sqrt(var + eps)).reshape(weight.shape)


def scale_weight(weight, gain):
    """Scaled WS (Brock 2021): g (W - μ) / (sqrt(fan_in) σ) per output filter, biased σ, no eps."""
    flat = weight.reshape(weight.shape[0], -1)
    mu = flat.mean(dim=1, keepdim=True)
    sigma = flat.var(dim=1, unbiased=False, keepdim=True).sqrt()
    fan_in = flat.shape[1]
    return (gain.view(-1, 1) * (flat - mu) / (math.sqrt(fan_in) * sigma)).reshape(weight.shape)


class StandardizedConv2d(nn.Conv2d):
    """`conv(..., ws: "standard")`: parameters `weight`, `bias` as nn.Conv2d."""

    def forward(self, x):
        return self._conv_forward(x, standardize_weight(self.weight), self.bias)


class ScaledStandardizedConv2d(nn.Conv2d):
    """`conv(..., ws: "scaled")`: `weight`, `bias`, then a per-filter `gain` [out] (init 1)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gain = nn.Parameter(torch.ones(self.out_channels))

    def forward(self, x):
        return self._conv_forward(x, scale_weight(self.weight, self.gain), self.bias)


class StandardizedLinear(nn.Linear):
    """`dense(..., ws: "standard")`: parameters `weight`, `bias` as nn.Linear."""

    def forward(self, x):
        return F.linear(x, standardize_weight(self.weight), self.bias)


class ScaledStandardizedLinear(nn.Linear):
    """`dense(..., ws: "scaled")`: `weight`, `bias`, then a per-output `gain` [out] (init 1)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gain = nn.Parameter(torch.ones(self.out_features))

    def forward(self, x):
        return F.linear(x, scale_weight(self.weight, self.gain), self.bias)
