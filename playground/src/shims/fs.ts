/**
 * `node:fs` in the browser: there is no disk. The playground's host never reads files (an
 * import is a diagnostic), so only code the page does not offer (`--standalone` emission, which
 * reads the runtime's sources) could reach these, and it is told why it fails.
 */

function noDisk(): never {
  throw new Error("the playground runs in a browser and has no file system");
}

export const existsSync = (): boolean => false;
export const readFileSync = noDisk;
export const writeFileSync = noDisk;
export const statSync = noDisk;
export const readdirSync = noDisk;
export const realpathSync = noDisk;
export const openSync = noDisk;
export const fstatSync = noDisk;
export const readSync = noDisk;
export const closeSync = noDisk;
export const mkdirSync = noDisk;
export const constants = {};
export default { existsSync, readFileSync, writeFileSync, statSync, readdirSync, realpathSync, openSync, fstatSync, readSync, closeSync, mkdirSync, constants };
