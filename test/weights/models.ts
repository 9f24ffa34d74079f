/**
 * Checked models built by hand for the weights tests, so that they do not depend on the checker:
 * only the fields the weights stage reads (layer kinds, paths, parameters) carry meaning.
 */
import type { CheckedModel, LayerInstance, ParamInfo } from "../../compiler/check/model.js";

const origin = { file: "test.nn", span: { start: 0, end: 0 } };

/** A parameter; `running_*` leaves are buffers, as the checker marks them. */
export function param(name: string, shape: readonly number[]): ParamInfo {
  return { name, shape, buffer: /\.running_\w+$/.test(name) };
}

/** A layer instance of `kind` at `path` with the given leaves and their shapes. */
export function layer(kind: string, path: string, leaves: Readonly<Record<string, readonly number[]>>): LayerInstance {
  return {
    path,
    kind,
    attrs: {},
    inputs: [0],
    output: 1,
    params: Object.entries(leaves).map(([leaf, shape]) => param(`${path}.${leaf}`, shape)),
    flops: 0,
    origin,
    scopes: [],
  };
}

/** A model over `layers`, its parameters in layer order. */
export function model(layers: readonly LayerInstance[]): CheckedModel {
  return {
    name: "Test",
    file: "test.nn",
    inputs: [{ name: "x", value: 0 }],
    values: [],
    layers,
    scopes: [],
    outputs: [1],
    params: layers.flatMap((l) => l.params),
    config: {},
    origin,
  };
}

/** The nnc counterpart of the PyTorch fixture's `Sequential(conv, batchnorm, relu, flatten, linear)`. */
export function torchFixtureModel(): CheckedModel {
  return model([
    layer("conv", "conv0", { weight: [4, 3, 3, 3] }),
    layer("batch", "batch0", { weight: [4], bias: [4], running_mean: [4], running_var: [4] }),
    layer("relu", "relu0", {}),
    layer("flatten", "flatten0", {}),
    layer("dense", "dense0", { weight: [2, 16], bias: [2] }),
  ]);
}
