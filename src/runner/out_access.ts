/**
 * Making sure a sweep can write its `--out` folder before it plans anything.
 *
 * `deno task reproduce` runs with deno.json's `-P` set, which may write only the
 * project's `results/` and `docs/`. When the user names an `--out` outside them, the
 * command restarts itself once with the same permissions plus write access to exactly
 * that folder (`--allow-write=<out>`, see permissions.ts): naming `--out DIR` is the user's
 * grant. The restarted process gets `IBML_REEXEC=1` (it never restarts again) and the
 * wrapper's pid in `IBML_PARENT_PID` (it stops when the wrapper is gone); the wrapper
 * passes SIGINT/SIGTERM on and returns the child's exit code. Where a restart is not
 * possible (no `run` permission) or the folder cannot be written for another reason, it
 * is one error line naming `--out` and the fix (exit 2).
 *
 * @module
 */
import { V8_FLAGS_ARG } from "../v8_flags.ts";
import { UsageError } from "./usage_error.ts";
import { PARENT_PID_ENV, watchParents } from "./parent_watch.ts";
import { absPath, canWrite, childPermissionFlags } from "./permissions.ts";

/** Set in a process restarted by {@linkcode ensureOutAccess}. */
export const REEXEC_ENV = "IBML_REEXEC";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function mayRun(): boolean {
  try {
    return Deno.permissions.querySync({ name: "run" }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * Checks that `out` is writable; restarts the command with write access to it when only
 * the permission set is in the way. Returns null to go on in this process, or the exit
 * code of the restarted one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ensureOutAccess } from "./out_access.ts";
 * const out = await Deno.makeTempDir();
 * // under -A every folder is writable: nothing to restart, the command goes on (null)
 * assert.equal(await ensureOutAccess("reproduce", ["table5", "--out", out], out), null);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function ensureOutAccess(
  command: string,
  args: string[],
  out: string,
  opts: { dryRun?: boolean } = {},
): Promise<number | null> {
  const abs = absPath(out);
  if (abs.includes(",")) {
    throw new UsageError(
      `--out ${out}: a folder name with a comma cannot be passed to Deno's permission flags; choose another --out`,
    );
  }
  if (!canWrite(abs)) {
    if (opts.dryRun) return null; // planning only reads
    if (env(REEXEC_ENV) === "1" || !mayRun()) {
      throw new UsageError(
        `--out ${out}: this process may not write there (its permission set allows writing under the project's results/ and docs/ only): ` +
          `run it with --allow-write=${abs} (or -A), or choose an --out under results/`,
      );
    }
    return await restartWithWrite(command, args, abs);
  }
  if (opts.dryRun) return null;
  try {
    await Deno.mkdir(`${abs}/runs`, { recursive: true });
    const probe = `${abs}/runs/.write-test-${Deno.pid}`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    throw new UsageError(
      `--out ${out}: cannot write there (${(e as Error).message}); choose another --out`,
    );
  }
  return null;
}

async function restartWithWrite(command: string, args: string[], abs: string): Promise<number> {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const perms = childPermissionFlags({ extraWrite: [abs] });
  console.error(
    `note: --out ${abs} is outside what this permission set may write; restarting with write access to it added`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...perms, V8_FLAGS_ARG, main, command, ...args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    env: { [REEXEC_ENV]: "1", [PARENT_PID_ENV]: String(Deno.pid) },
  }).spawn();
  const forward = (sig: Deno.Signal) => () => {
    try {
      child.kill(sig);
    } catch { /* already gone */ }
  };
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGINT", forward("SIGINT")],
    ["SIGTERM", forward("SIGTERM")],
  ];
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  const unwatch = watchParents(forward("SIGTERM"));
  try {
    const status = await child.status;
    return status.signal ? 128 + signalNumber(status.signal) : status.code;
  } finally {
    unwatch();
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  }
}

function signalNumber(sig: Deno.Signal): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig] ?? 1;
}
