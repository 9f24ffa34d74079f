/**
 * The keys of a JSON object in the order they are written, duplicates included.
 *
 * `JSON.parse` keeps insertion order only for keys that do not look like array indices (`"0"`,
 * `"12"` come first, in numeric order) and silently keeps the last of two equal keys. A
 * safetensors header is a JSON object whose key order can carry meaning (it is the checkpoint's
 * declaration order when no `order` metadata says otherwise) and whose keys must be unique, so
 * the reader asks this scanner for the keys as written.
 */

/**
 * Lists the top-level keys of `text`, which must already be known to be a valid JSON object
 * (the caller runs `JSON.parse` first; this scanner does not validate).
 */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let i = skipSpace(text, text.indexOf("{") + 1);
  while (text[i] === '"') {
    const end = endOfString(text, i);
    keys.push(JSON.parse(text.slice(i, end)) as string);
    i = skipSpace(text, end);
    i = endOfValue(text, skipSpace(text, i + 1));
    i = skipSpace(text, i);
    if (text[i] === ",") i = skipSpace(text, i + 1);
  }
  return keys;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && " \t\n\r".includes(text[i])) i++;
  return i;
}

/** The index just past the string literal that opens at `start`. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** The index just past the JSON value that starts at `start`. */
function endOfValue(text: string, start: number): number {
  if (text[start] === '"') return endOfString(text, start);
  if (text[start] !== "{" && text[start] !== "[") {
    let i = start;
    while (i < text.length && !",}] \t\n\r".includes(text[i])) i++;
    return i;
  }
  let depth = 0;
  let i = start;
  do {
    const c = text[i];
    if (c === '"') {
      i = endOfString(text, i);
      continue;
    }
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    i++;
  } while (depth > 0);
  return i;
}
