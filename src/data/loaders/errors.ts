/**
 * One-line errors for real datasets that are absent or broken, shared by every loader:
 * each names the folder that was searched, the first thing missing or wrong, what the
 * folder must contain, and the command or download page that makes it.
 *
 * Both are {@linkcode ConfigError}s (user errors: exit code 2).
 *
 * @module
 */
import { ConfigError } from "../../config/error.ts";

/** What a missing-data message says. */
export interface MissingData {
  /** What is missing, e.g. `MVSA-Single` or `GloVe 840B 300-d vectors`. */
  what: string;
  /** The folder (or file) that was searched. */
  folder: string;
  /** The first path that was looked for and not found (optional). */
  missing?: string;
  /** What the folder must contain, e.g. `{train,dev,test}.jsonl and data/<id>.jpg`. */
  contents: string;
  /** The command or download page that makes it. */
  how: string;
}

/** What a malformed-data message says. */
export interface MalformedData {
  /** Dataset name, e.g. `mvsa`. */
  what: string;
  /** The file (optionally `file:line`) that is wrong. */
  file: string;
  /** What is wrong with it. */
  problem: string;
  /** How to fix it (optional). */
  how?: string;
}

/**
 * The one-line message of a missing dataset or resource.
 *
 * @example
 * ```ts
 * const msg = missingDataMessage({
 *   what: "3D MNIST",
 *   folder: "data/3D_MNIST",
 *   missing: "data/3D_MNIST/train_point_clouds.h5",
 *   contents: "train_point_clouds.h5 and test_point_clouds.h5",
 *   how: "download https://www.kaggle.com/datasets/daavoo/3d-mnist",
 * });
 * msg.startsWith("3D MNIST not found"); // true
 * ```
 */
export function missingDataMessage(m: MissingData): string {
  const first = m.missing ? ` (missing ${m.missing})` : "";
  return `${m.what} not found: searched ${m.folder}${first}; it must contain ${m.contents}; ${m.how}`;
}

/**
 * The one-line message of a malformed dataset file.
 *
 * @example
 * ```ts
 * malformedDataMessage({ what: "mvsa", file: "data/MVSA_Single/train.jsonl:3", problem: "not JSON" });
 * // "mvsa: data/MVSA_Single/train.jsonl:3: not JSON"
 * ```
 */
export function malformedDataMessage(m: MalformedData): string {
  return `${m.what}: ${m.file}: ${m.problem}${m.how ? `; ${m.how}` : ""}`;
}

/**
 * A dataset (or a resource such as the GloVe file) that is not where the harness looked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataMissingError } from "./errors.ts";
 * const root = "data/ModelNet40";
 * const e = new DataMissingError({ what: "ModelNet40", folder: root, contents: "*.h5 parts", how: "see the README" });
 * assert.equal(e.detail.folder, root);
 * assert.ok(e.message.startsWith("ModelNet40 not found"));
 * ```
 */
export class DataMissingError extends ConfigError {
  /** The structured description. */
  readonly detail: MissingData;
  /** Creates the error from its description. */
  constructor(detail: MissingData) {
    super(missingDataMessage(detail));
    this.name = "DataMissingError";
    this.detail = detail;
  }
}

/**
 * A dataset file that exists but cannot be used (bad JSON, wrong shape, unknown label...).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataMalformedError } from "./errors.ts";
 * assert.throws(() => {
 *   throw new DataMalformedError({ what: "food101", file: "train.jsonl:7", problem: "no 'label'" });
 * }, /food101: train\.jsonl:7: no 'label'/);
 * ```
 */
export class DataMalformedError extends ConfigError {
  /** The structured description. */
  readonly detail: MalformedData;
  /** Creates the error from its description. */
  constructor(detail: MalformedData) {
    super(malformedDataMessage(detail));
    this.name = "DataMalformedError";
    this.detail = detail;
  }
}

/**
 * Whether a path exists (file or folder); false on NotFound, rethrows anything else
 * (e.g. a missing read permission).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathExists } from "./errors.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await pathExists(dir), true);
 * assert.equal(await pathExists(`${dir}/train.jsonl`), false);
 * await Deno.remove(dir);
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Throws a {@linkcode DataMissingError} for the first of `files` that does not exist.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataMissingError, requireFiles } from "./errors.ts";
 * const dir = await Deno.makeTempDir();
 * const detail = { what: "x", folder: dir, contents: "train.jsonl", how: "run the download script" };
 * await assert.rejects(requireFiles([`${dir}/train.jsonl`], detail), DataMissingError);
 * await Deno.writeTextFile(`${dir}/train.jsonl`, "{}\n");
 * await requireFiles([`${dir}/train.jsonl`], detail); // all there: no error
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function requireFiles(
  files: string[],
  detail: Omit<MissingData, "missing">,
): Promise<void> {
  for (const f of files) {
    if (!(await pathExists(f))) throw new DataMissingError({ ...detail, missing: f });
  }
}
