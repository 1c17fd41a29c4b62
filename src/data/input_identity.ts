/**
 * The identity of the input files a run reads, so that a changed input means a new run
 * (it goes into the run's hash, `config.json` and `summary.json` as `inputs`):
 *
 * - a feature file (`npz:FILE`): its size and the sha-256 of its content;
 * - a real dataset (paper profile): a manifest of the dataset's folders under the data
 *   root (every file's relative path, size and modification time, hashed), so a large
 *   dataset is listed, not re-read, on every run. The folders are the data root's entries
 *   whose name contains the dataset's name (`CREMA-D` for crema-d, `3D_MNIST` for
 *   mnist3d, `glove*` for the text datasets), or the whole data root when none does;
 * - the built-in stand-ins (quick profile): none (they are generated from the config).
 *
 * Hashes are kept per process (keyed by path, size and modification time).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { isAbsolute, resolve } from "node:path";
import { ConfigError } from "../config/error.ts";

/** What identifies a run's input. */
export interface InputIdentity {
  /** `file` (a feature file) or `data-root` (a manifest of a real dataset's folders). */
  kind: "file" | "data-root";
  /** The file or data root, absolute. */
  path: string;
  /** For a data root: the folders (relative) the manifest covers. */
  folders?: string[];
  /** Number of files covered. */
  files: number;
  /** Their total size in bytes. */
  bytes: number;
  /** sha-256 of the file's content (`file`) or of the manifest (`data-root`). */
  sha256: string;
}

const ALIASES: Record<string, string[]> = {
  "crema-d": ["cremad"],
  ave: ["ave"],
  avsbench: ["avsbench"],
  vggsound50: ["vggsound"],
  mnist3d: ["mnist"],
  modelnet40: ["modelnet"],
  mvsa: ["mvsa", "glove"],
  food101: ["food101", "food", "upmc", "glove"],
};

const memo = new Map<string, InputIdentity>();

function abs(path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(Deno.cwd(), path);
}

/**
 * The identity of a feature file: size and content hash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileIdentity } from "./input_identity.ts";
 * const path = await Deno.makeTempFile({ suffix: ".npz" });
 * await Deno.writeTextFile(path, "abc");
 * const id = fileIdentity(path);
 * assert.deepEqual([id.kind, id.files, id.bytes], ["file", 1, 3]);
 * assert.equal(id.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); // sha-256 of "abc"
 * await Deno.remove(path);
 * ```
 */
export function fileIdentity(path: string): InputIdentity {
  const p = abs(path);
  const st = Deno.statSync(p);
  const key = `file|${p}|${st.size}|${st.mtime?.getTime()}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const h = createHash("sha256");
  const f = Deno.openSync(p, { read: true });
  try {
    const buf = new Uint8Array(1 << 20);
    for (let n = f.readSync(buf); n !== null && n > 0; n = f.readSync(buf)) {
      h.update(buf.subarray(0, n));
    }
  } finally {
    f.close();
  }
  const id: InputIdentity = {
    kind: "file",
    path: p,
    files: 1,
    bytes: st.size,
    sha256: h.digest("hex"),
  };
  memo.set(key, id);
  return id;
}

function walk(dir: string, rel: string, lines: string[], acc: { files: number; bytes: number }) {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)].sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return;
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    const r = rel ? `${rel}/${e.name}` : e.name;
    let st: Deno.FileInfo;
    try {
      st = Deno.statSync(path); // follows links: a linked dataset counts as its target
    } catch {
      continue;
    }
    if (st.isDirectory) walk(path, r, lines, acc);
    else if (st.isFile) {
      lines.push(`${r}\t${st.size}\t${st.mtime?.getTime() ?? 0}`);
      acc.files++;
      acc.bytes += st.size;
    }
  }
}

/**
 * The folders of a data root that hold a dataset (see the module doc), relative.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { datasetFolders } from "./input_identity.ts";
 * const root = await Deno.makeTempDir();
 * for (const d of ["CREMA-D", "AVE", "glove"]) await Deno.mkdir(`${root}/${d}`);
 * assert.deepEqual(datasetFolders(root, "crema-d"), ["CREMA-D"]);
 * assert.deepEqual(datasetFolders(root, "mvsa"), ["glove"]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function datasetFolders(root: string, dataset: string): string[] {
  const aliases = ALIASES[dataset] ?? [dataset.toLowerCase().replace(/[^a-z0-9]/g, "")];
  const names: string[] = [];
  for (const e of Deno.readDirSync(root)) {
    const norm = e.name.toLowerCase().replace(/[^a-z0-9]/g, "");
    if (aliases.some((a) => norm.includes(a))) names.push(e.name);
  }
  return names.sort();
}

/**
 * Checks that a data root is an existing folder (one error line otherwise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDataRoot } from "./input_identity.ts";
 * const root = await Deno.makeTempDir();
 * checkDataRoot(root); // an existing folder: no error
 * assert.throws(() => checkDataRoot(`${root}/nonexistent`), /no such folder/);
 * await Deno.remove(root);
 * ```
 */
export function checkDataRoot(root: string): void {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(root);
  } catch (e) {
    throw new ConfigError(
      `--data-root ${root}: ${
        e instanceof Deno.errors.NotFound ? "no such folder" : (e as Error).message
      }; point it at the folder holding the datasets (see "main.ts datasets check --data-root DIR")`,
    );
  }
  if (!st.isDirectory) {
    throw new ConfigError(
      `--data-root ${root}: not a folder; point it at the folder holding the datasets`,
    );
  }
}

/**
 * The manifest identity of a real dataset under a data root.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataRootIdentity } from "./input_identity.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/CREMA-D`);
 * await Deno.writeTextFile(`${root}/CREMA-D/train.csv`, "a,ANG\n");
 * const id = dataRootIdentity(root, "crema-d");
 * assert.deepEqual([id.kind, id.folders, id.files, id.bytes], ["data-root", ["CREMA-D"], 1, 6]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function dataRootIdentity(root: string, dataset: string): InputIdentity {
  const p = abs(root);
  checkDataRoot(p);
  const folders = datasetFolders(p, dataset);
  const lines: string[] = [];
  const acc = { files: 0, bytes: 0 };
  if (folders.length === 0) walk(p, "", lines, acc);
  else {
    for (const f of folders) {
      const st = Deno.statSync(`${p}/${f}`);
      if (st.isDirectory) walk(`${p}/${f}`, f, lines, acc);
      else {
        lines.push(`${f}\t${st.size}\t${st.mtime?.getTime() ?? 0}`);
        acc.files++;
        acc.bytes += st.size;
      }
    }
  }
  return {
    kind: "data-root",
    path: p,
    folders: folders.length ? folders : ["."],
    files: acc.files,
    bytes: acc.bytes,
    sha256: createHash("sha256").update(lines.join("\n")).digest("hex"),
  };
}

/**
 * The input identity of a run's dataset: a feature file's, a real dataset's manifest,
 * or null for a built-in stand-in. Reads the file system (memoised per process).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inputIdentity } from "./input_identity.ts";
 * assert.equal(inputIdentity({ name: "crema-d" }, "quick"), null); // a built-in stand-in
 * ```
 */
export function inputIdentity(
  data: { name: string; file?: unknown; root?: unknown },
  profile: string,
): InputIdentity | null {
  if (data.name.startsWith("npz:")) return fileIdentity(String(data.file ?? data.name.slice(4)));
  if (profile === "quick" || typeof data.root !== "string") return null;
  const key = `root|${abs(data.root)}|${data.name}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const id = dataRootIdentity(data.root, data.name);
  memo.set(key, id);
  return id;
}
