/**
 * Finding and reading experiment files: `table2` means `experiments/table2.yaml`; a path
 * is read as given.
 *
 * @module
 */
import { ExperimentError } from "./error.ts";
import { parseExperiment } from "./schema.ts";
import type { Experiment } from "./types.ts";

/** The project's `experiments/` folder. */
export const EXPERIMENTS_DIR: string = new URL("../../experiments/", import.meta.url).pathname;

/**
 * Resolves an experiment argument to a file path: a name in `experiments/` (without
 * `.yaml`) or a path to a YAML file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(experimentPath("table2").endsWith("experiments/table2.yaml"));
 * ```
 */
export function experimentPath(nameOrPath: string, dir: string = EXPERIMENTS_DIR): string {
  if (/[\\/]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath)) return nameOrPath;
  return `${dir.replace(/\/?$/, "/")}${nameOrPath}.yaml`;
}

/**
 * Reads and validates an experiment; a missing file is an {@linkcode ExperimentError}
 * listing the experiments that exist.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const exp = await loadExperiment("ci");
 * assert.equal(exp.report.kind, "regress");
 * ```
 */
export async function loadExperiment(
  nameOrPath: string,
  dir: string = EXPERIMENTS_DIR,
): Promise<Experiment> {
  const file = experimentPath(nameOrPath, dir);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    const known = (await listExperiments(dir)).map((x) => x.name).join(", ");
    throw new ExperimentError({
      file,
      line: 0,
      col: 0,
      field: "(file)",
      expected: `an experiment file (known: ${known || "none"})`,
      got: "no such file",
    });
  }
  return parseExperiment(text, displayPath(file));
}

function displayPath(file: string): string {
  const cwd = Deno.cwd().replace(/\/?$/, "/");
  return file.startsWith(cwd) ? file.slice(cwd.length) : file;
}

/** One entry of {@linkcode listExperiments}. */
export interface ExperimentListing {
  /** Name to pass on the command line. */
  name: string;
  /** The file's title (or the error, for a file that does not validate). */
  title: string;
  /** The paper's table or figure. */
  paper?: string;
  /** Path of the file. */
  file: string;
  /** Whether the file validates. */
  valid: boolean;
}

/**
 * Lists the experiments in a folder with their titles, sorted by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok((await listExperiments()).map((e) => e.name).includes("table2"));
 * ```
 */
export async function listExperiments(dir: string = EXPERIMENTS_DIR): Promise<ExperimentListing[]> {
  const out: ExperimentListing[] = [];
  let items: Deno.DirEntry[] = [];
  try {
    items = [...Deno.readDirSync(dir)];
  } catch {
    return out;
  }
  for (const item of items) {
    if (!item.isFile || !/\.ya?ml$/.test(item.name)) continue;
    const file = `${dir.replace(/\/?$/, "/")}${item.name}`;
    const name = item.name.replace(/\.ya?ml$/, "");
    try {
      const exp = parseExperiment(await Deno.readTextFile(file), displayPath(file), name);
      out.push({ name, title: exp.title, paper: exp.paper, file, valid: true });
    } catch (e) {
      out.push({ name, title: `invalid: ${(e as Error).message}`, file, valid: false });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
}
