/**
 * The bench's child processes: run one command in the project root with its output captured,
 * killed after an overall time limit, or when a training step runs past its per-step cap
 * (bench/worker.ts prints `STARTED` and then `FIRST`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { run } from "./run.ts";
 * const r = await run(Deno.execPath(), ["eval", "console.log('hi')"], 60);
 * assert.deepEqual([r.code, r.stdout.trim(), r.timedOut, r.capped], [0, "hi", false, false]);
 * ```
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname;

/** What a finished (or killed) child process left. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Killed by the overall time limit. */
  timedOut: boolean;
  /** Killed because its first step ran past the per-step cap. */
  capped: boolean;
}

/**
 * Runs a command in the project root; kills it after `timeoutS`, or `capS` seconds after it
 * prints a line `STARTED` without having printed `FIRST` (bench/worker.ts: the first training
 * step ran over the cap; a synchronous wasm/cpu step cannot be interrupted from inside).
 */
export async function run(
  cmd: string,
  args: string[],
  timeoutS: number,
  env: Record<string, string> = {},
  capS = Infinity,
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false, capped = false;
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutS * 1000);
  let capTimer: ReturnType<typeof setTimeout> | undefined;
  const dec = new TextDecoder();
  let stdout = "";
  const readOut = (async () => {
    for await (const chunk of child.stdout) {
      stdout += dec.decode(chunk, { stream: true });
      if (capTimer === undefined && Number.isFinite(capS) && /^STARTED/m.test(stdout)) {
        capTimer = setTimeout(() => {
          if (!/^FIRST/m.test(stdout)) {
            capped = true;
            kill();
          }
        }, capS * 1000);
      }
    }
  })();
  const readErr = new Response(child.stderr).text();
  const [status, stderr] = await Promise.all([child.status, readErr, readOut]).then((
    [st, err],
  ) => [st, err] as const);
  clearTimeout(timer);
  if (capTimer !== undefined) clearTimeout(capTimer);
  return { code: status.code, stdout, stderr, timedOut, capped };
}
