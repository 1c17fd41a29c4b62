/**
 * Direct access to tensor memory on the two CPU-side tfjs backends, for kernels written in
 * TypeScript (or handed to a native library) that read their inputs and write their outputs
 * in place instead of chaining tfjs ops:
 *
 * - `wasm`: every tensor lives in the WebAssembly heap; a view is a `Float32Array` over
 *   `HEAPU8.buffer` at the tensor's `memoryOffset`. **Any allocation may grow the heap and
 *   detach earlier views**, so a kernel allocates all its outputs first and takes views
 *   afterwards (see {@linkcode Memory.alloc}, which returns the TensorInfo only).
 * - `cpu`: every tensor is a JS typed array in `backend.data`; views never detach.
 *
 * Both backends keep a per-buffer reference count (`backend.refCount`): a buffer shared by
 * several tensors (reshape, clone, identity) must never be written in place.
 *
 * The wasm backend also caches XNNPACK operators (packed weights) keyed by a tensor's id,
 * so a buffer written in place must have that cache dropped: {@linkcode Memory.touched}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The wasm backend's internals used here (tfjs-backend-wasm 4.22.0). */
interface WasmBackendLike {
  wasm: {
    HEAPU8: Uint8Array;
    tfjs: {
      registerTensor(id: number, size: number, memoryOffset: number): void;
      disposeData(id: number): void;
    };
  };
  dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  refCount(dataId: tf.DataId): number;
}

/** The cpu backend's internals used here. */
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
  refCount(dataId: tf.DataId): number;
}

/**
 * Uniform access to float32 tensor memory on `wasm` or `cpu`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { type Memory, memoryOf } from "./memory.ts";
 * await tf.setBackend("wasm");
 * const mem: Memory = memoryOf(tf.backend())!;
 * const x = tf.tensor1d([1, 2, 3]);
 * const out = mem.alloc([3]); // allocate every output first...
 * mem.view(out).set(mem.view(x)); // ...then take views
 * const y = tf.engine().makeTensorFromTensorInfo(out);
 * assert.deepEqual(Array.from(await y.data()), [1, 2, 3]);
 * ```
 */
export interface Memory {
  /** Backend name ("wasm" or "cpu"). */
  readonly name: "wasm" | "cpu";
  /** A float32 view of a tensor's data (wasm: valid until the next allocation). */
  view(info: tf.TensorInfo): Float32Array;
  /** Allocates a float32 output (contents undefined on wasm, zero on cpu). */
  alloc(shape: number[]): tf.TensorInfo;
  /** A view of any numeric tensor: Float32Array, Int32Array or (bool) Uint8Array. */
  typed(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  /** Allocates an output of a numeric dtype. */
  allocOf(shape: number[], dtype: "float32" | "int32" | "bool"): tf.TensorInfo;
  /** How many tensors share this buffer (1 = it may be written in place). */
  refCount(info: tf.TensorInfo): number;
  /** Call after writing a buffer in place: drops the wasm operator cache of its id. */
  touched(info: tf.TensorInfo): void;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function wasmMemory(b: WasmBackendLike): Memory {
  return {
    name: "wasm",
    view(info) {
      const data = b.dataIdMap.get(info.dataId);
      if (!data) throw new Error("wasm memory: tensor data not found (disposed?)");
      return new Float32Array(b.wasm.HEAPU8.buffer, data.memoryOffset, size(info.shape));
    },
    alloc: (shape) => b.makeOutput(shape, "float32"),
    typed(info) {
      const data = b.dataIdMap.get(info.dataId);
      if (!data) throw new Error("wasm memory: tensor data not found (disposed?)");
      const buf = b.wasm.HEAPU8.buffer, n = size(info.shape);
      if (info.dtype === "float32") return new Float32Array(buf, data.memoryOffset, n);
      if (info.dtype === "int32") return new Int32Array(buf, data.memoryOffset, n);
      if (info.dtype === "bool") return new Uint8Array(buf, data.memoryOffset, n);
      throw new Error(`wasm memory: dtype ${info.dtype} is not addressable`);
    },
    allocOf: (shape, dtype) => b.makeOutput(shape, dtype),
    refCount: (info) => b.refCount(info.dataId),
    touched(info) {
      const data = b.dataIdMap.get(info.dataId);
      if (!data) return;
      // dispose_data in the wasm module forgets the id and deletes every XNNPACK operator
      // built with it (packed weights); registering the same id and memory again keeps the
      // tensor valid. The memory itself is owned (and freed) by the JS side.
      b.wasm.tfjs.disposeData(data.id);
      b.wasm.tfjs.registerTensor(data.id, size(info.shape), data.memoryOffset);
    },
  };
}

function cpuMemory(b: CpuBackendLike): Memory {
  return {
    name: "cpu",
    view(info) {
      const values = b.data.get(info.dataId)?.values;
      if (!(values instanceof Float32Array)) {
        throw new Error("cpu memory: tensor values are not a Float32Array");
      }
      return values;
    },
    alloc: (shape) => b.makeTensorInfo(shape, "float32", new Float32Array(size(shape))),
    typed(info) {
      const values = b.data.get(info.dataId)?.values;
      if (
        values instanceof Float32Array || values instanceof Int32Array ||
        values instanceof Uint8Array
      ) {
        return values;
      }
      throw new Error(`cpu memory: dtype ${info.dtype} values are not addressable`);
    },
    allocOf(shape, dtype) {
      const n = size(shape);
      const values = dtype === "float32"
        ? new Float32Array(n)
        : dtype === "int32"
        ? new Int32Array(n)
        : new Uint8Array(n);
      return b.makeTensorInfo(shape, dtype, values as Float32Array);
    },
    refCount: (info) => b.refCount(info.dataId),
    touched() {},
  };
}

/**
 * Memory access for a backend instance, or null when it is neither wasm nor cpu (webgpu,
 * tensorflow: their data is not directly addressable from JS).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { memoryOf } from "./memory.ts";
 * await tf.setBackend("wasm");
 * assert.equal(memoryOf(tf.backend())?.name, "wasm"); // null on webgpu and tensorflow
 * ```
 */
export function memoryOf(backend: tf.KernelBackend): Memory | null {
  const b = backend as unknown as Partial<WasmBackendLike & CpuBackendLike>;
  if (b.wasm && b.dataIdMap && typeof b.makeOutput === "function") {
    return wasmMemory(b as WasmBackendLike);
  }
  if (b.data && typeof b.makeTensorInfo === "function" && !b.wasm) {
    // The cpu backend instance (read from the registry: tf.findBackend would initialise).
    const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
    if (backend === registry?.cpu) return cpuMemory(b as CpuBackendLike);
  }
  return null;
}
