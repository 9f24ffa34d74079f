/**
 * `.nn` highlighting for CodeMirror: a stream tokenizer over the lexer's token kinds
 * (`grammar/tokens.ts`: comments, strings, numbers, keywords, names) that marks the registry's
 * layer names and the words after `model` and `block` as the TextMate grammar in `editors/` does.
 */
import { HighlightStyle, StreamLanguage, syntaxHighlighting, type StringStream } from "@codemirror/language";
import type { Extension } from "@codemirror/state";
import { tags } from "@lezer/highlight";

const KEYWORDS = new Set(NNC_KEYWORDS);
const LAYERS = new Set(NNC_LAYERS);
const ATOMS = new Set(["true", "false", "none"]);
const TYPES = new Set(["int", "float", "bool", "layer"]);

interface State {
  /** The previous word was `model` or `block`: the next name is a definition. */
  defining: boolean;
}

function token(stream: StringStream, state: State): string | null {
  if (stream.eatSpace()) return null;
  if (stream.match(/^#.*/)) return "comment";
  if (stream.match(/^"(?:[^"\\\n\r]|\\.)*"?/)) return "string";
  if (stream.match(/^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/)) return "number";
  const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/) as RegExpMatchArray | null;
  if (word) {
    const text = word[0];
    if (state.defining) {
      state.defining = false;
      return "def";
    }
    if (text === "model" || text === "block") state.defining = true;
    if (ATOMS.has(text)) return "atom";
    if (KEYWORDS.has(text)) return "keyword";
    if (TYPES.has(text)) return "typeName";
    if (LAYERS.has(text)) return "builtin";
    return /^[A-Z]/.test(text) ? "className" : "variableName";
  }
  if (stream.match(/^(?:->|\*\*|\/\/|==|!=|<=|>=|[-+*/%<>=])/)) return "operator";
  stream.next();
  return "punctuation";
}

/** The `.nn` language. */
export const nnLanguage = StreamLanguage.define<State>({
  name: "nn",
  startState: () => ({ defining: false }),
  token,
  languageData: { commentTokens: { line: "#" } },
});

/** The playground's colours: layers stand out from the names a model defines. */
const nnHighlight = HighlightStyle.define([
  { tag: tags.comment, color: "#6e7781", fontStyle: "italic" },
  { tag: tags.string, color: "#0a3069" },
  { tag: tags.number, color: "#0550ae" },
  { tag: [tags.keyword, tags.atom], color: "#cf222e" },
  { tag: tags.typeName, color: "#953800" },
  { tag: tags.standard(tags.variableName), color: "#8250df" },
  { tag: tags.definition(tags.variableName), color: "#0550ae", fontWeight: "bold" },
  { tag: tags.className, color: "#116329" },
  { tag: tags.operator, color: "#57606a" },
]);

/** The `.nn` language with its highlighting. */
export function nn(): Extension {
  return [nnLanguage, syntaxHighlighting(nnHighlight)];
}
