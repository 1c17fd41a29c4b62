/**
 * The Bi-GRU text encoder against PyTorch's own `nn.GRU(bidirectional=True)` on packed
 * sequences (tests/models/bigru_torch.py, float64): the features and all eight parameter
 * gradients, on the test engine (`IBML_TEST_ENGINE`). bigru_test.ts checks the same cell
 * against the GRU equations written out by hand and against autodiff; this checks it against
 * the framework the official code runs on, padding handled by packing as the official
 * `TextEncoder` does. Without PyTorch the test is skipped locally with one line; under CI
 * (`CI=true`) a missing PyTorch fails it.
 */
import * as tf from "@tensorflow/tfjs";
import { assert } from "../assert.ts";
import { ENGINE_TOL, useTestEngine } from "../helpers.ts";
import { isCi, runPythonJson, torchVersion } from "../reference/torch_side.ts";
import { BiGruEncoder } from "../../src/models/bigru.ts";
import { Rng } from "../../src/rng.ts";

const SCRIPT = new URL("./bigru_torch.py", import.meta.url).pathname;

/** What bigru_torch.py writes: the features [B, H] and each parameter's gradient by name. */
interface TorchSide {
  features: number[][];
  grads: Record<string, number[] | number[][]>;
}

const torch = await torchVersion();
const skip = torch.version === null && !isCi();
if (skip) {
  console.log(
    `Bi-GRU against PyTorch: SKIPPED, ${torch.reason}; bash .ci/install_torch.sh adds it`,
  );
}

/** max |a - b| / max |b| over two equally shaped nested arrays. */
function relDiff(a: number[], b: number[]): number {
  assert(a.length === b.length, `length ${a.length} vs ${b.length}`);
  const scale = Math.max(...b.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / scale;
}

Deno.test({
  name: "Bi-GRU: features and all eight gradients equal PyTorch's nn.GRU on packed sequences",
  ignore: skip,
  async fn() {
    assert(torch.version !== null, `CI=true but ${torch.reason}: run bash .ci/install_torch.sh`);
    await useTestEngine();
    const [inDim, hidden] = [6, 5];
    const lengths = [5, 3, 1, 4]; // full, middle, a single token, one short of full
    const [b, l] = [lengths.length, 5];
    const enc = new BiGruEncoder("text", inDim, hidden, new Rng(11));
    const rng = new Rng(12);
    // Padded steps carry values too: packing never shows them to PyTorch, the mask must not
    // let them in here.
    const x = tf.tensor3d(Array.from({ length: b * l * inDim }, () => rng.normal()), [b, l, inDim]);
    const mask = tf.tensor2d(
      lengths.map((n) => Array.from({ length: l }, (_, t) => t < n ? 1 : 0)),
    );
    const weights = tf.tensor2d(
      Array.from({ length: b * hidden }, () => rng.normal()),
      [b, hidden],
    );
    const params = enc.params();
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(enc.encode(x, mask), weights)) as tf.Scalar,
      params.map((p) => p.variable),
    );
    value.dispose();
    const key = (name: string) => name.replace(/^encoder\.text\.gru\./, ""); // forward.w_ih, ...
    const ref = await runPythonJson(SCRIPT, {
      in: inDim,
      hidden,
      x: await x.array(),
      lengths,
      weights: await weights.array(),
      params: Object.fromEntries(
        await Promise.all(params.map(async (p) => [key(p.name), await p.variable.array()])),
      ),
    }) as TorchSide;
    const tol = 1e-5 * ENGINE_TOL;
    const diffs: string[] = [];
    const check = (what: string, ours: number[], theirs: number[]) => {
      const d = relDiff(ours, theirs);
      diffs.push(`${what} ${d.toExponential(1)}`);
      assert(d <= tol, `${what}: max relative difference ${d} above ${tol}`);
    };
    check("features", Array.from(await enc.encode(x, mask).data()), ref.features.flat());
    for (const p of params) {
      const ours = Array.from(await grads[p.variable.name].data());
      check(key(p.name), ours, [ref.grads[key(p.name)]].flat(2) as number[]);
    }
    console.log(diffs.join(", "));
    tf.dispose([x, mask, weights, ...Object.values(grads)]);
  },
});
