/**
 * Permission sets for the processes a command starts (sweep workers, the re-started
 * `reproduce` of {@linkcode reexecArgs}): never wider than the parent's own set. A
 * permission the parent holds in full is passed on in full (`--allow-read`); write
 * access, which `deno run -P` grants for `results/` and `docs/` only, is passed on for
 * exactly the folders the child needs and the parent may write.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";

/** The project root (the folder holding `main.ts` and `deno.json`). */
export const PROJECT_ROOT: string = resolve(new URL("../../", import.meta.url).pathname);

/** The folders `deno.json`'s `-P` set lets a command write (relative to the project root). */
export const PROJECT_WRITABLE = ["results", "docs"];

const WHOLE: Deno.PermissionName[] = ["read", "write", "net", "env", "run", "sys", "ffi"];

function granted(desc: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(desc).state === "granted";
  } catch {
    return false;
  }
}

/**
 * The default `--out`: the project's `results/` folder, whatever the current directory
 * (written as `results` when the current directory is the project root, as before).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultOut } from "./permissions.ts";
 * // "results" in the project root, "/path/to/ibml/results" elsewhere
 * assert.ok(defaultOut().endsWith("results"));
 * ```
 */
export function defaultOut(): string {
  let cwd = "";
  try {
    cwd = resolve(Deno.cwd());
  } catch { /* no read permission on the cwd: use the absolute path */ }
  return cwd === PROJECT_ROOT ? "results" : resolve(PROJECT_ROOT, "results");
}

/**
 * An absolute path (relative ones against the current directory).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(absPath("/tmp/x"), "/tmp/x");
 * ```
 */
export function absPath(path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(Deno.cwd(), path);
}

/**
 * Whether this process may write under `path` (the folder itself and what it holds).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canWrite, hasAllPermissions } from "./permissions.ts";
 * // false under deno run -P (outside results/ and docs/), true under -A
 * assert.equal(canWrite(await Deno.makeTempDir()), hasAllPermissions());
 * ```
 */
export function canWrite(path: string): boolean {
  return granted({ name: "write", path: absPath(path) });
}

/**
 * Whether this process holds every permission (as under `-A`).
 *
 * @example
 * ```ts
 * import { hasAllPermissions } from "./permissions.ts";
 * console.log(hasAllPermissions()); // true under deno run -A (as here), false under -P
 * ```
 */
export function hasAllPermissions(): boolean {
  return WHOLE.every((name) => granted({ name } as Deno.PermissionDescriptor));
}

/**
 * The permission flags of a child process: `-A` when this process has every permission;
 * otherwise each permission it holds in full, read access to `readPaths` and write access
 * to `writePaths` (those it may use itself; `extraWrite` is added as is, for a folder the
 * user named on the command line) and the project's writable folders it may write.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { childPermissionFlags, hasAllPermissions } from "./permissions.ts";
 * const flags = childPermissionFlags({ writePaths: ["/work/results"] });
 * // under -P: ["--allow-read", "--allow-env", "--allow-run", "--allow-sys", "--allow-ffi",
 * //            "--allow-write=/work/results,/work/docs", "--no-prompt"]
 * if (hasAllPermissions()) assert.deepEqual(flags, ["-A"]);
 * ```
 */
export function childPermissionFlags(
  opts: { writePaths?: string[]; readPaths?: string[]; extraWrite?: string[] } = {},
): string[] {
  if (hasAllPermissions()) return ["-A"];
  const flags: string[] = [];
  for (const name of WHOLE) {
    if (name === "write" || name === "read") continue;
    if (granted({ name } as Deno.PermissionDescriptor)) flags.push(`--allow-${name}`);
  }
  if (granted({ name: "read" })) flags.push("--allow-read");
  else {
    const reads = (opts.readPaths ?? []).map(absPath).filter((p) =>
      granted({ name: "read", path: p })
    );
    if (reads.length) flags.push(`--allow-read=${[...new Set(reads)].join(",")}`);
  }
  if (granted({ name: "write" })) flags.push("--allow-write");
  else {
    const candidates = [
      ...(opts.writePaths ?? []).map(absPath),
      ...PROJECT_WRITABLE.map((p) => resolve(PROJECT_ROOT, p)),
    ];
    const writes = candidates.filter((p) => granted({ name: "write", path: p }));
    writes.push(...(opts.extraWrite ?? []).map(absPath));
    if (writes.length) flags.push(`--allow-write=${[...new Set(writes)].join(",")}`);
  }
  flags.push("--no-prompt");
  return flags;
}
