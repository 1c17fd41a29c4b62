/**
 * One patch to the tfjs engine's per-op bookkeeping (tfjs-core 4.22.0): how it keeps the
 * tensors a gradient needs.
 *
 * While recording a gradient tape, the engine keeps every input/output a gradient function
 * will need (`saveTensorsForBackwardMode`, and the `save` of `tf.customGrad` ops such as
 * `logSoftmax`) by `engine.clone`-ing it: a full `Identity` kernel run (a copy on wasm),
 * plus a tape node for the clone that backpropagation later filters out again, since
 * nothing downstream uses the clone. The quick-profile MLP step saves 49 tensors this way.
 * {@linkcode installSharedSaves} makes `engine.clone` (used for nothing else in tfjs-core
 * 4.22.0) return a second reference to the same buffer instead, exactly what the cpu
 * backend's `Identity` kernel returns, without the kernel call and the dead tape node.
 * Values and gradients are unchanged (bitwise).
 *
 * Only tensors on the cpu and wasm backends are saved this way; others keep the stock path.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The engine internals used here. */
interface EngineLike {
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: tf.KernelBackend): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
  state: { tensorInfo: { get(dataId: tf.DataId): { backend: tf.KernelBackend } | undefined } };
  /** Initialised backends by name (reading it initialises nothing, unlike tf.findBackend). */
  registry: Record<string, tf.KernelBackend | undefined>;
}

let installed = false;

/**
 * Replaces `engine.clone` (idempotent). Returns false if the engine does not have the
 * expected shape (another tfjs version), leaving it untouched.
 *
 * @example
 * ```ts ignore
 * installSharedSaves();
 * const g = tf.grad((x) => tf.sum(tf.square(x)))(x); // keeps x for the gradient, no copy
 * ```
 */
export function installSharedSaves(): boolean {
  if (installed) return true;
  const engine = tf.engine() as unknown as EngineLike;
  const stock = engine.clone;
  if (typeof stock !== "function" || typeof engine.makeTensorFromTensorInfo !== "function") {
    return false;
  }
  const shared = new Set<tf.KernelBackend>();
  const refresh = () => {
    for (const name of ["cpu", "wasm"]) {
      const b = engine.registry?.[name];
      if (b) shared.add(b);
    }
  };
  refresh();
  engine.clone = function (x: tf.Tensor): tf.Tensor {
    const backend = engine.state.tensorInfo.get(x.dataId)?.backend;
    if (!backend) return stock.call(engine, x);
    if (!shared.has(backend)) {
      refresh();
      if (!shared.has(backend)) return stock.call(engine, x);
    }
    const y = engine.makeTensorFromTensorInfo(
      { dataId: x.dataId, shape: x.shape, dtype: x.dtype },
      backend,
    );
    backend.incRef(x.dataId);
    return y;
  };
  installed = true;
  return true;
}
