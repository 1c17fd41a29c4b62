/**
 * Stopping when the parent goes away. `npx -y deno task reproduce ...` runs as
 * `npm exec` -> `sh -c deno task ...` -> `deno task` -> `deno run main.ts reproduce`, and
 * a SIGTERM to `npm exec` (what `timeout` or a CI runner sends) ends npm and the shell but
 * leaves `deno task` and its child running. So a sweep watches its chain of wrapper
 * processes (npm/npx, the `sh -c` npm starts, `deno task`) and stops its workers when
 * one of them is gone or re-parented; a worker started by a sweep (it gets the sweep's pid
 * in {@linkcode PARENT_PID_ENV}) stops when that parent is gone. Linux only (`/proc`);
 * elsewhere nothing is watched.
 *
 * @module
 */
import process from "node:process";
import { procArgv, procStat } from "./proc.ts";

/** Set by a process for the children that must stop when it is gone: its pid. */
export const PARENT_PID_ENV = "IBML_PARENT_PID";

interface ProcInfo {
  ppid: number;
  start: string;
  argv: string[];
}

function procInfo(pid: number): ProcInfo | null {
  const stat = procStat(pid);
  if (!stat) return null;
  return { ...stat, argv: procArgv(pid) };
}

function base(path: string | undefined): string {
  return (path ?? "").split("/").pop() ?? "";
}

/**
 * Whether a command line is one of the wrappers between the user and a `deno task`
 * command: `npm exec ...`/`npx ...`, the `sh -c 'deno' task ...` npm runs, `deno task ...`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(isWrapper(["deno", "task", "reproduce", "table5"]));
 * assert.equal(isWrapper(["bash"]), false);
 * ```
 */
export function isWrapper(argv: string[]): boolean {
  const first = argv[0] ?? "";
  if (/^(npm|npx)(\s|$)/.test(first)) return true;
  if (base(first) === "node" && /np[mx](-cli)?(\.js)?$/.test(argv[1] ?? "")) return true;
  if (["sh", "bash", "dash"].includes(base(first)) && argv[1] === "-c") {
    return /\bdeno\b.*\btask\b/.test(argv.slice(2).join(" "));
  }
  if (base(first) === "deno") return argv.slice(1).find((a) => !a.startsWith("-")) === "task";
  return false;
}

/**
 * A process to watch: it must exist with this start time. (Its own parent may change: a
 * `nohup npx ...` whose shell has exited is re-parented and keeps running.)
 */
interface Watched {
  pid: number;
  start: string;
}

/**
 * The processes this one depends on: the parent named in {@linkcode PARENT_PID_ENV}
 * (when it is our parent), and the chain of wrapper processes above us.
 */
function watchList(): Watched[] {
  if (Deno.build.os !== "linux") return [];
  const self = procInfo(Deno.pid);
  if (!self) return [];
  const list: Watched[] = [];
  let envParent: number | null = null;
  try {
    const v = Number(Deno.env.get(PARENT_PID_ENV));
    envParent = Number.isInteger(v) && v > 0 ? v : null;
  } catch {
    envParent = null;
  }
  let pid = self.ppid;
  let first = true;
  while (pid > 1) {
    const info = procInfo(pid);
    if (!info) break;
    const named = first && envParent === pid;
    if (!named && !isWrapper(info.argv)) break;
    list.push({ pid, start: info.start });
    pid = info.ppid;
    first = false;
  }
  return list;
}

/**
 * Calls `onGone` once when a watched parent process is gone (polling every `everyMs`);
 * returns a function that stops watching. The timer does not keep the process alive.
 *
 * @example
 * ```ts
 * import { watchParents } from "./parent_watch.ts";
 * const stop = watchParents(() => console.log("a parent is gone: stop the sweep"));
 * // ... later
 * stop();
 * ```
 */
export function watchParents(onGone: () => void, everyMs = 1000): () => void {
  const list = watchList();
  if (list.length === 0) return () => {};
  const self = procInfo(Deno.pid);
  const myParent = self?.ppid;
  // The parent itself is checked through getppid() (no /proc read, no process spawned).
  const above = list.filter((w) => w.pid !== myParent);
  const id = setInterval(() => {
    const broken = process.ppid !== myParent || above.some((w) => {
      const info = procStat(w.pid);
      return info === null || (info !== undefined && info.start !== w.start);
    });
    if (broken) {
      clearInterval(id);
      onGone();
    }
  }, everyMs);
  Deno.unrefTimer(id);
  return () => clearInterval(id);
}
