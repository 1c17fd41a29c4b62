/**
 * `tf.matMul` on every engine against a double-precision product (all four transpose
 * combinations, a head-sized and a large product); on the native engine, also that small 2D
 * products run as TensorFlow's `MatMul` op and large ones as `BatchMatMulV2`
 * (src/kernels/native_ops.ts, `nativeMatMulKernel`), bit for bit the op each should be.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "./assert.ts";
import { useTestEngine } from "./helpers.ts";
import { seeded } from "./numeric.ts";
import { NATIVE_SMALL_MATMUL_MACS } from "../src/kernels/native_ops.ts";
import { fastKernelStatus } from "../src/kernels/mod.ts";

/** C = op(A) op(B) in double precision, op a transpose where asked. */
function reference(a: tf.Tensor2D, b: tf.Tensor2D, ta: boolean, tb: boolean): number[] {
  const [A, B] = [a.arraySync(), b.arraySync()];
  const at = (r: number, c: number) => (ta ? A[c][r] : A[r][c]);
  const bt = (r: number, c: number) => (tb ? B[c][r] : B[r][c]);
  const [m, k] = ta ? [A[0].length, A.length] : [A.length, A[0].length];
  const n = tb ? B.length : B[0].length;
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += at(i, q) * bt(q, j);
      out.push(s);
    }
  }
  return out;
}

Deno.test("matMul: small and large 2D products in every transpose combination match a double-precision product; on native the small ones run as TensorFlow's MatMul", async () => {
  await useTestEngine();
  const native = tf.getBackend() === "tensorflow";
  if (native) {
    assert(fastKernelStatus().kernels.tensorflow?.some((k) => k.includes("MatMul")));
  }
  for (const [m, k, n] of [[32, 512, 10], [64, 256, 128]]) {
    const small = m * k * n <= NATIVE_SMALL_MATMUL_MACS;
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = tf.tensor2d(seeded(m * k, m + k), ta ? [k, m] : [m, k]);
      const b = tf.tensor2d(seeded(k * n, k + n), tb ? [n, k] : [k, n]);
      const got = tf.matMul(a, b, ta, tb);
      const want = reference(a, b, ta, tb);
      const values = await got.data();
      const scale = Math.max(...want.map(Math.abs));
      const worst = Math.max(...want.map((w, i) => Math.abs(values[i] - w)));
      assert(worst <= 1e-5 * scale, `${m}x${k}x${n} ${ta}/${tb}: off by ${worst} of ${scale}`);
      if (native) {
        // deno-lint-ignore no-explicit-any
        const be = tf.backend() as any, bind = be.binding;
        const attrs = (names: [string, string]) => [
          { name: "T", type: bind.TF_ATTR_TYPE, value: bind.TF_FLOAT },
          { name: names[0], type: bind.TF_ATTR_BOOL, value: ta },
          { name: names[1], type: bind.TF_ATTR_BOOL, value: tb },
        ];
        const op: tf.Tensor = small
          ? be.executeSingleOutput("MatMul", attrs(["transpose_a", "transpose_b"]), [a, b])
          : be.executeSingleOutput("BatchMatMulV2", attrs(["adj_x", "adj_y"]), [a, b]);
        assertEquals(Array.from(values), Array.from(await op.data()), `${m}x${k}x${n}`);
        op.dispose();
      }
      tf.dispose([a, b, got]);
    }
  }
});
