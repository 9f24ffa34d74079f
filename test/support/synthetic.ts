/**
 * Synthetic, reproducible tensors for the end-to-end fixtures: the TypeScript half of a generator
 * that `scripts/synthetic.py` implements bit for bit in Python (numpy).
 *
 * Every weight and input of `test/fixtures/e2e/<example>.json` is a pure function of the tensor's
 * name, shape and role, computed with exact integer arithmetic, so that the fixtures need carry
 * only outputs (committing ResNet-18's 11.7M weights would be far too big):
 *
 * 1. Seed. seed = FNV-1a 32-bit over the UTF-8 bytes of the name: h = 0x811c9dc5; for each byte
 *    b: h = ((h XOR b) * 0x01000193) mod 2^32. The name is the nnc parameter name (docs/operators.md, "Parameter names")
 *    (`Basic0.conv0.weight`), or `input:<k>` for the model's k-th tensor input (from 0, in
 *    declaration order).
 * 2. Stream. Element i (0-based, row-major) gets the 32-bit word u_i, a counter-based splitmix32
 *    with Chris Wellons' `lowbias32` finalizer (arithmetic mod 2^32, `>>` logical):
 *      x = seed + (i + 1) * 0x9e3779b9
 *      x ^= x >> 16; x *= 0x7feb352d
 *      x ^= x >> 15; x *= 0x846ca68b
 *      x ^= x >> 16
 *      u_i = x
 * 3. Uniform. f_i = (u_i >>> 8) / 2^24, exactly representable, in [0, 1).
 * 4. Range. value_i = float32(lo + (hi - lo) * f_i), lo, hi and the arithmetic in float64 (no
 *    fused multiply-add), rounded once to float32 (round to nearest even, as a Float32Array store).
 * 5. Role, hence [lo, hi), from the leaf name (after the last dot) and the shape:
 *      input (`input:<k>`)                  [-1, 1)
 *      `weight` of rank >= 2 (conv, dense)  [-w, w), w = sqrt(6 / fan_in), fan_in = prod(shape[1:])
 *                                           (He: kaiming_uniform with the relu gain)
 *      `bias` next to such a weight         [-b, b), b = 1 / sqrt(fan_in) of that weight (PyTorch's
 *                                           bias init)
 *      `weight` of rank 1, prelu            [0, 0.5)   (the layer segment is `prelu<k>`)
 *      `weight` of rank 1, otherwise (γ)    [0.5, 1.5)
 *      `bias` otherwise (β)                 [-0.5, 0.5)
 *      `running_mean`                       [-0.5, 0.5)
 *      `running_var`                        [0.5, 2)
 *      `running_std`                        [0.7, 1.4)
 *      `gain`                               [0.5, 1.5)
 *      `tau`                                [-0.5, 0)
 *      `mean_weight`, `var_weight`          [-1, 1)
 *    "Next to" means: the same layer path holds a `weight` of rank >= 2. w and b are computed in
 *    float64 as Math.sqrt(6 / fan_in) and 1 / Math.sqrt(fan_in) (division and sqrt are correctly
 *    rounded in both languages). Why He rather than PyTorch's default weight bound 1/sqrt(fan_in):
 *    with the default, each conv shrinks the signal by sqrt(3) while eval-mode BatchNorm divides
 *    by the synthetic running variance instead of renormalizing, so after a few layers the
 *    output no longer depended on the input (VGG: by less than 1e-3 of its scale) and a broken
 *    early layer would hide below the tolerance. With He bounds every example's output moves by
 *    10–70% of its scale with the input (`input_sensitivity` in the fixtures).
 * 6. Checksum of a tensor: CRC-32 (zlib's) of its float32 little-endian bytes, unsigned.
 *
 * `test/e2e/fixtures.test.ts` checks that this file reproduces the checksums that the Python side
 * recorded in every fixture.
 */
import { crc32 } from "node:zlib";

/** A parameter as `checkSource` lists it (`CheckedModel.params`). */
export interface SyntheticParam {
  readonly name: string;
  readonly shape: readonly number[];
  readonly buffer?: boolean;
}

/** What a tensor stands for, which picks its range (rule 5). */
export type SyntheticRole =
  | { readonly kind: "input" }
  | { readonly kind: "kernel" | "kernel_bias"; readonly fanIn: number }
  | { readonly kind: "gamma" | "beta" | "prelu" | "running_mean" | "running_var" | "running_std" | "gain" | "tau" | "mix" };

const FIXED: Readonly<Record<string, readonly [number, number]>> = {
  input: [-1, 1],
  gamma: [0.5, 1.5],
  beta: [-0.5, 0.5],
  prelu: [0, 0.5],
  running_mean: [-0.5, 0.5],
  running_var: [0.5, 2],
  running_std: [0.7, 1.4],
  gain: [0.5, 1.5],
  tau: [-0.5, 0],
  mix: [-1, 1],
};

/** FNV-1a, 32 bits, over the UTF-8 bytes of `name` (rule 1). */
export function fnv1a32(name: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(name)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/** The uint32 word u_i of the stream seeded by `seed` (rule 2). */
export function streamWord(seed: number, i: number): number {
  let x = (seed + Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The range [lo, hi) of a role (rule 5). */
export function roleRange(role: SyntheticRole): readonly [number, number] {
  if (role.kind === "kernel") {
    const b = Math.sqrt(6 / role.fanIn);
    return [-b, b];
  }
  if (role.kind === "kernel_bias") {
    const b = 1 / Math.sqrt(role.fanIn);
    return [-b, b];
  }
  return FIXED[role.kind];
}

/** A float32 tensor of `shape`, uniform in the role's range, a pure function of `name` (rules 1–4). */
export function syntheticTensor(name: string, shape: readonly number[], role: SyntheticRole | readonly [number, number]): Float32Array {
  const [lo, hi] = Array.isArray(role) ? (role as readonly [number, number]) : roleRange(role as SyntheticRole);
  const count = shape.reduce((a, b) => a * b, 1);
  const seed = fnv1a32(name);
  const out = new Float32Array(count);
  const width = hi - lo;
  for (let i = 0; i < count; i++) out[i] = lo + width * ((streamWord(seed, i) >>> 8) / 16777216);
  return out;
}

/** The model's k-th tensor input, `input:<k>`, uniform in [-1, 1). */
export function syntheticInput(k: number, shape: readonly number[]): Float32Array {
  return syntheticTensor(`input:${k}`, shape, { kind: "input" });
}

const fanIn = (shape: readonly number[]) => shape.slice(1).reduce((a, b) => a * b, 1);

/** The role of parameter `param` of a model whose parameters are `params` (rule 5). */
export function syntheticRole(param: SyntheticParam, params: readonly SyntheticParam[]): SyntheticRole {
  const dot = param.name.lastIndexOf(".");
  const layer = dot < 0 ? "" : param.name.slice(0, dot);
  const leaf = param.name.slice(dot + 1);
  switch (leaf) {
    case "running_mean":
    case "running_var":
    case "running_std":
    case "gain":
    case "tau":
      return { kind: leaf };
    case "mean_weight":
    case "var_weight":
      return { kind: "mix" };
    case "weight":
      if (param.shape.length >= 2) return { kind: "kernel", fanIn: fanIn(param.shape) };
      return /^prelu\d+$/.test(layer.slice(layer.lastIndexOf(".") + 1)) ? { kind: "prelu" } : { kind: "gamma" };
    case "bias": {
      const sibling = `${layer ? `${layer}.` : ""}weight`;
      const weight = params.find((p) => p.name === sibling && p.shape.length >= 2);
      return weight ? { kind: "kernel_bias", fanIn: fanIn(weight.shape) } : { kind: "beta" };
    }
    default:
      throw new Error(`synthetic: no role for parameter '${param.name}'`);
  }
}

/** name → float32 data for every parameter and buffer of a model (nnc names, any order). */
export function syntheticWeights(params: readonly SyntheticParam[]): Map<string, Float32Array> {
  return new Map(params.map((p) => [p.name, syntheticTensor(p.name, p.shape, syntheticRole(p, params))]));
}

/** CRC-32 (zlib's) of the float32 little-endian bytes of `data` (rule 6), unsigned. */
export function checksum(data: Float32Array): number {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Float32Array is platform-endian; every platform Node runs on here is little-endian.
  return crc32(bytes) >>> 0;
}
