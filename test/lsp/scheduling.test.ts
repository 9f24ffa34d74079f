/**
 * When the workspace re-checks after edits, driven by a fake `defer` whose tasks run only when
 * the test says: an edit after a quiet period is checked on the next turn (no wait), the edits
 * of one turn are checked together, and edits during the interval after a re-check are coalesced
 * into one re-check at its end, of the last version only.
 */
import { describe, expect, it } from "vitest";
import { TextDocument } from "vscode-languageserver-textdocument";
import { Workspace, type WorkspaceHost } from "../../compiler/lsp/workspace.js";

const URI = "file:///project/main.nn";
const OTHER = "file:///project/other.nn";
const model = (n: number) => `model M(x: [N, ${n}]) {\n  return x -> dense(4) -> relu\n}\n`;

/** A host whose deferred tasks wait in a queue; `published` records each publication's uri and version. */
function fakeHost() {
  const tasks: { ms: number; task: () => void; cancelled: boolean }[] = [];
  const published: string[] = [];
  const host: WorkspaceHost = {
    readFile: () => undefined,
    publish: (uri, version) => void published.push(`${uri.slice(uri.lastIndexOf("/") + 1)}@${version}`),
    defer: (ms, task) => {
      const entry = { ms, task, cancelled: false };
      tasks.push(entry);
      return () => void (entry.cancelled = true);
    },
  };
  /** The delays of the tasks waiting now. */
  const waiting = () => tasks.filter((t) => !t.cancelled).map((t) => t.ms);
  /** Runs the first waiting task (time passes until it is due). */
  const runNext = () => {
    const index = tasks.findIndex((t) => !t.cancelled);
    if (index < 0) throw new Error("no task is waiting");
    const [entry] = tasks.splice(index, 1);
    entry!.task();
  };
  return { host, published, waiting, runNext };
}

const edit = (workspace: Workspace, uri: string, version: number) => workspace.update(TextDocument.create(uri, "nn", version, model(version)));

describe("re-check scheduling", () => {
  it("checks an edit after a quiet period on the next turn, without waiting the interval", () => {
    const fake = fakeHost();
    const workspace = new Workspace(fake.host, 100);
    edit(workspace, URI, 1);
    expect(fake.waiting()).toEqual([0]);
    expect(fake.published).toEqual([]);
    fake.runNext();
    expect(fake.published).toEqual(["main.nn@1"]);
    // The interval after it ends with nothing pending: the workspace is idle again.
    expect(fake.waiting()).toEqual([100]);
    fake.runNext();
    expect(fake.waiting()).toEqual([]);
    edit(workspace, URI, 2);
    expect(fake.waiting()).toEqual([0]);
    fake.runNext();
    expect(fake.published).toEqual(["main.nn@1", "main.nn@2"]);
  });

  it("checks the edits of one turn together, each document once at its last version", () => {
    const fake = fakeHost();
    const workspace = new Workspace(fake.host, 100);
    edit(workspace, URI, 1);
    edit(workspace, OTHER, 1);
    edit(workspace, URI, 2);
    expect(fake.waiting()).toEqual([0]);
    fake.runNext();
    expect(fake.published).toEqual(["main.nn@2", "other.nn@1"]);
  });

  it("coalesces a burst: edits within the interval after a re-check wait for its end, and only the last version is checked", () => {
    const fake = fakeHost();
    const workspace = new Workspace(fake.host, 100);
    edit(workspace, URI, 1);
    fake.runNext();
    expect(fake.published).toEqual(["main.nn@1"]);
    for (let v = 2; v <= 5; v++) edit(workspace, URI, v);
    // Nothing more is scheduled: the interval's end takes them.
    expect(fake.waiting()).toEqual([100]);
    fake.runNext();
    expect(fake.published).toEqual(["main.nn@1", "main.nn@5"]);
    // That re-check starts another interval; an edit in it waits too.
    expect(fake.waiting()).toEqual([100]);
    edit(workspace, URI, 6);
    expect(fake.waiting()).toEqual([100]);
    fake.runNext();
    expect(fake.published).toEqual(["main.nn@1", "main.nn@5", "main.nn@6"]);
    // The burst is over: after a quiet interval the next edit is checked at once again.
    fake.runNext();
    expect(fake.waiting()).toEqual([]);
    edit(workspace, URI, 7);
    expect(fake.waiting()).toEqual([0]);
  });

  it("a request during the wait gets the current version's analysis; the re-check then only publishes it", () => {
    const fake = fakeHost();
    const workspace = new Workspace(fake.host, 100);
    edit(workspace, URI, 1);
    const analysis = workspace.analysis(URI);
    expect(analysis?.version).toBe(1);
    fake.runNext();
    expect(workspace.analysis(URI)).toBe(analysis);
    expect(fake.published).toEqual(["main.nn@1"]);
  });

  it("a re-check that throws does not stop later ones", () => {
    const fake = fakeHost();
    let fail = true;
    const publish = fake.host.publish;
    fake.host.publish = (...args) => {
      if (fail) throw new Error("bug");
      publish(...args);
    };
    const workspace = new Workspace(fake.host, 100);
    edit(workspace, URI, 1);
    expect(() => fake.runNext()).toThrow("bug");
    fail = false;
    edit(workspace, URI, 2);
    fake.runNext();
    expect(fake.published).toEqual(["main.nn@2"]);
  });

  it("an interval of 0 still checks each turn's edits once", () => {
    const fake = fakeHost();
    const workspace = new Workspace(fake.host, 0);
    edit(workspace, URI, 1);
    edit(workspace, URI, 2);
    expect(fake.waiting()).toEqual([0]);
    fake.runNext();
    edit(workspace, URI, 3);
    expect(fake.waiting()).toEqual([0]);
    fake.runNext();
    expect(fake.published).toEqual(["main.nn@2", "main.nn@3"]);
  });
});
