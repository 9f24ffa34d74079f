/**
 * Channel shuffle (ShuffleNet): the C channels of `[N, C, ...]`, read as a `groups × C/groups`
 * grid, are written out column by column, so output channel `j·groups + i` is input channel
 * `i·(C/groups) + j`. As torchvision's `channel_shuffle`: reshape to `[N, groups, C/groups, ...]`,
 * swap axes 1 and 2, reshape back.
 */
import { outputTensor, sizeOf, type Tensor } from "../tensor.js";

/** Attributes of {@link channelShuffle}. */
export interface ChannelShuffleAttributes {
  /** The number of groups; must divide C. */
  groups: number;
}

/** Returns `x` with its channels shuffled, in `out` when a buffer is passed. */
export function channelShuffle(x: Tensor, attributes: ChannelShuffleAttributes, out?: Float32Array): Tensor {
  const { groups } = attributes;
  if (x.shape.length < 2) throw new Error(`channelShuffle: input needs rank 2 or more, got [${x.shape.join(", ")}]`);
  const [n, c] = x.shape;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new Error(`channelShuffle: groups ${groups} must divide the ${c} channels`);
  }
  const y = outputTensor(x.shape, out, "channelShuffle");
  const plane = sizeOf(x.shape.slice(2));
  const perGroup = c / groups;
  for (let s = 0; s < n; s++) {
    const base = s * c * plane;
    for (let i = 0; i < groups; i++) {
      for (let j = 0; j < perGroup; j++) {
        const from = base + (i * perGroup + j) * plane;
        y.data.set(x.data.subarray(from, from + plane), base + (j * groups + i) * plane);
      }
    }
  }
  return y;
}
