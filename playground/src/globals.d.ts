/** Constants the build (`playground/build.ts`) writes into the page. */

/** The language's keywords (`grammar/tokens.ts`). */
declare const NNC_KEYWORDS: readonly string[];
/** The layer names of the operator registry. */
declare const NNC_LAYERS: readonly string[];
/** The `.nn` files of `examples/`. */
declare const NNC_EXAMPLES: readonly { readonly name: string; readonly text: string }[];
