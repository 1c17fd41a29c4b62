/**
 * The import graph of src/ has no circles and every import goes down (or stays on its
 * floor): a file imports only files on its own floor or below. The floors, lowest first:
 *
 *   leaves (config/, rng.ts, version.ts, v8_flags.ts) < kernels < backend (backend/) < data
 *   < models < optim < methods < resolve < train < experiment < report < runner < cli
 *
 * A new folder of src/ must be given a floor in scripts/import_graph.ts (FLOORS) and here.
 * `deno run -A scripts/layout_metrics.ts` prints the same graph with counts.
 */
import { assertEquals } from "./assert.ts";
import {
  findCircles,
  floorOf,
  FLOORS,
  type ImportGraph,
  importSpecifiers,
  readImportGraph,
  upArrows,
} from "../scripts/import_graph.ts";

/** The floors, lowest first, as the module comment states them. */
const EXPECTED_FLOORS = [
  ["config", "rng.ts", "version.ts", "v8_flags.ts"],
  ["kernels"],
  ["backend"],
  ["data"],
  ["models"],
  ["optim"],
  ["methods"],
  ["resolve"],
  ["train"],
  ["experiment"],
  ["report"],
  ["runner"],
  ["cli"],
];

const graph = readImportGraph();

Deno.test("import graph: the floors are the documented ones", () => {
  assertEquals(FLOORS.map((f) => [...f.members]), EXPECTED_FLOORS);
});

Deno.test("import graph: every src/ file sits on a floor", () => {
  assertEquals([...graph.keys()].filter((f) => floorOf(f) < 0), []);
  assertEquals(graph.size > 100, true, `only ${graph.size} files read under src/`);
});

Deno.test("import graph: src/ has no import circle", () => {
  const circles = findCircles(graph);
  assertEquals(
    circles.map((c) => `${c.length} files: ${c.join(" ")}`),
    [],
    "import circles in src/ (break them by moving shared types or errors to a lower floor)",
  );
});

Deno.test("import graph: no import goes up a floor", () => {
  assertEquals(
    upArrows(graph).map((a) => `${a.from} (${a.fromFloor}) -> ${a.to} (${a.toFloor})`),
    [],
    "imports that go up a floor (move the imported code down, or the importer up)",
  );
});

Deno.test("import graph: every relative import names an existing src/ file", () => {
  const missing = [...graph].flatMap(([from, targets]) =>
    targets.filter((t) => !graph.has(t)).map((t) => `${from} -> ${t}`)
  );
  assertEquals(missing, []);
});

Deno.test("import graph: the scanner reads real imports only", () => {
  const source = [
    'import * as tf from "@tensorflow/tfjs";',
    'import type { A } from "./a.ts";',
    "import {",
    "  b,",
    "  type C,",
    '} from "../b.ts";',
    'export { d } from "./d.ts";',
    'export * as e from "./e.ts";',
    'import "./side.ts";',
    'const lazy = await import("./lazy.ts");',
    '// import { x } from "./comment.ts";',
    "/**",
    ' * import { y } from "./jsdoc.ts";',
    " */",
    "const s = 'import { z } from \"./string.ts\"';",
    'const t = `import { w } from "./template.ts" ${s.replace(/"/g, "`")}`;',
    'const r = /from "\\.\\/regex.ts"/;',
    'export const after = "./not-an-import.ts";',
    'import { last } from "./last.ts";',
  ].join("\n");
  assertEquals(importSpecifiers(source), [
    "@tensorflow/tfjs",
    "./a.ts",
    "../b.ts",
    "./d.ts",
    "./e.ts",
    "./side.ts",
    "./lazy.ts",
    "./last.ts",
  ]);
});

Deno.test("import graph: a circle and an up-floor import are found", () => {
  const g: ImportGraph = new Map([
    ["src/config/types.ts", ["src/cli/run.ts"]],
    ["src/cli/run.ts", ["src/data/registry.ts"]],
    ["src/data/registry.ts", ["src/config/types.ts"]],
    ["src/data/specs.ts", ["src/data/specs.ts"]],
    ["src/models/model.ts", ["src/data/specs.ts"]],
  ]);
  assertEquals(findCircles(g), [
    ["src/cli/run.ts", "src/config/types.ts", "src/data/registry.ts"],
    ["src/data/specs.ts"],
  ]);
  assertEquals(upArrows(g).map((a) => `${a.from} -> ${a.to}`), [
    "src/config/types.ts -> src/cli/run.ts",
  ]);
});
