/**
 * Per-epoch checkpoints: every tensor (weights, optimizer velocities, buffers, method
 * state) in one binary file plus a JSON index, written to a temporary folder and renamed,
 * so a checkpoint is either complete or absent. The index records the sha-256 of
 * `tensors.bin` and of its own content, so a truncated, broken or altered checkpoint is
 * found on load ({@linkcode readCheckpoint} says which file and what is wrong) instead of
 * failing deep in tfjs or resuming with different numbers. The previous epoch's checkpoint
 * is kept beside it (`<dir>.prev`) until the next one is written: the last good one when
 * the newest is damaged.
 *
 * @module
 */
import { createHash } from "node:crypto";
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
 * // not run: writes files on disk
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
  const body = JSON.stringify({ ...meta, tensors: index, tensors_sha256: sha256(blob) });
  await Deno.writeTextFile(
    `${tmp}/checkpoint.json`,
    `${body.slice(0, -1)},"json_sha256":"${sha256(new TextEncoder().encode(body))}"}`,
  );
  const prev = `${dir}.prev`;
  await Deno.remove(prev, { recursive: true }).catch(() => {});
  await Deno.rename(dir, prev).catch(() => {});
  await Deno.rename(tmp, dir);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A loaded checkpoint. */
export interface Checkpoint {
  /** Its meta data. */
  meta: CheckpointMeta;
  /** Its tensors (on the current backend; the caller disposes them). */
  tensors: Record<string, tf.Tensor>;
}

/** The outcome of {@linkcode readCheckpoint}. */
export type CheckpointRead =
  | { status: "none" }
  | { status: "ok"; checkpoint: Checkpoint }
  | { status: "corrupt"; file: string; problem: string };

/**
 * Reads and verifies a checkpoint: `none` when there is none, `corrupt` (naming the file
 * and what is wrong) when anything is unreadable, truncated or fails its checksum.
 * Checkpoints written before checksums existed are read without that check.
 *
 * @example
 * ```ts ignore
 * // not run: reads files on disk
 * const r = await readCheckpoint("results/runs/adhoc/x/checkpoint");
 * if (r.status === "corrupt") console.error(`${r.file}: ${r.problem}`);
 * ```
 */
export async function readCheckpoint(dir: string): Promise<CheckpointRead> {
  const jsonPath = `${dir}/checkpoint.json`;
  const binPath = `${dir}/tensors.bin`;
  let text: string;
  try {
    text = await Deno.readTextFile(jsonPath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      try {
        await Deno.stat(dir);
      } catch {
        return { status: "none" };
      }
      return { status: "corrupt", file: jsonPath, problem: "missing" };
    }
    return { status: "corrupt", file: jsonPath, problem: (e as Error).message };
  }
  let parsed: CheckpointMeta & {
    tensors: TensorIndex[];
    tensors_sha256?: string;
    json_sha256?: string;
  };
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return {
      status: "corrupt",
      file: jsonPath,
      problem: `not valid JSON (${(e as Error).message})`,
    };
  }
  if (
    !parsed || typeof parsed !== "object" || !Array.isArray(parsed.tensors) ||
    typeof parsed.epochs_done !== "number" || typeof parsed.config_hash !== "string"
  ) {
    return { status: "corrupt", file: jsonPath, problem: "missing fields" };
  }
  if (parsed.json_sha256 !== undefined) {
    const marker = `,"json_sha256":`;
    const body = `${text.slice(0, text.lastIndexOf(marker))}}`;
    if (sha256(new TextEncoder().encode(body)) !== parsed.json_sha256) {
      return { status: "corrupt", file: jsonPath, problem: "checksum mismatch (json_sha256)" };
    }
  }
  let blob: Uint8Array;
  try {
    blob = await Deno.readFile(binPath);
  } catch (e) {
    return { status: "corrupt", file: binPath, problem: (e as Error).message };
  }
  const needed = parsed.tensors.reduce((m, e) => Math.max(m, e.offset + e.length * 4), 0);
  if (blob.byteLength !== needed) {
    return {
      status: "corrupt",
      file: binPath,
      problem: `truncated or padded: ${blob.byteLength} bytes, the index needs ${needed}`,
    };
  }
  if (parsed.tensors_sha256 !== undefined && sha256(blob) !== parsed.tensors_sha256) {
    return { status: "corrupt", file: binPath, problem: "checksum mismatch (tensors_sha256)" };
  }
  const tensors: Record<string, tf.Tensor> = {};
  for (const e of parsed.tensors) {
    const bytes = blob.slice(e.offset, e.offset + e.length * 4);
    const data = e.dtype === "int32"
      ? new Int32Array(bytes.buffer)
      : new Float32Array(bytes.buffer);
    tensors[e.name] = tf.tensor(data, e.shape, e.dtype);
  }
  const { tensors: _index, tensors_sha256: _t, json_sha256: _j, ...meta } = parsed;
  return { status: "ok", checkpoint: { meta, tensors } };
}

/**
 * Reads a checkpoint; returns null when there is none, throws when it is damaged (use
 * {@linkcode readCheckpoint} to tell the two apart). Tensors are created on the current
 * backend; the caller disposes them.
 *
 * @example
 * ```ts ignore
 * // not run: reads files on disk
 * const ck = await loadCheckpoint(dir);
 * if (ck && ck.meta.config_hash === hash) resumeFrom(ck);
 * ```
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint | null> {
  const r = await readCheckpoint(dir);
  if (r.status === "none") return null;
  if (r.status === "corrupt") throw new Error(`damaged checkpoint ${r.file}: ${r.problem}`);
  return r.checkpoint;
}
