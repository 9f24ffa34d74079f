/**
 * The final classifier of a model: the layers with learnable parameters nearest its output,
 * which adaptive gradient clipping leaves alone by default (as in Brock et al. 2021, where
 * clipping the last linear layer hurt).
 */
import type { CheckedModel } from "../check/model.js";

/**
 * The learnable parameters of the last layer with learnable parameters before the model's output:
 * a walk back from the output through the layers that produce each value, level by level; the
 * first level that has such layers gives them all (two heads summed at the output both count).
 */
export function finalLayerParameters(model: CheckedModel): string[] {
  const producer = new Map(model.layers.map((layer) => [layer.output, layer]));
  let frontier = [...model.outputs];
  const seen = new Set<number>(frontier);
  while (frontier.length > 0) {
    const layers = frontier.map((value) => producer.get(value)).filter((layer) => layer !== undefined);
    const learnable = layers.flatMap((layer) => layer.params.filter((p) => !p.buffer).map((p) => p.name));
    if (learnable.length > 0) return learnable;
    frontier = layers.flatMap((layer) => layer.inputs).filter((value) => !seen.has(value));
    for (const value of frontier) seen.add(value);
  }
  return [];
}
