/**
 * Shared test helpers: backend setup, tiny configurations and temporary output folders.
 *
 * @module
 */
import { selectBackend } from "../src/backend/mod.ts";
import type { ConfigValue, RunConfig } from "../src/config/types.ts";
import { resolveConfig } from "../src/resolve/resolve_config.ts";

/**
 * The engine the backend, model and method tests run on: `IBML_TEST_ENGINE` (`wasm`, the
 * default, or `tensorflow`, the native engine: `deno task test:native` after
 * `deno task setup-native`). Asking for `tensorflow` without the setup fails the tests
 * with the setup command; it never falls back.
 */
export const TEST_ENGINE: "wasm" | "tensorflow" = (() => {
  const v = Deno.env.get("IBML_TEST_ENGINE") ?? "wasm";
  if (v !== "wasm" && v !== "tensorflow") {
    throw new Error(`IBML_TEST_ENGINE must be wasm or tensorflow, got '${v}'`);
  }
  return v;
})();

/**
 * Float tolerance scale for the engine under test: 1 on wasm; on the native engine,
 * whose kernels (oneDNN/Eigen) sum in another order, comparisons against hand-computed or
 * wasm-computed references allow this many times the wasm tolerance.
 */
export const ENGINE_TOL = TEST_ENGINE === "tensorflow" ? 10 : 1;

/** Sets up the test engine ({@link TEST_ENGINE}; with the training patches). */
export async function useTestEngine(): Promise<void> {
  await selectBackend(TEST_ENGINE);
}

/** The old name of {@link useTestEngine}: runs on {@link TEST_ENGINE}, wasm by default. */
export const useWasm: () => Promise<void> = useTestEngine;

/** Small stand-in sizes so a run takes a fraction of a second per epoch. */
export const TINY_DATA = ["data.train_size=240", "data.test_size=120", "data.val_size=60"];

/**
 * A resolved quick-profile configuration on a tiny crema-d stand-in.
 *
 * @example
 * ```ts ignore
 * const cfg = tinyConfig("ibml", 4, ["method.tcm=false"]);
 * ```
 */
export function tinyConfig(
  method: string,
  epochs = 4,
  sets: string[] = [],
  dataset = "crema-d",
): RunConfig {
  return resolveConfig({ method, dataset, epochs, sets: [...TINY_DATA, ...sets] });
}

/** A fresh temporary folder. */
export async function tempOut(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "ibml-test-" });
}

/** Reads a CSV written by the harness into objects of strings. */
export async function readCsv(path: string): Promise<Record<string, string>[]> {
  const [head, ...lines] = (await Deno.readTextFile(path)).trim().split("\n");
  const cols = head.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}

/** Runs `main.ts` as a subprocess; returns exit code and output. */
export async function runMain(
  args: string[],
  cwd = new URL("..", import.meta.url).pathname,
): Promise<
  { code: number; stdout: string; stderr: string }
> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Re-export for tests that build configs by hand. */
export type { ConfigValue };
