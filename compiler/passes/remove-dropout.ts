/**
 * Dropout is the identity at inference: `y = x`. Every `Dropout` node goes, and its readers read
 * its input.
 */
import { bypassPass } from "./rewrite.js";

export const removeDropout = bypassPass("remove-dropout", "Dropout");
