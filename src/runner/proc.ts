/**
 * Reading `/proc/<pid>/` (Linux) for process liveness checks. Deno lets only `-A`
 * processes read `/proc/<pid>/...` directly; under a narrower set (`deno run -P`) the
 * files are read by `cat` (the `run` permission), so claims and parent watches work the
 * same under both.
 *
 * @module
 */

/** What `/proc/<pid>/stat` says about a process. */
export interface ProcStat {
  /** Parent pid. */
  ppid: number;
  /** Start time (field 22, clock ticks since boot). */
  start: string;
}

let direct = true;

function readDirect(path: string): string | null | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      direct = false;
      return undefined;
    }
    return null;
  }
}

function readWithCat(path: string): string | null | undefined {
  try {
    const o = new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" })
      .outputSync();
    return o.code === 0 ? new TextDecoder().decode(o.stdout) : null;
  } catch {
    return undefined; // no run permission, or no cat
  }
}

/**
 * Reads a `/proc` file: its text, null when it does not exist (the process is gone), or
 * undefined when it cannot be read at all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readProcFile } from "./proc.ts";
 * const stat = readProcFile(`/proc/${Deno.pid}/stat`);
 * if (Deno.build.os === "linux") assert.ok(stat?.startsWith(String(Deno.pid)));
 * else assert.equal(stat, undefined); // not Linux: no /proc
 * ```
 */
export function readProcFile(path: string): string | null | undefined {
  if (Deno.build.os !== "linux") return undefined;
  if (direct) {
    const r = readDirect(path);
    if (r !== undefined) return r;
  }
  return readWithCat(path);
}

/**
 * The parent pid and start time of a process: null when there is no such process,
 * undefined when `/proc` cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { procStat } from "./proc.ts";
 * const st = procStat(Deno.pid);
 * if (Deno.build.os === "linux") assert.match(st?.start ?? "", /^\d+$/); // e.g. "123456"
 * ```
 */
export function procStat(pid: number): ProcStat | null | undefined {
  const text = readProcFile(`/proc/${pid}/stat`);
  if (text === null || text === undefined) return text;
  // The command name (field 2) may hold spaces: fields after it start at the last ")".
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(rest[1]), start: rest[19] };
}

/**
 * The command line of a process (empty when unknown).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { procArgv } from "./proc.ts";
 * const argv = procArgv(Deno.pid);
 * if (Deno.build.os === "linux") assert.ok(argv[0].endsWith("deno")); // ".../deno"
 * ```
 */
export function procArgv(pid: number): string[] {
  const text = readProcFile(`/proc/${pid}/cmdline`);
  return text ? text.split("\0").filter((a) => a !== "") : [];
}
