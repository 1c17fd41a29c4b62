/**
 * Faster training kernels for the wasm (and cpu) backends, installed by `selectBackend`
 * after the gradient patches of src/backend/patches/. Each was chosen from a profile of the bench models
 * (bench/README.md) and is compared with the stock result by tests/kernels_test.ts.
 *
 * Three sets. The first two are pure wasm/JS, so their numbers are the same on every
 * machine; the third uses OpenBLAS where it loads, whose last bits depend on the library
 * build and the CPU. `main.ts regress` therefore runs its reference experiment with
 * `IBML_BLAS=0`, the path of a machine without the library (CI).
 *
 * **exact**: results bitwise identical to the stock kernels.
 *
 * | what | backends | how |
 * |---|---|---|
 * | `Identity` | wasm | shares the buffer (reference count) instead of copying it, as cpu does |
 * | gradient saves | wasm, cpu, tensorflow | `engine.clone` shares instead of running Identity, which copies on native (src/kernels/engine.ts) |
 * | SGD update | wasm, cpu | fused, in place (src/optim/fused_sgd.ts) |
 * | `Max` over non-innermost axes, `Equal` (broadcast), `GatherV2`, `Unpack`, `SplitV` | wasm | one pass over memory (src/kernels/tensor_ops.ts) |
 * | `Add`, `Sub`, `Multiply`, `RealDiv` of at most 4096 float32 outputs | wasm | one JS loop instead of an XNNPACK operator per call (src/kernels/tensor_ops.ts) |
 * | Relu, LeakyRelu gradients | wasm, cpu | one branch-free pass (kernel `IbmlReluGrad`) instead of 3 kernels |
 * | Relu, LeakyRelu gradients | tensorflow | TensorFlow's `ReluGrad` / `LeakyReluGrad` op (src/kernels/native_ops.ts) |
 * | Conv2D + bias (`Conv2d` with a bias) | tensorflow (CPU) | oneDNN's `_MklNativeConv2DWithBias`, one op (src/kernels/conv_bias.ts) |
 * | SGD update | tensorflow (CPU) | in place, with a weight decay as ibml's `IbmlApplyMomentumDecay` (one pass; src/kernels/custom_ops.ts), else the decay as TensorFlow's `ResourceApplyGradientDescent`, then `ResourceApplyMomentum` (src/optim/native_sgd.ts) |
 * | 2x2 max pool + ReLU (`reluMaxPool2`, Img_FC) and its gradient | tensorflow (CPU) | ibml's `IbmlMaxPool2Relu` / `IbmlMaxPool2ReluGrad`, one op each instead of two (src/kernels/custom_ops.ts) |
 *
 * **wasm** (deterministic, machine-independent; summation order differs from stock, so the
 * last bits of a run's numbers do):
 *
 * | what | backends | how |
 * |---|---|---|
 * | `BatchMatMul` with a transpose flag | wasm | transposes the operand explicitly so XNNPACK runs instead of a naive loop (src/kernels/matmul.ts) |
 * | `MaxPoolGrad` | wasm | one pass over the windows, first maximum wins |
 * | `Sum`, `Mean` over non-innermost axes | wasm | float32 adds in row order, no transposed copy |
 * | softmax cross-entropy (`crossEntropy` in src/optim/grads.ts) + gradient | wasm, cpu | one JS kernel each instead of ~12 composed ones (src/kernels/cross_entropy.ts) |
 * | softmax cross-entropy + gradient | tensorflow | TensorFlow's `SparseSoftmaxCrossEntropyWithLogits` (src/kernels/native_ops.ts) |
 * | 2D `BatchMatMul` of at most 2^20 multiply-adds | tensorflow (CPU) | TensorFlow's `MatMul` op instead of oneDNN's batched product, whose thread hand-off costs more than a small product (`installNativeKernels`, after tfjs-node is imported) |
 *
 * **OpenBLAS** (when `libopenblas.so.0` loads): deterministic on one machine, last bits
 * depend on the library build and CPU.
 *
 * | what | backends | how |
 * |---|---|---|
 * | `BatchMatMul` (of at least `IBML_BLAS_MIN_MACS` multiply-adds, default all) | wasm, cpu | `sgemm` on the tensor memory (src/kernels/matmul.ts) |
 * | `Conv2D`, `Conv2DBackpropInput`, `Conv2DBackpropFilter` + the Conv2D gradient | wasm, cpu | im2col + `sgemm` (src/kernels/conv.ts) |
 *
 * ibml's own TensorFlow ops (src/kernels/custom_ops.cc, built by setup-native) open with the
 * fast set on the native engine's CPU; `IBML_CUSTOM_OPS=0` keeps them closed.
 *
 * Switches: `IBML_FAST_KERNELS=0` keeps every stock kernel (and the op-by-op SGD);
 * `IBML_FAST_KERNELS=exact` installs only the exact set (the stock numbers, bit for bit);
 * `IBML_BLAS=0` keeps OpenBLAS out; `IBML_BLAS_MIN_MACS=N` sends only MatMuls of at least N
 * multiply-adds to it. The sets in use are part of the backend's `reason` line, which every run
 * logs.
 *
 * @example
 * ```ts
 * import "@tensorflow/tfjs-backend-wasm";
 * import { installGradPatches } from "../backend/patches/mod.ts";
 * import { installFastKernels } from "./mod.ts";
 * installGradPatches(); // first: the fast kernels wrap its kernels
 * console.log(installFastKernels().summary);
 * ```
 *
 * @module
 */
export {
  type FastKernelStatus,
  fastKernelStatus,
  installFastKernels,
  installNativeKernels,
  jsKernelSummary,
  nativeKernelSummary,
} from "./install.ts";
export { BLAS_MIN_MACS, fastKernelsEnabled, type KernelMode } from "./switches.ts";
export { customOpsLoaded, loadCustomOps } from "./custom_ops.ts";
