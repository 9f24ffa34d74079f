/** The seeded mutator that the fuzz tests share: a failure reproduces from its seed. */

/** Pieces of the language that a mutation inserts. */
const FRAGMENTS = [
  "->", "(", ")", "[", "]", "{", "}", ",", ":", "=", "*", "+", "-", "/", "//", "%", "==", "not", "and",
  "if", "then", "else", "for", "in", "use", "return", "model", "block", "let", "import", '"', "#",
  "x", "norm", "relu", "conv", "conv(", "batch()", "group(groups: 3)", "Basic", "0", "-1", "1e9",
  "3.5", "100000000", "channels(x)", "shape(x)", "[N, 3]", "\n", " ",
];

/** A small deterministic generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `text` with one to three random edits: deletions, inserted fragments, duplicated runs, extreme numbers, truncation. */
export function mutate(text: string, random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  let out = text;
  const edits = 1 + pick(3);
  for (let e = 0; e < edits; e++) {
    const at = pick(out.length + 1);
    const len = pick(12);
    switch (pick(5)) {
      case 0: // delete a run of characters
        out = out.slice(0, at) + out.slice(at + len);
        break;
      case 1: // insert a fragment of the language
        out = out.slice(0, at) + FRAGMENTS[pick(FRAGMENTS.length)] + out.slice(at);
        break;
      case 2: // duplicate a run
        out = out.slice(0, at) + out.slice(at, at + len) + out.slice(at);
        break;
      case 3: // replace a number with an extreme one
        out = out.replace(/\d+/, ["0", "-3", "7", "99999", "2.5"][pick(5)]);
        break;
      default: // truncate
        out = out.slice(0, at);
    }
  }
  return out;
}
