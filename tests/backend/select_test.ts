/**
 * Tests for src/backend/select.ts (and requests.ts, engines.ts).
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { BACKEND_REQUESTS, type BackendRequest, selectBackend } from "../../src/backend/mod.ts";
import { loadNative } from "../../src/backend/native.ts";
import { TEST_ENGINE } from "../helpers.ts";

Deno.test("selectBackend: auto picks per profile, tensorflow names the setup when missing, cpu works", async () => {
  assert.deepEqual([...BACKEND_REQUESTS], ["auto", "tensorflow", "wasm", "webgpu", "cpu"]);
  const native = await loadNative();
  if (TEST_ENGINE === "tensorflow") {
    assert.ok(native.package, `native suite without the native engine: ${native.notes.join(", ")}`);
  }

  // The quick profile stays on wasm either way.
  const auto = await selectBackend("auto");
  assert.deepEqual([auto.name, auto.requested, tf.getBackend()], ["wasm", "auto", "wasm"]);
  assert.ok(!auto.reason.includes("\n"));
  if (native.package) {
    assert.match(
      auto.reason,
      /^wasm \(auto, quick profile: .*native engine set up \(TensorFlow [\d.]+\), not used here/,
    );
    // The paper profile runs on native, and the line names the engine and TF version.
    const paper = await selectBackend("auto", { profile: "paper" });
    assert.equal(paper.name, "tensorflow");
    assert.match(
      paper.reason,
      /^tensorflow \(auto, paper profile: .*@tensorflow\/tfjs-node 4\.22\.0 on TensorFlow \d+\.\d+\.\d+/,
    );
    assert.ok(!paper.reason.includes("\n"));
    const requested = await selectBackend("tensorflow");
    assert.equal(requested.name, "tensorflow");
    assert.match(
      requested.reason,
      /^tensorflow \(requested; native engine .*wheel sha256 [0-9a-f]{12}/,
    );
    // The kernels that decide a native run's last bits are named (fast set by default), with
    // ibml's own ops unless the native suite's second pass switched them off.
    const sgd = Deno.env.get("IBML_CUSTOM_OPS") === "0"
      ? "SGD in place \\(TF ResourceApplyGradientDescent decay, ResourceApplyMomentum\\)"
      : "ibml ops \\(max pool \\+ ReLU, SGD with decay\\), SGD in place \\(ibml ApplyMomentumDecay; TF ResourceApplyMomentum without decay\\)";
    assert.match(
      requested.reason,
      new RegExp(
        `; fast kernels, last bits differ .*small 2D MatMul.*${sgd}; always: oneDNN max pool`,
      ),
    );
    assert.match(paper.reason, /; fast kernels, .*FusedBatchNormV3\)\)$/);
  } else {
    assert.match(
      auto.reason,
      /^wasm \(auto, quick profile: .*no native engine, `deno task setup-native`/,
    );
    await assert.rejects(selectBackend("tensorflow"), (err: Error) => {
      assertSetupHint(err.message);
      return true;
    });
  }

  const cpu = await selectBackend("cpu");
  assert.deepEqual([cpu.name, cpu.requested, tf.getBackend()], ["cpu", "cpu", "cpu"]);
  // A JS engine's line names its own replaced kernels, not the other engines'.
  assert.match(cpu.reason, /fast kernels, .*\(cpu: .*Relu\/LeakyRelu grad/);
  assert.doesNotMatch(cpu.reason, /wasm: |tensorflow: |TF ReluGrad/);
  assert.match(auto.reason, /\(wasm: Identity, .*fused SGD/);
  assert.doesNotMatch(auto.reason, /cpu: |tensorflow: |TF ReluGrad/);
  const sum = tf.sum(tf.tensor1d([1, 2, 3]));
  assert.equal((await sum.data())[0], 6);
  sum.dispose();

  await assert.rejects(selectBackend("gpu" as BackendRequest), /unknown backend 'gpu'/);
  assert.equal((await selectBackend("wasm")).name, "wasm"); // switching back works
});

function assertSetupHint(message: string): void {
  assert.match(message, /backend 'tensorflow' unavailable: the native engine is not set up/);
  assert.match(message, /run `deno task setup-native`/);
  assert.match(message, /--backend wasm/);
  assert.ok(!message.includes("\n"), message);
}

Deno.test("--backend tensorflow without the native engine: one line naming the setup command, exit 2", async () => {
  const cwd = new URL("../..", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "run", "--method", "concat", "--dataset", "crema-d"]
      .concat(["--epochs", "1", "--backend", "tensorflow", "--out", await Deno.makeTempDir()]),
    cwd,
    env: { IBML_NATIVE: "0", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.notEqual(out.code, 0, stderr);
  const line = stderr.split("\n").find((l) => l.includes("backend 'tensorflow'")) ?? stderr;
  assertSetupHint(line.replace(/^error: /, ""));
  assert.ok(!stderr.includes("    at "), `stack trace printed:\n${stderr}`);
});
