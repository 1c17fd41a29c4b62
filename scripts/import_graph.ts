/**
 * The import graph of `src/`: every relative `import`/`export ... from`/`import("...")` of
 * every `src/**\/*.ts` file (type-only imports included), its circles, and the floors its
 * folders sit on. tests/import_graph_test.ts fails on a circle or an import that goes up a
 * floor; scripts/layout_metrics.ts prints the same numbers.
 *
 * The specifiers are read by a small scanner, not a regular expression over the raw text:
 * comments (JSDoc examples name imports too), template literals and regular-expression
 * literals are skipped, so only real import statements count.
 *
 * @module
 */
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The floors of `src/`, lowest first: a file may import files on its own floor or below,
 * never above. Each entry of `members` is a folder or a top-level file of `src/`.
 *
 * - leaves: configuration types, hashing and `ConfigError`; seeded random numbers; version
 * - kernels: tfjs kernel replacements
 * - backend: engine selection and start-up, `--backend` names, no-grad, gradient patches
 *   (backend/patches/; selection installs the kernels)
 * - data: dataset specs, stand-ins, loaders and their registry, `.npy`/`.npz` (data/numpy/),
 *   tokenizer and GloVe (data/text/)
 * - models: encoders and fusion heads (built from a dataset's facts)
 * - optim: gradients, SGD, schedules, micro-batches, step metrics
 * - methods: the Method interface, one file per method, their registry
 * - resolve: the resolved configuration of a run (profile, dataset and method defaults, --set)
 * - train: the training loop and its checkpoints
 * - experiment: experiment YAML, expansion into runs
 * - report: aggregation, tables, figures, claims
 * - runner: run records, single runs, sweeps, launchers; the launcher and shared flag values
 *   and their `UsageError`
 * - cli: one file per sub-command and their convention (command.ts)
 */
export const FLOORS: readonly { readonly name: string; readonly members: readonly string[] }[] = [
  { name: "leaves", members: ["config", "rng.ts", "version.ts", "v8_flags.ts"] },
  { name: "kernels", members: ["kernels"] },
  { name: "backend", members: ["backend"] },
  { name: "data", members: ["data"] },
  { name: "models", members: ["models"] },
  { name: "optim", members: ["optim"] },
  { name: "methods", members: ["methods"] },
  { name: "resolve", members: ["resolve"] },
  { name: "train", members: ["train"] },
  { name: "experiment", members: ["experiment"] },
  { name: "report", members: ["report"] },
  { name: "runner", members: ["runner"] },
  { name: "cli", members: ["cli"] },
];

/** The import graph: file -> the files it imports (paths relative to the project root). */
export type ImportGraph = Map<string, string[]>;

/** The project root (the folder above scripts/). */
export const PROJECT_ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/** Files under `dir` (relative to `root`) whose names end in `.ts`, sorted, `/`-separated. */
export function listTs(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of Deno.readDirSync(join(root, rel))) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.isFile && entry.name.endsWith(".ts")) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * The module specifiers a TypeScript source imports or re-exports (static imports,
 * `export ... from`, side-effect imports and `import("literal")`), in order.
 *
 * @example
 * ```ts ignore
 * importSpecifiers('import type { A } from "./a.ts"; // import "./b.ts"'); // ["./a.ts"]
 * ```
 */
export function importSpecifiers(source: string): string[] {
  const { code, strings } = maskSource(source);
  const out: string[] = [];
  const patterns = [
    // import x from "s"; import { a, type B } from "s"; export * as n from "s"; export { a } from "s"
    /\b(?:import|export)\s+(?:type\s+)?[\w$\s{},*]*?\bfrom\s*"(\d+)"/g,
    // import "s";
    /\bimport\s*"(\d+)"/g,
    // import("s")
    /\bimport\s*\(\s*"(\d+)"\s*\)/g,
  ];
  const found: [number, string][] = [];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) found.push([m.index!, strings[Number(m[1])]]);
  }
  for (const [, s] of found.sort((a, b) => a[0] - b[0])) out.push(s);
  return out;
}

/**
 * Replaces comments, template literals and regular-expression literals by spaces and every
 * quoted string by `"<n>"`, its index in `strings`.
 */
function maskSource(src: string): { code: string; strings: string[] } {
  const strings: string[] = [];
  let code = "";
  let i = 0;
  // Last significant character of code, to tell a regular expression from a division.
  let last = "";
  let lastWord = "";
  // Brace depths at which a template literal's `${` was opened.
  const templates: number[] = [];
  let depth = 0;
  const regexAfter = "(,=:[!&|?{};+-*%<>~^";
  const regexWords = new Set(["return", "typeof", "case", "do", "else", "in", "of", "void"]);
  const skipTemplate = () => {
    // i is just after a backtick or a closing `}` of `${...}`.
    while (i < src.length) {
      const c = src[i];
      if (c === "\\") {
        i += 2;
      } else if (c === "`") {
        i++;
        code += " ";
        return;
      } else if (c === "$" && src[i + 1] === "{") {
        i += 2;
        templates.push(depth);
        depth++;
        code += " {";
        last = "{";
        return;
      } else {
        i++;
      }
    }
  };
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === "/" && next === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      code += " ";
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let text = "";
      while (j < src.length && src[j] !== c && src[j] !== "\n") {
        if (src[j] === "\\") {
          text += src[j + 1];
          j += 2;
        } else {
          text += src[j++];
        }
      }
      i = j + 1;
      code += `"${strings.length}"`;
      strings.push(text);
      last = '"';
      lastWord = "";
    } else if (c === "`") {
      i++;
      code += " ";
      skipTemplate();
      last = "`";
      lastWord = "";
    } else if (
      c === "/" && (last === "" || regexAfter.includes(last) || regexWords.has(lastWord))
    ) {
      // A regular-expression literal: skip to its closing slash (outside a class).
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== "\n") {
        if (src[j] === "\\") j++;
        else if (src[j] === "[") inClass = true;
        else if (src[j] === "]") inClass = false;
        else if (src[j] === "/" && !inClass) break;
        j++;
      }
      j++;
      while (j < src.length && /[a-z]/i.test(src[j])) j++;
      i = j;
      code += " ";
      last = "/";
      lastWord = "";
    } else if (c === "}" && templates.length && templates[templates.length - 1] === depth - 1) {
      templates.pop();
      depth--;
      i++;
      code += "} ";
      skipTemplate();
      last = "`";
      lastWord = "";
    } else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      code += c;
      i++;
      if (/[\w$]/.test(c)) {
        lastWord = /[\w$]/.test(last) ? lastWord + c : c;
        last = c;
      } else if (!/\s/.test(c)) {
        last = c;
        lastWord = "";
      }
    }
  }
  return { code, strings };
}

/**
 * The import graph of every `.ts` file under `src/` of `root`: relative specifiers only
 * (npm:, node: and bare specifiers are outside the project).
 */
export function readImportGraph(root: string = PROJECT_ROOT): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of listTs(root, "src")) {
    const targets = new Set<string>();
    for (const spec of importSpecifiers(Deno.readTextFileSync(join(root, file)))) {
      if (!spec.startsWith("./") && !spec.startsWith("../")) continue;
      targets.add(posix.normalize(posix.join(posix.dirname(file), spec)));
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/**
 * The circles of a graph: its strongly connected components with more than one file (or a
 * file importing itself), each sorted, largest first (Tarjan's algorithm).
 */
export function findCircles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const circles: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) {
        circles.push(component.sort());
      }
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles.sort((a, b) => b.length - a.length || (a[0] < b[0] ? -1 : 1));
}

/**
 * The floor of a `src/` file: the index in {@linkcode FLOORS} of the entry naming its
 * top-level folder (or itself, for a file directly in `src/`), or -1 when none does.
 */
export function floorOf(file: string): number {
  const member = file.split("/")[1];
  return FLOORS.findIndex((f) => f.members.includes(member));
}

/** An import that goes up a floor. */
export interface UpArrow {
  /** The importing file. */
  from: string;
  /** The imported file. */
  to: string;
  /** Floor name of the importing file. */
  fromFloor: string;
  /** Floor name of the imported file. */
  toFloor: string;
}

/** Every import of the graph whose target sits on a higher floor than its importer. */
export function upArrows(graph: ImportGraph): UpArrow[] {
  const out: UpArrow[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const a = floorOf(from);
      const b = floorOf(to);
      if (a >= 0 && b > a) {
        out.push({ from, to, fromFloor: FLOORS[a].name, toFloor: FLOORS[b].name });
      }
    }
  }
  return out;
}
