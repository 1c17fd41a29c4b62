/**
 * `deno task setup-native [--gpu] [--wheel FILE] [--force]`: builds the native engine.
 *
 * tfjs-node's own installer downloads libtensorflow 2.9.1 from a Google bucket; this script
 * builds the same addon against the TensorFlow C library inside TensorFlow's Python wheel:
 *
 * 1. the wheel: `--wheel FILE`, or `python3 -m pip download` of the pinned
 *    `tensorflow-cpu` (`tensorflow` with `--gpu`, plus its CUDA wheels) into `.native/wheels`;
 * 2. `npm:@tensorflow/tfjs-node@4.22.0` (`-gpu`) into Deno's node_modules, without its
 *    install script (`deno cache`);
 * 3. the package's `deps/`: `lib/` gets the wheel's `libtensorflow_cc.so.2` (TFE_* API) and
 *    `libtensorflow_framework.so.2` (TF_* API) plus the `libtensorflow.so` /
 *    `libtensorflow_framework.so` links binding.gyp links against, `include/` the wheel's
 *    whole header tree;
 * 4. the addon: the package's own `node-pre-gyp install --build-from-source` with Node's
 *    local headers (no download) -> `lib/napi-v8/tfjs_binding.node`;
 * 5. ibml's own TensorFlow ops (src/kernels/custom_ops.cc) with `g++` against the same
 *    headers and framework library -> `.native/libibml_ops.so` (a few seconds);
 * 6. a check under Deno (scripts/check_native.ts: a conv + dense training step, and ibml's
 *    ops against the stock ones);
 * 7. `.native/manifest.json`: package, TensorFlow version, wheel, addon and ops sha256, which
 *    `--backend auto|tensorflow` reports.
 *
 * A second run with the same inputs finds the manifest, the addon, the ops library built
 * from the current source and a passing check, and does nothing. When only the ops source
 * changed (or the library is missing), it rebuilds the library alone. Everything is written inside the project folder (`.native/` and
 * `node_modules/`). Exit codes: 0 done, 1 a step failed, 2 bad usage.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { CUSTOM_OPS_SOURCE_URL, CUSTOM_OPS_URL } from "../src/kernels/custom_ops.ts";
import {
  BINDING_PATH,
  NATIVE_MANIFEST_URL,
  type NativeManifest,
  type NativePackage,
  TFJS_VERSION,
} from "../src/backend/native.ts";

/** The TensorFlow release whose C library the addon is built against. */
export const TF_VERSION = "2.21.0";

const USAGE = "usage: deno task setup-native [--gpu] [--wheel FILE] [--force]\n" +
  "  --gpu         build @tensorflow/tfjs-node-gpu against the CUDA `tensorflow` wheel\n" +
  `  --wheel FILE  use this TensorFlow wheel instead of pip download of ${TF_VERSION}\n` +
  "  --force       rebuild even if the recorded build is up to date";

const ROOT = fromFileUrl(new URL("../", import.meta.url));
const NATIVE_DIR = join(ROOT, ".native");
const MANIFEST = fromFileUrl(NATIVE_MANIFEST_URL);

/** A failed step: one line for the user (exit 1), or a usage error (exit 2). */
class SetupError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

function step(text: string): void {
  console.log(`setup-native: ${text}`);
}

/** Runs a command; throws SetupError naming it (and the log) when it fails. */
async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; log?: string; what: string; env?: Record<string, string> },
): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, {
      args,
      cwd: opts.cwd ?? ROOT,
      env: opts.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new SetupError(`${opts.what}: cannot start \`${cmd}\` (${(e as Error).message})`);
  }
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout) + dec.decode(out.stderr);
  if (opts.log) await Deno.writeTextFile(opts.log, text);
  if (!out.success) {
    const tail = text.trim().split("\n").slice(-15).join("\n");
    throw new SetupError(
      `${opts.what} failed (exit ${out.code}): \`${cmd} ${args.join(" ")}\`` +
        (opts.log ? `; full log: ${relative(ROOT, opts.log)}` : "") + `\n${tail}`,
    );
  }
  return text;
}

/** Whether a program runs (`cmd --version`). */
async function has(cmd: string, args = ["--version"]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Uint8Array);
  return hash.digest("hex");
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The TensorFlow version in a wheel's file name (tensorflow[_cpu]-X.Y.Z-...). */
function wheelVersion(file: string): string {
  const m = /^tensorflow(?:_cpu|_gpu)?-(\d+\.\d+\.\d+)[^-]*-.*\.whl$/.exec(basename(file));
  if (!m) {
    throw new SetupError(
      `--wheel ${file}: not a TensorFlow wheel name (expected tensorflow[_cpu]-X.Y.Z-...-linux_x86_64.whl)`,
      2,
    );
  }
  return m[1];
}

/** Validates `--wheel FILE` (exit 2 on a bad one); returns its absolute path. */
function checkWheelArg(given: string, gpu: boolean): string {
  const path = resolve(given);
  if (!exists(path)) {
    throw new SetupError(`--wheel ${given}: no such file (give a TensorFlow wheel, .whl)`, 2);
  }
  wheelVersion(path);
  if (gpu && basename(path).startsWith("tensorflow_cpu-")) {
    throw new SetupError(
      `--wheel ${given}: --gpu needs the CUDA \`tensorflow\` wheel, not tensorflow_cpu`,
      2,
    );
  }
  return path;
}

/** Gets the wheel: the given file or a pip download of the pinned release. */
async function getWheel(gpu: boolean, given?: string): Promise<string> {
  if (given) return checkWheelArg(given, gpu);
  if (!await has("python3", ["-m", "pip", "--version"])) {
    throw new SetupError(
      "python3 -m pip is missing: install pip (Debian: `apt-get install -y python3-pip`) or " +
        "pass a TensorFlow wheel with --wheel FILE",
    );
  }
  const name = gpu ? "tensorflow" : "tensorflow-cpu";
  const dir = join(NATIVE_DIR, "wheels");
  await Deno.mkdir(dir, { recursive: true });
  step(`pip download ${name}==${TF_VERSION} (no dependencies) into ${relative(ROOT, dir)}`);
  await run("python3", [
    "-m",
    "pip",
    "download",
    `${name}==${TF_VERSION}`,
    "--no-deps",
    "--only-binary=:all:",
    "-d",
    dir,
  ], { what: `pip download ${name}==${TF_VERSION}`, log: join(NATIVE_DIR, "pip.log") });
  const prefix = `${name.replace("-", "_")}-${TF_VERSION}-`;
  const found = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
    n.startsWith(prefix) && n.endsWith(".whl")
  );
  if (found.length === 0) throw new SetupError(`pip download left no ${prefix}*.whl in ${dir}`);
  return join(dir, found.sort()[0]);
}

/** Extracts members of a zip (the wheel) with Python's zipfile, streaming. */
async function unzip(wheel: string, dest: string, prefixes: string[]): Promise<void> {
  const code = [
    "import sys, zipfile",
    "z = zipfile.ZipFile(sys.argv[1])",
    "pre = tuple(sys.argv[3:])",
    "names = [n for n in z.namelist() if n.startswith(pre)]",
    "z.extractall(sys.argv[2], names)",
    "print(len(names))",
  ].join("\n");
  await run("python3", ["-c", code, wheel, dest, ...prefixes], {
    what: `extracting ${basename(wheel)}`,
  });
}

/** The package folder in Deno's node_modules, installing it (no scripts) if needed. */
async function installPackage(pkg: NativePackage): Promise<string> {
  const specifier = `npm:${pkg}@${TFJS_VERSION}`;
  step(`deno cache ${specifier} (its install script, which downloads libtensorflow, is skipped)`);
  await run(Deno.execPath(), ["cache", "--node-modules-dir=auto", specifier], {
    what: `deno cache ${specifier}`,
  });
  const dir = join(
    ROOT,
    "node_modules",
    ".deno",
    `${pkg.replace("/", "+")}@${TFJS_VERSION}`,
    "node_modules",
    pkg,
  );
  if (!exists(join(dir, "binding.gyp"))) {
    throw new SetupError(`${pkg} is not at ${relative(ROOT, dir)} after deno cache`);
  }
  return dir;
}

/** Lays out deps/lib and deps/include from the wheel. */
async function layOutDeps(pkgDir: string, wheel: string, gpu: boolean): Promise<void> {
  const deps = join(pkgDir, "deps");
  const tmp = join(NATIVE_DIR, "extract");
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  step(`extracting the C library and headers from ${basename(wheel)} (about 850 MB)`);
  await unzip(wheel, tmp, [
    "tensorflow/libtensorflow_cc.so.2",
    "tensorflow/libtensorflow_framework.so.2",
    "tensorflow/include/",
  ]);
  for (const lib of ["libtensorflow_cc.so.2", "libtensorflow_framework.so.2"]) {
    if (!exists(join(tmp, "tensorflow", lib))) {
      throw new SetupError(
        `${basename(wheel)} has no tensorflow/${lib}: not a TensorFlow 2.x wheel?`,
      );
    }
  }
  await Deno.remove(deps, { recursive: true }).catch(() => {});
  await Deno.mkdir(join(deps, "lib"), { recursive: true });
  for (const lib of ["libtensorflow_cc.so.2", "libtensorflow_framework.so.2"]) {
    await Deno.rename(join(tmp, "tensorflow", lib), join(deps, "lib", lib));
  }
  await Deno.symlink("libtensorflow_cc.so.2", join(deps, "lib", "libtensorflow.so"));
  await Deno.symlink(
    "libtensorflow_framework.so.2",
    join(deps, "lib", "libtensorflow_framework.so"),
  );
  await Deno.rename(join(tmp, "tensorflow", "include"), join(deps, "include"));
  if (gpu) await layOutCuda(wheel, deps, tmp);
  await Deno.remove(tmp, { recursive: true });
}

/**
 * GPU only: the CUDA libraries TensorFlow's `and-cuda` extra lists (nvidia-* wheels), laid
 * out as deps/nvidia/<pkg>/lib, where the GPU wheel's libraries look for them (their
 * RUNPATH has $ORIGIN/../nvidia/<pkg>/lib). Unverified here: this machine has no GPU.
 */
async function layOutCuda(wheel: string, deps: string, tmp: string): Promise<void> {
  const meta = await run("python3", [
    "-c",
    "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\n" +
    "n = [x for x in z.namelist() if x.endswith('.dist-info/METADATA')][0]\n" +
    "print(z.read(n).decode())",
    wheel,
  ], { what: "reading the wheel's METADATA" });
  const reqs = meta.split("\n")
    .filter((l) => l.startsWith("Requires-Dist:") && /extra == "and-cuda"/.test(l))
    .map((l) => l.slice("Requires-Dist:".length).split(";")[0].replace(/\s+/g, ""));
  if (reqs.length === 0) throw new SetupError(`${basename(wheel)} lists no and-cuda extra`);
  const dir = join(NATIVE_DIR, "wheels", "cuda");
  await Deno.mkdir(dir, { recursive: true });
  step(`pip download of the ${reqs.length} CUDA wheels of tensorflow[and-cuda]`);
  await run("python3", ["-m", "pip", "download", "--no-deps", "-d", dir, ...reqs], {
    what: "pip download of the CUDA wheels",
    log: join(NATIVE_DIR, "pip-cuda.log"),
  });
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.name.endsWith(".whl")) await unzip(join(dir, entry.name), tmp, ["nvidia/"]);
  }
  await Deno.rename(join(tmp, "nvidia"), join(deps, "nvidia"));
}

/** Where Node's headers are: the prefix whose include/node/node_api.h exists. */
async function nodePrefix(): Promise<string> {
  if (!await has("node")) {
    throw new SetupError(
      "`node` is not on PATH: the addon is built with Node's node-gyp (Debian: `apt-get install -y nodejs npm`)",
    );
  }
  const out = await run("node", ["-p", "process.execPath"], { what: "node -p process.execPath" });
  const candidates = [dirname(dirname(Deno.realPathSync(out.trim()))), "/usr", "/usr/local"];
  for (const prefix of candidates) {
    if (exists(join(prefix, "include", "node", "node_api.h"))) return prefix;
  }
  throw new SetupError(
    `Node's headers (include/node/node_api.h) are not under ${candidates.join(", ")}: ` +
      "install them (Debian: `apt-get install -y libnode-dev`)",
  );
}

async function build(pkgDir: string): Promise<void> {
  const prefix = await nodePrefix();
  for (const tool of ["make", "g++", "python3"]) {
    if (!await has(tool)) {
      throw new SetupError(
        `\`${tool}\` is missing; the addon is compiled from source (Debian: \`apt-get install -y g++ make python3\`)`,
      );
    }
  }
  const preGyp = join(pkgDir, "..", "..", "@mapbox", "node-pre-gyp", "bin", "node-pre-gyp");
  if (!exists(preGyp)) throw new SetupError(`node-pre-gyp is missing at ${preGyp}`);
  step(
    `building ${relative(ROOT, join(pkgDir, BINDING_PATH))} with node-pre-gyp ` +
      `(Node headers from ${prefix}; about 1 minute)`,
  );
  const started = Date.now();
  await run("node", [preGyp, "install", "--build-from-source", `--nodedir=${prefix}`], {
    cwd: pkgDir,
    what: "building the addon",
    log: join(NATIVE_DIR, "build.log"),
  });
  step(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Compiles ibml's TensorFlow ops against the package's `deps/` (the wheel's headers and
 * framework library) into `.native/libibml_ops.so`; returns the library's path.
 * `-ffp-contract=off`: no fused multiply-adds, so the SGD op rounds as the op-by-op update.
 */
async function buildOps(pkgDir: string): Promise<string> {
  if (!await has("g++")) {
    throw new SetupError(
      "`g++` is missing; ibml's TensorFlow ops are compiled from source (Debian: `apt-get install -y g++`)",
    );
  }
  const deps = join(pkgDir, "deps");
  const source = fromFileUrl(CUSTOM_OPS_SOURCE_URL);
  const out = fromFileUrl(CUSTOM_OPS_URL);
  step(`building ${relative(ROOT, out)} from ${relative(ROOT, source)} (a few seconds)`);
  await run("g++", [
    "-std=c++17",
    "-O3",
    "-ffp-contract=off",
    "-shared",
    "-fPIC",
    "-w", // TensorFlow's headers warn about their own deprecations
    "-D_GLIBCXX_USE_CXX11_ABI=1",
    "-DEIGEN_MAX_ALIGN_BYTES=64",
    `-I${join(deps, "include")}`,
    source,
    "-o",
    out,
    `-L${join(deps, "lib")}`,
    "-l:libtensorflow_framework.so.2",
    `-Wl,-rpath,$ORIGIN/${relative(dirname(out), join(deps, "lib"))}`,
    // Never unloaded: opening it again (a new worker, the next test module) after Deno closed
    // it would register its ops a second time, which TensorFlow aborts on.
    "-Wl,-z,nodelete",
  ], { what: "compiling ibml's TensorFlow ops", log: join(NATIVE_DIR, "ops-build.log") });
  return out;
}

/** Whether the recorded ops library exists, unchanged, and was built from the current source. */
async function opsUpToDate(m: NativeManifest): Promise<boolean> {
  if (!m.ops || !m.ops_sha256 || !m.ops_source_sha256) return false;
  const lib = join(ROOT, m.ops);
  return exists(lib) && await sha256(lib) === m.ops_sha256 &&
    await sha256(fromFileUrl(CUSTOM_OPS_SOURCE_URL)) === m.ops_source_sha256;
}

/** Builds the ops library and records it (and its source's hash) in the manifest object. */
async function addOps(m: NativeManifest, pkgDir: string): Promise<void> {
  const lib = await buildOps(pkgDir);
  m.ops = relative(ROOT, lib);
  m.ops_sha256 = await sha256(lib);
  m.ops_source_sha256 = await sha256(fromFileUrl(CUSTOM_OPS_SOURCE_URL));
}

/** Loads the addon under Deno in a fresh process and runs a training step. */
async function check(): Promise<string> {
  const out = await run(Deno.execPath(), [
    "run",
    "-A",
    join(ROOT, "scripts", "check_native.ts"),
  ], { what: "loading the built engine under Deno (scripts/check_native.ts)" });
  return out.trim().split("\n").filter((l) => l.startsWith("backend:")).pop() ?? out.trim();
}

function readManifest(): NativeManifest | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(MANIFEST)) as NativeManifest;
  } catch {
    return undefined;
  }
}

/** Whether the recorded build matches the request and its addon is still there, unchanged. */
async function upToDate(
  m: NativeManifest | undefined,
  pkg: NativePackage,
  wheel?: string,
): Promise<boolean> {
  if (!m || m.package !== pkg || m.tfjs !== TFJS_VERSION) return false;
  if (wheel ? m.wheel_sha256 !== await sha256(resolve(wheel)) : m.tensorflow !== TF_VERSION) {
    return false;
  }
  const binding = join(ROOT, m.binding);
  return exists(binding) && await sha256(binding) === m.binding_sha256;
}

/**
 * Entry point; returns the exit code.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await main(["--wheel", "/tmp/tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          gpu: { type: "boolean" },
          wheel: { type: "string" },
          force: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (e) {
      throw new SetupError(`${(e as Error).message}\n${USAGE}`, 2);
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
      throw new SetupError(
        `setup-native supports linux x86_64 only (this is ${Deno.build.target})`,
      );
    }
    const gpu = values.gpu ?? false;
    const pkg: NativePackage = gpu ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
    await Deno.mkdir(NATIVE_DIR, { recursive: true });

    if (values.wheel !== undefined) checkWheelArg(values.wheel, gpu);
    const before = readManifest();
    // Hashes the addon (and a given wheel, about 850 MB) once.
    const recorded = !values.force && await upToDate(before, pkg, values.wheel);
    let opsRebuilt = false;
    if (recorded && !await opsUpToDate(before!)) {
      // The addon stands; only ibml's ops are missing or older than their source.
      await addOps(before!, dirname(dirname(dirname(join(ROOT, before!.binding)))));
      await Deno.writeTextFile(MANIFEST, JSON.stringify(before, null, 2) + "\n");
      opsRebuilt = true;
    }
    if (recorded) {
      step(`checking the recorded build (${before!.package} on TensorFlow ${before!.tensorflow})`);
      try {
        const line = await check();
        step(
          opsRebuilt
            ? `ibml's ops rebuilt, the rest was up to date: ${line}`
            : `already set up, nothing to do (--force rebuilds): ${line}`,
        );
        return 0;
      } catch (e) {
        step(
          `the recorded build does not load any more (${
            (e as Error).message.split("\n")[0]
          }); rebuilding`,
        );
      }
    }

    const wheel = await getWheel(gpu, values.wheel);
    const tfVersion = wheelVersion(wheel);
    step(`hashing ${basename(wheel)}`);
    const wheelSha = await sha256(wheel);
    const pkgDir = await installPackage(pkg);
    await layOutDeps(pkgDir, wheel, gpu);
    await build(pkgDir);
    const binding = join(pkgDir, BINDING_PATH);
    if (!exists(binding)) throw new SetupError(`the build left no ${relative(ROOT, binding)}`);
    const manifest: NativeManifest = {
      package: pkg,
      tfjs: TFJS_VERSION,
      variant: gpu ? "gpu" : "cpu",
      tensorflow: tfVersion,
      wheel: basename(wheel),
      wheel_sha256: wheelSha,
      binding: relative(ROOT, binding),
      binding_sha256: await sha256(binding),
      built: new Date().toISOString(),
    };
    await addOps(manifest, pkgDir);
    // Written before the check, which reports it; removed again if the check fails.
    await Deno.writeTextFile(MANIFEST, JSON.stringify(manifest, null, 2) + "\n");
    step("checking that the engine loads under Deno and trains one step");
    try {
      const line = await check();
      step(`done: ${line}`);
      if (gpu) {
        step(
          "note: the GPU build is unverified on this project's CI (no GPU); see bench/gpu_check.sh",
        );
      }
    } catch (e) {
      await Deno.remove(MANIFEST).catch(() => {});
      throw e;
    }
    step(`recorded in ${relative(ROOT, MANIFEST)}`);
    return 0;
  } catch (e) {
    if (e instanceof SetupError) {
      console.error(`setup-native: error: ${e.message}`);
      return e.code;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
