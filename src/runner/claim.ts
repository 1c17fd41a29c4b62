/**
 * Atomic claims on run folders, so that two processes (two local sweeps on one `--out`,
 * or two Slurm array tasks) never train the same run at once.
 *
 * A claim is the file `<run-dir>.lock` beside the run folder, created with
 * `O_CREAT | O_EXCL` (only one creator can win) and holding the owner's pid, host,
 * process start time and a random token. A claim is stale when its owner is gone:
 * on the same host, when no process with that pid and start time exists; on another
 * host, when the holder has not refreshed the file for {@linkcode STALE_AFTER_MS}.
 * A stale claim is taken over by renaming it aside first (a rename of one path
 * succeeds for one process only), then claiming anew.
 *
 * @module
 */
import { procStat } from "./proc.ts";

/** Who holds a claim (the lock file's content). */
export interface ClaimOwner {
  /** Process id of the holder. */
  pid: number;
  /** Host name of the holder. */
  host: string;
  /** Start time of the holder process (Linux `/proc/<pid>/stat` field 22), when known. */
  start: string | null;
  /** A random token that tells two claims on the same path apart. */
  token: string;
  /** When the claim was taken (ISO time). */
  since: string;
}

/** A claim held by this process. */
export interface RunClaim {
  /** The lock file. */
  path: string;
  /** This process's owner record. */
  owner: ClaimOwner;
  /** Refreshes the lock file's modification time (the heartbeat other hosts read). */
  refresh(): Promise<void>;
  /** Releases the claim (removes the lock file if it is still ours). */
  release(): Promise<void>;
}

/** The outcome of {@linkcode claimRun}: ours, or held by a live owner elsewhere. */
export type ClaimResult =
  | { claimed: true; claim: RunClaim }
  | { claimed: false; heldBy: ClaimOwner | null; path: string };

/** A claim from another host is stale when its lock file is older than this (ms). */
export const STALE_AFTER_MS = 10 * 60 * 1000;

/**
 * The environment variable through which a sweep hands the claim it took for a run to the
 * worker process it starts: the worker adopts the claim whose token it names instead of
 * seeing the run as held elsewhere.
 */
export const CLAIM_TOKEN_ENV = "IBML_RUN_CLAIM";

/**
 * The lock file of a run folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { claimPath } from "./claim.ts";
 * assert.equal(claimPath("results/runs/table5/ibml__crema-d__s0/"), "results/runs/table5/ibml__crema-d__s0.lock");
 * ```
 */
export function claimPath(runDir: string): string {
  return `${runDir.replace(/\/+$/, "")}.lock`;
}

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown-host";
  }
}

/**
 * The start time of a process from `/proc` (read by proc.ts, also under `deno run -P`),
 * or null where there is no `/proc`.
 */
function processStart(pid: number): string | null {
  return procStat(pid)?.start ?? null;
}

/** Whether a process with this pid (and start time, where known) is alive on this host. */
function alive(pid: number, start: string | null): boolean {
  const stat = procStat(pid);
  if (stat === null) return false; // no such process
  if (stat !== undefined) return start === null || stat.start === start;
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (e) {
    return !(e instanceof Deno.errors.NotFound) &&
      !String((e as Error).message).includes("ESRCH");
  }
}

function readOwner(path: string): ClaimOwner | null {
  try {
    const o = JSON.parse(Deno.readTextFileSync(path));
    return typeof o?.pid === "number" && typeof o?.host === "string" ? o as ClaimOwner : null;
  } catch {
    return null;
  }
}

/**
 * Whether the claim at `path` (held by `owner`) is stale: its holder is gone.
 * An unreadable lock file (a holder killed between create and write) counts as
 * stale once it is older than a few seconds.
 */
function isStale(path: string, owner: ClaimOwner | null): boolean {
  let ageMs = 0;
  try {
    const mtime = Deno.statSync(path).mtime;
    ageMs = mtime ? Date.now() - mtime.getTime() : 0;
  } catch {
    return false; // gone already: the next create decides
  }
  if (owner === null) return ageMs > 5000;
  if (owner.host === hostName()) return !alive(owner.pid, owner.start);
  return ageMs > STALE_AFTER_MS;
}

/**
 * Claims a run folder for this process. Returns `{claimed: false}` when a live owner
 * holds it; takes over a stale claim. The run folder itself need not exist, but its
 * parent folder is created.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { claimRun } from "./claim.ts";
 * const dir = `${Deno.makeTempDirSync()}/runs/demo/run0`;
 * const first = await claimRun(dir);
 * const second = await claimRun(dir); // same pid: still held, a claim is not re-entrant
 * assert.deepEqual([first.claimed, second.claimed], [true, false]);
 * if (first.claimed) await first.claim.release();
 * ```
 */
export async function claimRun(runDir: string): Promise<ClaimResult> {
  const path = claimPath(runDir);
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")) || ".", { recursive: true });
  const owner: ClaimOwner = {
    pid: Deno.pid,
    host: hostName(),
    start: processStart(Deno.pid),
    token: crypto.randomUUID(),
    since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const f = await Deno.open(path, { write: true, createNew: true });
      try {
        await f.write(new TextEncoder().encode(JSON.stringify(owner) + "\n"));
      } finally {
        f.close();
      }
      return { claimed: true, claim: makeClaim(path, owner) };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const holder = readOwner(path);
    if (!isStale(path, holder)) return { claimed: false, heldBy: holder, path };
    // Take the stale claim aside; if another process renamed it first, we just retry.
    try {
      await Deno.rename(path, `${path}.stale-${owner.token}`);
      await Deno.remove(`${path}.stale-${owner.token}`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return { claimed: false, heldBy: readOwner(path), path };
}

function makeClaim(path: string, owner: ClaimOwner, adopted = false): RunClaim {
  return {
    path,
    owner,
    async refresh() {
      const now = new Date();
      await Deno.utime(path, now, now).catch(() => {});
    },
    async release() {
      if (adopted || readOwner(path)?.token !== owner.token) return;
      await Deno.remove(path).catch(() => {});
    },
  };
}

/**
 * Claims a run folder, or adopts the claim a parent process took for it: when the
 * folder is held by a claim whose token is `token` (a sweep passes it to its worker in
 * {@linkcode CLAIM_TOKEN_ENV}), the caller works under that claim. An adopted claim
 * refreshes the heartbeat; releasing it is left to the process that took it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { claimOrAdopt, claimRun } from "./claim.ts";
 * const dir = `${Deno.makeTempDirSync()}/runs/demo/run0`;
 * const parent = await claimRun(dir);
 * if (parent.claimed) {
 *   const child = await claimOrAdopt(dir, parent.claim.owner.token);
 * assert.equal(child.claimed, true);
 *   await parent.claim.release();
 * }
 * ```
 */
export async function claimOrAdopt(runDir: string, token?: string): Promise<ClaimResult> {
  const r = await claimRun(runDir);
  if (r.claimed || !token || r.heldBy?.token !== token) return r;
  return { claimed: true, claim: makeClaim(r.path, r.heldBy, true) };
}

/**
 * Who holds a run folder's claim right now, without claiming it: the live owner, or
 * null when the folder is free (no lock file, or a stale one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { currentHolder } from "./claim.ts";
 * assert.equal(currentHolder(`${Deno.makeTempDirSync()}/run0`), null);
 * ```
 */
export function currentHolder(runDir: string): ClaimOwner | null {
  const path = claimPath(runDir);
  try {
    Deno.statSync(path);
  } catch {
    return null;
  }
  const owner = readOwner(path);
  if (isStale(path, owner)) return null;
  return owner ?? { pid: 0, host: "unknown", start: null, token: "", since: "unknown" };
}

/**
 * Describes a holder for messages: `pid 123 on host-a since 2026-12-05T08:00:00Z`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeOwner } from "./claim.ts";
 * assert.equal(describeOwner({ pid: 7, host: "node1", start: null, token: "t", since: "2026-12-05T08:00:00.000Z" }), "pid 7 on node1 since 2026-12-05T08:00:00.000Z");
 * ```
 */
export function describeOwner(owner: ClaimOwner | null): string {
  return owner ? `pid ${owner.pid} on ${owner.host} since ${owner.since}` : "an unknown process";
}
