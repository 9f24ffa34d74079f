/**
 * `Identity` nodes (the `identity` layer, `none` as a normalizer) compute nothing: `y = x`.
 * Each goes, and its readers read its input.
 */
import { bypassPass } from "./rewrite.js";

export const removeIdentity = bypassPass("remove-identity", "Identity");
