// The VS Code client of nnc's language server: it starts `nnc lsp --stdio` (the command and
// leading arguments come from the `nnc.server.*` settings) for every `.nn` document. Everything
// else — diagnostics, hover, completion, definitions, outline, formatting, inlay hints — is the
// server's. Plain CommonJS, so that the extension needs no build step.
"use strict";
const { workspace } = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

/** Starts the language server when a `.nn` document opens. */
function activate() {
  const config = workspace.getConfiguration("nnc");
  const command = config.get("server.command", "nnc");
  const args = [...config.get("server.args", []), "lsp", "--stdio"];
  client = new LanguageClient(
    "nnc",
    "nnc language server",
    { command, args },
    { documentSelector: [{ language: "nn" }] },
  );
  return client.start();
}

/** Stops the server with the extension. */
function deactivate() {
  return client?.stop();
}

module.exports = { activate, deactivate };
