/**
 * "Did you mean" suggestions for misspelled names. Only runs when a name is already known to
 * be wrong, so its cost (an edit distance per candidate) never touches a correct program.
 */

/** The edit distance (Levenshtein with transpositions) between `a` and `b`, giving up (returning `limit + 1`) past `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      // A swap of two neighbours (`rleu` for `relu`) is one typo, not two.
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        current[j] = Math.min(current[j], before[j - 2] + 1);
      }
      best = Math.min(best, current[j]);
    }
    if (best > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidate closest to `name`, if it is close enough to be a plausible typo: within a third
 * of the name's length (at least one edit), case differences counting as half an edit.
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    if (candidate === name || candidate.length === 0) continue;
    const exact = distance(name, candidate, limit);
    const folded = distance(name.toLowerCase(), candidate.toLowerCase(), limit);
    const score = Math.min(exact, folded + 0.5);
    if (score <= limit && score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/**
 * What PyTorch and Keras call nnc's layers, by their names lowercased without `_` and without a
 * trailing `1d`/`2d`/`3d`, and the common short forms (`bn`, `fc`). An edit distance alone would
 * offer `batch_renorm` for `batchnorm` and nothing for `Linear`; these are the names people
 * actually bring along.
 */
const FOREIGN_NAMES: ReadonlyMap<string, string> = new Map([
  ["conv", "conv"], ["convolution", "conv"], ["linear", "dense"], ["fc", "dense"], ["fullyconnected", "dense"],
  ["batchnorm", "batch"], ["batchnormalization", "batch"], ["bn", "batch"],
  ["layernorm", "layer"], ["layernormalization", "layer"], ["ln", "layer"],
  ["groupnorm", "group"], ["groupnormalization", "group"], ["gn", "group"],
  ["instancenorm", "instance"], ["instancenormalization", "instance"],
  ["maxpool", "maxpool"], ["maxpooling", "maxpool"], ["avgpool", "avgpool"], ["averagepooling", "avgpool"],
  ["adaptiveavgpool", "adaptive_avgpool"], ["globalaveragepooling", "global_avgpool"], ["globalavgpool", "global_avgpool"],
  ["globalmaxpooling", "global_maxpool"], ["globalmaxpool", "global_maxpool"],
  ["cat", "concat"], ["concatenate", "concat"], ["leakyrelu", "leaky_relu"], ["swish", "silu"],
  ["hardswish", "hardswish"], ["hardsigmoid", "hardsigmoid"], ["logsoftmax", "log_softmax"],
  ["channelshuffle", "channel_shuffle"],
]);

/** nnc's name for a PyTorch or Keras layer name (`Conv2d`, `BatchNorm2d`, `Linear`), if it has one. */
export function foreignName(name: string): string | undefined {
  const key = name.toLowerCase().replace(/_/g, "").replace(/[123]d$/, "");
  return FOREIGN_NAMES.get(key);
}

/**
 * `; did you mean `conv`?` or nothing. A layer name from PyTorch or Keras (`foreignName`) wins
 * over the closest spelling, when that layer is among the candidates.
 */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const visible = new Set(candidates);
  const known = foreignName(name);
  if (known !== undefined && known !== name && visible.has(known)) return `; did you mean \`${known}\`?`;
  const match = closest(name, visible);
  return match === undefined ? "" : `; did you mean \`${match}\`?`;
}
