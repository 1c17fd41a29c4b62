/**
 * The native engine: `@tensorflow/tfjs-node` (or `-gpu`) built by `deno task setup-native`
 * (scripts/setup_native.ts) against the TensorFlow C library of TensorFlow's own Python
 * wheel. This module finds the built binding, sets TensorFlow's threading/determinism
 * options (environment variables TensorFlow reads when it starts, so before the import),
 * installs the Deno shim and imports the binding. The import is dynamic, with a computed
 * specifier, so the project type-checks and runs without the setup.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { hugePagesNote, thpMode } from "./huge_pages.ts";
import { installNodeUtilShim } from "./node_util_shim.ts";

/** The exact version of every @tensorflow package this project uses. */
export const TFJS_VERSION = "4.22.0";

/** The command that builds the native engine, as users type it. */
export const SETUP_COMMAND = "deno task setup-native";

/** Where the setup records what it installed (project-relative: `.native/manifest.json`). */
export const NATIVE_MANIFEST_URL: URL = new URL("../../.native/manifest.json", import.meta.url);

/** The native packages, GPU first (it is only built with `setup-native --gpu`). */
export const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

/** One of {@link NATIVE_PACKAGES}. */
export type NativePackage = typeof NATIVE_PACKAGES[number];

/** The addon file inside a tfjs-node package folder (node-pre-gyp's napi-v8 layout). */
export const BINDING_PATH = "lib/napi-v8/tfjs_binding.node";

/**
 * What `setup-native` installed (the JSON in `.native/manifest.json`).
 *
 * @example
 * ```ts
 * import { type NativeManifest, readNativeManifest } from "./native.ts";
 * const m: NativeManifest | undefined = readNativeManifest();
 * if (m) console.log(`TensorFlow ${m.tensorflow} from ${m.wheel}`);
 * ```
 */
export interface NativeManifest {
  /** The npm package built: @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu. */
  package: NativePackage;
  /** Its version (= {@link TFJS_VERSION}). */
  tfjs: string;
  /** "cpu" or "gpu". */
  variant: "cpu" | "gpu";
  /** TensorFlow version of the C library (from the wheel's name). */
  tensorflow: string;
  /** File name of the wheel the C library came from. */
  wheel: string;
  /** SHA-256 of that wheel, hex. */
  wheel_sha256: string;
  /** The built addon, project-relative. */
  binding: string;
  /** SHA-256 of the built addon, hex. */
  binding_sha256: string;
  /** ISO time of the build. */
  built: string;
  /** ibml's TensorFlow ops library (src/kernels/custom_ops.ts), project-relative. */
  ops?: string;
  /** SHA-256 of that library, hex. */
  ops_sha256?: string;
  /** SHA-256 of the source it was built from (src/kernels/custom_ops.cc), hex. */
  ops_source_sha256?: string;
}

/**
 * Reads `.native/manifest.json`; undefined when absent or unreadable (no setup yet).
 *
 * @example
 * ```ts
 * import { readNativeManifest } from "./native.ts";
 * console.log(readNativeManifest()?.tensorflow ?? "not set up");
 * ```
 */
export function readNativeManifest(): NativeManifest | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(NATIVE_MANIFEST_URL)) as NativeManifest;
  } catch {
    return undefined;
  }
}

/**
 * TensorFlow's runtime options as this project sets them, from the environment:
 *
 * - `IBML_NATIVE_DETERMINISTIC` (default `1`): `1` sets `TF_DETERMINISTIC_OPS=1`, so
 *   kernels with a nondeterministic implementation (GPU atomics, some reductions) use a
 *   deterministic one or fail loudly; `0` leaves TensorFlow's default. An explicit
 *   `TF_DETERMINISTIC_OPS` wins.
 * - `TF_NUM_INTRAOP_THREADS` / `TF_NUM_INTEROP_THREADS`: TensorFlow's own thread-pool
 *   sizes (default: all cores). Passed through untouched.
 * - `TF_ENABLE_ONEDNN_OPTS` defaults to `1` (TensorFlow's own default on x86 Linux). oneDNN
 *   changes the last bits of the numbers against `0`, but both are deterministic run to run
 *   (tests/native_test.ts).
 * - `TF_CPP_MIN_LOG_LEVEL` defaults to `1` (hides TensorFlow's INFO lines). Two start-up
 *   lines of TensorFlow 2.21 go through absl's logging, which ignores it: "WARNING: All log
 *   messages before absl::InitializeLog() ..." and the oneDNN notice (port.cc) are printed
 *   on stderr once, whatever the setting.
 * - `GLIBC_TUNABLES`: read, not set (glibc reads it when the process starts); the line says
 *   whether TensorFlow's blocks get huge pages (./huge_pages.ts).
 *
 * Sets the defaults in this process's environment (TensorFlow reads them once, when the
 * binding starts) and returns a short description for the backend reason line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configureNativeEnv } from "./native.ts";
 * const line = configureNativeEnv(); // sets TensorFlow's defaults in this process's environment
 * console.log(line); // "deterministic ops, threads: TF default, oneDNN on, huge pages requested"
 * assert.match(line, /oneDNN (on|off)/);
 * ```
 */
export function configureNativeEnv(): string {
  const env = Deno.env;
  if (env.get("TF_CPP_MIN_LOG_LEVEL") === undefined) env.set("TF_CPP_MIN_LOG_LEVEL", "1");
  if (env.get("TF_ENABLE_ONEDNN_OPTS") === undefined) env.set("TF_ENABLE_ONEDNN_OPTS", "1");
  if (env.get("TF_DETERMINISTIC_OPS") === undefined) {
    const wanted = env.get("IBML_NATIVE_DETERMINISTIC") ?? "1";
    if (wanted !== "0") env.set("TF_DETERMINISTIC_OPS", "1");
  }
  const deterministic = env.get("TF_DETERMINISTIC_OPS");
  const parts = [
    deterministic === "1" || deterministic === "true"
      ? "deterministic ops"
      : "nondeterministic ops allowed",
  ];
  const intra = env.get("TF_NUM_INTRAOP_THREADS");
  const inter = env.get("TF_NUM_INTEROP_THREADS");
  parts.push(
    intra || inter
      ? `threads: intra-op ${intra ?? "default"}, inter-op ${inter ?? "default"}`
      : "threads: TF default",
  );
  parts.push(`oneDNN ${env.get("TF_ENABLE_ONEDNN_OPTS") === "0" ? "off" : "on"}`);
  const pages = hugePagesNote(thpMode(), env.get("GLIBC_TUNABLES"));
  if (pages) parts.push(pages);
  return parts.join(", ");
}

/**
 * The setup's record when the native engine looks usable (record present, its addon file
 * still there, not hidden by `IBML_NATIVE=0`), without importing it.
 *
 * @example
 * ```ts
 * import { nativeSetUp } from "./native.ts";
 * const built = nativeSetUp();
 * console.log(built ? `TensorFlow ${built.tensorflow}` : "not set up");
 * ```
 */
export function nativeSetUp(): NativeManifest | undefined {
  if (Deno.env.get("IBML_NATIVE") === "0") return undefined;
  const m = readNativeManifest();
  return m && exists(new URL(`../../${m.binding}`, import.meta.url)) ? m : undefined;
}

/** What loading the native engine found. */
export interface NativeLoad {
  /** The package that loaded, if one did. */
  package?: NativePackage;
  /** The setup's record, when present. */
  manifest?: NativeManifest;
  /** The runtime options in force ({@link configureNativeEnv}). */
  settings?: string;
  /** Why each package did not load. */
  notes: string[];
}

let loading: Promise<NativeLoad> | undefined;

/**
 * Imports the native binding once per process (later calls reuse the answer). Never
 * throws: when nothing loads, `notes` says why.
 * `IBML_NATIVE=0` in the environment hides the native engine (as if not set up).
 *
 * @example
 * ```ts ignore
 * // not run: imports the native engine (tfjs-node) where it is set up
 * import * as tf from "@tensorflow/tfjs";
 * import { loadNative } from "./native.ts";
 * const native = await loadNative();
 * if (native.package) await tf.setBackend("tensorflow");
 * else console.log(native.notes);
 * ```
 */
export function loadNative(): Promise<NativeLoad> {
  loading ??= tryPackages();
  return loading;
}

async function tryPackages(): Promise<NativeLoad> {
  const notes: string[] = [];
  const manifest = readNativeManifest();
  if (Deno.env.get("IBML_NATIVE") === "0") {
    return { manifest, notes: ["switched off by IBML_NATIVE=0"] };
  }
  for (const pkg of NATIVE_PACKAGES) {
    // A computed specifier keeps `deno check` from resolving the package.
    const specifier = ["npm:", pkg, "@", TFJS_VERSION].join("");
    const dir = packageDir(specifier);
    if (!dir) {
      notes.push(`${pkg} not installed`);
      continue;
    }
    if (!exists(new URL(BINDING_PATH, dir))) {
      notes.push(`${pkg} has no built addon`);
      continue;
    }
    const settings = configureNativeEnv();
    installNodeUtilShim();
    try {
      await import(specifier);
    } catch (err) {
      notes.push(`${pkg} is built but did not load (${firstLine(err)})`);
      continue;
    }
    if (!tf.findBackendFactory("tensorflow")) {
      notes.push(`${pkg} loaded but registered no 'tensorflow' backend`);
      continue;
    }
    return { package: pkg, manifest, settings, notes };
  }
  return { manifest, notes };
}

/**
 * The folder of an installed npm: package (with a trailing slash), or undefined. Deno maps
 * an installed npm: specifier to a file: URL inside node_modules and leaves an absent one
 * unchanged; this reads no files and downloads nothing.
 */
function packageDir(specifier: string): URL | undefined {
  let entry: string;
  try {
    entry = import.meta.resolve(specifier);
  } catch {
    return undefined;
  }
  if (!entry.startsWith("file:")) return undefined;
  // The entry point is <package>/dist/index.js.
  return new URL("../", entry);
}

function exists(url: URL): boolean {
  try {
    return Deno.statSync(url).isFile;
  } catch {
    return false;
  }
}

/**
 * `TF_Version()` of the running binding (tfjs-node keeps the binding on its backend
 * instance, which exists once the 'tensorflow' backend has been set).
 */
export function nativeTfVersion(): string | undefined {
  const backend = tf.findBackend("tensorflow") as unknown as
    | { binding?: { TF_Version?: string } }
    | null;
  return backend?.binding?.TF_Version;
}

/** The first line of an error message, shortened to fit in a one-line reason. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split("\n", 1)[0].trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/**
 * One phrase naming the native engine for the backend reason line (call it after the
 * 'tensorflow' backend is set, so the binding's own version is read), e.g.
 * "@tensorflow/tfjs-node 4.22.0 on TensorFlow 2.21.0 (cpu wheel sha256 2b847d21...)".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeNative } from "./native.ts";
 * // Normally the answer of loadNative(); a hand-made one here, so nothing is imported.
 * const native = {
 *   package: "@tensorflow/tfjs-node" as const,
 *   notes: [],
 *   settings: "deterministic ops",
 * };
 * const line = describeNative(native);
 * console.log(line); // "@tensorflow/tfjs-node 4.22.0 on TensorFlow ... ; deterministic ops"
 * assert.match(line, /^@tensorflow\/tfjs-node 4\.22\.0 on TensorFlow /);
 * ```
 */
export function describeNative(native: NativeLoad): string {
  const m = native.manifest;
  const version = nativeTfVersion() ?? m?.tensorflow ?? "unknown";
  const wheel = m && m.package === native.package
    ? ` (${m.variant} wheel sha256 ${m.wheel_sha256.slice(0, 12)})`
    : " (not built by setup-native: no record)";
  return `${native.package} ${TFJS_VERSION} on TensorFlow ${version}${wheel}; ${native.settings}`;
}
