/**
 * Runs the PyTorch ports (tests/reference/torch/driver.py) on recorded cases, and tells
 * whether PyTorch is available. Python is `$IBML_PYTHON` or `python3`.
 *
 * Under CI (`CI=true`) a missing PyTorch is an error, never a skip: the suite must not
 * report a pass it did not run.
 *
 * @module
 */
import type { CaseInput, StepResult } from "./step_case.ts";

/** What a port returned for one case. */
export interface PortResult {
  /** Per step, as the harness records it. */
  steps?: StepResult[];
  /** A Python exception, when the port failed. */
  error?: string;
  /** Its traceback. */
  trace?: string;
}

const DRIVER = new URL("./torch/driver.py", import.meta.url).pathname;

/** The Python interpreter the suite uses. */
export function python(): string {
  return Deno.env.get("IBML_PYTHON") || "python3";
}

/**
 * PyTorch's version, or null with the reason it cannot be used.
 *
 * @example
 * ```ts ignore
 * const t = await torchVersion(); // { version: "2.13.0+cpu" } or { version: null, reason }
 * ```
 */
export async function torchVersion(): Promise<{ version: string | null; reason: string }> {
  try {
    const out = await new Deno.Command(python(), {
      args: ["-c", "import torch; print(torch.__version__)"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code === 0) {
      return { version: new TextDecoder().decode(out.stdout).trim(), reason: "" };
    }
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? "";
    return { version: null, reason: `${python()} cannot import torch (${err})` };
  } catch (e) {
    return { version: null, reason: `${python()} not found (${(e as Error).message})` };
  }
}

/** Whether this is a CI run (`CI=true`), where a missing PyTorch fails the suite. */
export function isCi(): boolean {
  return (Deno.env.get("CI") ?? "").toLowerCase() === "true";
}

/**
 * Runs a Python `script` as `script IN.json OUT.json` with `input` written to IN.json, and
 * returns what it wrote to OUT.json; a non-zero exit is an error carrying its stderr. One
 * thread for PyTorch, no bytecode files.
 *
 * @example
 * ```ts ignore
 * const out = await runPythonJson(new URL("./bigru_torch.py", import.meta.url).pathname, c);
 * ```
 */
export async function runPythonJson(script: string, input: unknown): Promise<unknown> {
  const dir = await Deno.makeTempDir({ prefix: "ibml-torch-" });
  try {
    await Deno.writeTextFile(`${dir}/in.json`, JSON.stringify(input));
    const out = await new Deno.Command(python(), {
      args: [script, `${dir}/in.json`, `${dir}/out.json`],
      stdout: "piped",
      stderr: "piped",
      env: { OMP_NUM_THREADS: "1", PYTHONDONTWRITEBYTECODE: "1" },
    }).output();
    if (out.code !== 0) {
      throw new Error(
        `${script} failed (exit ${out.code}): ${new TextDecoder().decode(out.stderr).trim()}`,
      );
    }
    return JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs the ports on `cases` in one Python process; results by case id.
 *
 * @example
 * ```ts ignore
 * const results = await runPorts(cases.map((c) => c.input));
 * ```
 */
export async function runPorts(cases: CaseInput[]): Promise<Record<string, PortResult>> {
  return await runPythonJson(DRIVER, cases) as Record<string, PortResult>;
}
