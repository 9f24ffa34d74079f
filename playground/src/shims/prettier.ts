/**
 * `prettier` in the browser: its standalone build, which takes its parsers as plugins, with the
 * TypeScript and Babel parsers that the TypeScript emitter formats with.
 */
import type { Options } from "prettier";
import { format as formatStandalone } from "prettier/standalone";
import * as babel from "prettier/plugins/babel";
import * as estree from "prettier/plugins/estree";
import * as typescript from "prettier/plugins/typescript";

/** `prettier.format`, with the plugins the emitter's parsers need. */
export function format(text: string, options: Options): Promise<string> {
  return formatStandalone(text, { ...options, plugins: [typescript, babel, estree as never] });
}
