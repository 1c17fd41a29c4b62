/**
 * Optional OpenBLAS through Deno's FFI (`Deno.dlopen("libopenblas.so.0")`): single-precision
 * GEMM for the MatMul and Conv2D kernels in this folder. OpenBLAS is a system library
 * (Debian: `apt-get install libopenblas0-pthread`); when it is missing, not permitted
 * (`--allow-ffi`) or switched off, {@linkcode loadBlas} returns null and the kernels keep
 * the wasm/cpu implementations.
 *
 * Environment:
 * - `IBML_BLAS=0` switches it off (the stock kernels run; see docs in bench/README.md);
 * - `IBML_BLAS_LIB=/path/libopenblas.so` loads another build;
 * - `IBML_BLAS_THREADS=N` sets OpenBLAS's thread count for large products (default 1: the
 *   harness runs independent runs in parallel processes, `reproduce --jobs`, so one thread
 *   per process keeps the cores from being oversubscribed; 2 helps a single large run on 2
 *   cores). Products under 2^22 multiply-adds always run on one thread: waking (and then
 *   spinning) a second thread costs more than it saves there (the MLP step measured 15%
 *   slower and used twice the CPU time with 2 threads).
 *
 * Results are deterministic for a given library, CPU and `IBML_BLAS_THREADS` (each product's
 * thread count follows from its size), but their last bits differ from the wasm kernels'
 * and change with the thread count (measured: a 1000x700x600 product differs between 1 and
 * 2 threads) and the CPU (OpenBLAS picks CPU-specific code).
 *
 * Tensor memory can be handed over directly: a `Float32Array` view of the wasm heap is
 * passed as a pointer, so no copy is made.
 *
 * @module
 */

/** Row-major single-precision GEMM: C = alpha op(A) op(B) + beta C. */
export interface Blas {
  /** Library that was loaded. */
  readonly library: string;
  /** OpenBLAS thread count in use. */
  readonly threads: number;
  /** OpenBLAS build string (`openblas_get_config`), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ...". */
  readonly config: string;
  /**
   * C[m x n] = alpha op(A)[m x k] op(B)[k x n] + beta C, row-major, leading dimensions as in
   * CBLAS. Views may be subarrays (offsets are part of the view).
   */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
}

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
  openblas_get_config: { parameters: [], result: "pointer" },
} as const;

/** Products (m x n x k multiply-adds) below this run on one OpenBLAS thread. */
const MULTITHREAD_MIN_MACS = 1 << 22;

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

let cached: { blas: Blas | null; why: string } | undefined;

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env
  }
}

/**
 * One library's line in "OpenBLAS not found (...)": its name once, then dlopen's reason.
 * Deno's error message repeats "Could not open library: " and the name in front of it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openFailure } from "./blas.ts";
 * const msg = "Could not open library: Could not open library: libx.so: cannot open shared " +
 *   "object file: No such file or directory";
 * assert.equal(
 *   openFailure("libx.so", msg),
 *   "libx.so: cannot open shared object file: No such file or directory",
 * );
 * ```
 */
export function openFailure(library: string, message: string): string {
  const reason = message.split("Could not open library: ").pop()!.replace(`${library}: `, "");
  return `${library}: ${reason}`;
}

function open(): { blas: Blas | null; why: string } {
  if (typeof Deno === "undefined" || typeof Deno.dlopen !== "function") {
    return { blas: null, why: "no Deno FFI in this runtime" };
  }
  const flag = env("IBML_BLAS");
  if (flag === "0" || flag === "false" || flag === "off") {
    return { blas: null, why: "switched off by IBML_BLAS=0" };
  }
  const candidates = [env("IBML_BLAS_LIB"), "libopenblas.so.0", "libopenblas.so"].filter(
    (x): x is string => !!x,
  );
  const errors: string[] = [];
  for (const library of candidates) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(library, SYMBOLS);
    } catch (err) {
      const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
      if (/permission|NotCapable|--allow-ffi/i.test(msg)) {
        return { blas: null, why: "no FFI permission (--allow-ffi)" };
      }
      errors.push(openFailure(library, msg));
      continue;
    }
    const wanted = Number(env("IBML_BLAS_THREADS") ?? "1");
    const threads = Number.isInteger(wanted) && wanted > 0 ? wanted : 1;
    lib.symbols.openblas_set_num_threads(threads);
    const maxThreads = lib.symbols.openblas_get_num_threads();
    let current = maxThreads;
    const ptr = lib.symbols.openblas_get_config();
    const config = ptr ? new Deno.UnsafePointerView(ptr).getCString() : "OpenBLAS";
    const s = lib.symbols;
    const blas: Blas = {
      library,
      threads: maxThreads,
      config: config.trim(),
      sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
        if (m === 0 || n === 0) return;
        const want = maxThreads > 1 && m * n * k >= MULTITHREAD_MIN_MACS ? maxThreads : 1;
        if (want !== current) {
          s.openblas_set_num_threads(want);
          current = want;
        }
        s.cblas_sgemm(
          ROW_MAJOR,
          transA ? TRANS : NO_TRANS,
          transB ? TRANS : NO_TRANS,
          m,
          n,
          k,
          alpha,
          a as Float32Array<ArrayBuffer>,
          lda,
          b as Float32Array<ArrayBuffer>,
          ldb,
          beta,
          c as Float32Array<ArrayBuffer>,
          ldc,
        );
      },
    };
    return { blas, why: `${config.trim().split(" ").slice(0, 2).join(" ")} (${library})` };
  }
  return {
    blas: null,
    why: `OpenBLAS not found (${
      errors.join("; ")
    }; \`apt-get install libopenblas0-pthread\` or IBML_BLAS_LIB=<path> adds it)`,
  };
}

/**
 * The OpenBLAS binding, loaded once per process, or null (with the reason in
 * {@linkcode blasStatus}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadBlas } from "./blas.ts";
 * const blas = loadBlas(); // null where libopenblas.so.0 does not load
 * if (blas) {
 *   const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([0, 1, 1, 0]);
 *   const c = new Float32Array(4);
 *   blas.sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2); // c = a b, row-major 2 x 2
 *   assert.deepEqual(Array.from(c), [2, 1, 4, 3]);
 * }
 * ```
 */
export function loadBlas(): Blas | null {
  cached ??= open();
  return cached.blas;
}

/**
 * One line: which BLAS is in use and how many threads, or why none is.
 *
 * @example
 * ```ts
 * import { blasStatus } from "./blas.ts";
 * console.log(blasStatus()); // "OpenBLAS 0.3.21 (libopenblas.so.0), 1 thread", or why none loaded
 * ```
 */
export function blasStatus(): string {
  cached ??= open();
  const b = cached.blas;
  return b ? `${cached.why}, ${b.threads} thread${b.threads === 1 ? "" : "s"}` : cached.why;
}
