/**
 * Per-epoch checkpoints: every tensor (weights, optimizer velocities, buffers, method
 * state) in one binary file plus a JSON index, written to a temporary folder and renamed,
 * so a checkpoint is either complete or absent.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** What a checkpoint holds besides tensors. */
export interface CheckpointMeta {
  /** Hash of the config that produced it (a different config never resumes from it). */
  config_hash: string;
  /** Number of finished epochs. */
  epochs_done: number;
  /** Anything else the trainer needs to continue (rows so far, best epoch, method JSON). */
  state: unknown;
}

interface TensorIndex {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  offset: number;
  length: number;
}

/**
 * Writes a checkpoint atomically into `dir` (replacing any previous one).
 *
 * @example
 * ```ts ignore
 * await saveCheckpoint("results/runs/x/ckpt", meta, { "head.fc.kernel": w });
 * ```
 */
export async function saveCheckpoint(
  dir: string,
  meta: CheckpointMeta,
  tensors: Record<string, tf.Tensor>,
): Promise<void> {
  const index: TensorIndex[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const dtype = t.dtype === "int32" ? "int32" : "float32";
    const data = dtype === "int32"
      ? Int32Array.from(await t.data())
      : Float32Array.from(await t.data());
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    index.push({ name, shape: t.shape, dtype, offset, length: data.length });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const blob = new Uint8Array(offset);
  let pos = 0;
  for (const c of chunks) {
    blob.set(c, pos);
    pos += c.byteLength;
  }
  const tmp = `${dir}.tmp`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  await Deno.writeFile(`${tmp}/tensors.bin`, blob);
  await Deno.writeTextFile(`${tmp}/checkpoint.json`, JSON.stringify({ ...meta, tensors: index }));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, dir);
}

/**
 * Reads a checkpoint; returns null when there is none. Tensors are created on the
 * current backend; the caller disposes them.
 *
 * @example
 * ```ts ignore
 * const ck = await loadCheckpoint(dir);
 * if (ck && ck.meta.config_hash === hash) resumeFrom(ck);
 * ```
 */
export async function loadCheckpoint(
  dir: string,
): Promise<{ meta: CheckpointMeta; tensors: Record<string, tf.Tensor> } | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/checkpoint.json`);
  } catch {
    return null;
  }
  const parsed = JSON.parse(text) as CheckpointMeta & { tensors: TensorIndex[] };
  const blob = await Deno.readFile(`${dir}/tensors.bin`);
  const tensors: Record<string, tf.Tensor> = {};
  for (const e of parsed.tensors) {
    const bytes = blob.slice(e.offset, e.offset + e.length * 4);
    const data = e.dtype === "int32"
      ? new Int32Array(bytes.buffer)
      : new Float32Array(bytes.buffer);
    tensors[e.name] = tf.tensor(data, e.shape, e.dtype);
  }
  const { tensors: _index, ...meta } = parsed;
  return { meta, tensors };
}
