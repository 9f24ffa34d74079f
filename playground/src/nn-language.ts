/**
 * `.nn` highlighting for CodeMirror: a stream tokenizer over the lexer's token kinds
 * (`grammar/tokens.ts`: comments, strings, numbers, keywords, names) that marks the registry's
 * layer names and the words after `model` and `block` as the TextMate grammar in `editors/` does.
 */
import { StreamLanguage, type StringStream } from "@codemirror/language";

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
