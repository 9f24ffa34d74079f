/**
 * `node:module` in the browser: `createRequire` loads the `mnist` package's files in Node; the
 * page has the digits packed in `mnist.bin` instead (`training.ts`), so nothing may call it.
 */
export function createRequire(): never {
  throw new Error("the playground runs in a browser: its digits come from mnist.bin");
}
