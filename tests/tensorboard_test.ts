import assert from "node:assert/strict";
import type { TrainerState, TrainSink } from "../src/train/trainer.ts";
import {
  epochTag,
  lastEpochScalars,
  needsNativeLine,
  openTensorBoard,
  type ScalarWriter,
  TensorBoardSink,
  tensorBoardSummaryLine,
} from "../src/runner/tensorboard.ts";
import { runMain, tempOut } from "./helpers.ts";

const TINY = ["--set", "data.train_size=240", "--set", "data.test_size=120"];

function state(rows: Record<string, number | null>[], methodRows: Record<string, number>[] = []) {
  return {
    rows,
    methodRows,
    ratioSum: 0,
    ratioCount: 0,
    methodJson: null,
  } as unknown as TrainerState;
}

Deno.test("tensorboard: tags and the last epoch's scalars", () => {
  assert.equal(epochTag("train_loss"), "loss/train");
  assert.equal(epochTag("train_acc_fusion"), "accuracy/train_fusion");
  assert.equal(epochTag("val_acc_fusion"), "accuracy/val_fusion");
  assert.equal(epochTag("test_acc_visual"), "accuracy/test_visual");
  assert.equal(epochTag("ratio_mean"), "ratio/strong_over_lazy");
  assert.equal(epochTag("lr"), "train/lr");
  assert.equal(epochTag("wall_s"), "time/epoch_wall_s");
  assert.equal(epochTag("other"), "epoch/other");
  const s = state(
    [
      { epoch: 1, train_loss: 2, test_acc_fusion: 0.4, ratio_mean: 1.5 },
      { epoch: 2, train_loss: 1, test_acc_fusion: 0.5, ratio_mean: null },
    ],
    [{ epoch: 1, a_audio: 0.9 }, { epoch: 2, a_audio: 1.1, bio_visual: 1 }],
  );
  assert.deepEqual(lastEpochScalars(s), [
    { tag: "loss/train", value: 1, step: 2 },
    { tag: "accuracy/test_fusion", value: 0.5, step: 2 },
    { tag: "method/a_audio", value: 1.1, step: 2 },
    { tag: "method/bio_visual", value: 1, step: 2 },
  ]);
  assert.deepEqual(lastEpochScalars(state([])), []);
});

Deno.test("tensorboard: the sink records the epoch first, then writes and flushes its scalars", async () => {
  const calls: string[] = [];
  const inner: TrainSink = {
    epochDone: () => {
      calls.push("record");
      return Promise.resolve();
    },
    info: () => {
      calls.push("info");
      return Promise.resolve();
    },
  };
  const writer: ScalarWriter = {
    scalar: (name, value, step) => void calls.push(`${name}=${value}@${step}`),
    flush: () => void calls.push("flush"),
  };
  const sink = new TensorBoardSink(inner, writer);
  await sink.epochDone(state([{ epoch: 3, train_loss: 0.25 }]), () => ({}));
  await sink.info!(
    3,
    { labels: new Int32Array(), fused: new Float32Array(), unimodal: {} } as never,
  );
  assert.deepEqual(calls, ["record", "loss/train=0.25@3", "flush", "info"]);
  const noInfo = new TensorBoardSink({ epochDone: () => Promise.resolve() }, writer);
  assert.equal(noInfo.info, undefined);
});

Deno.test("tensorboard: other engines say in one line that it needs the native engine", async () => {
  const lines: string[] = [];
  assert.equal(await openTensorBoard("/nonexistent/tb", "wasm", (l) => lines.push(l)), undefined);
  assert.deepEqual(lines, [needsNativeLine("wasm")]);
  assert.match(
    lines[0],
    /^tensorboard: --tensorboard needs the native engine \(--backend tensorflow/,
  );
  const dir = await tempOut();
  try {
    assert.match(
      tensorBoardSummaryLine(dir, "table5"),
      /^tensorboard: no run wrote scalars under /,
    );
    await Deno.mkdir(`${dir}/table5/full__crema-d__s0`, { recursive: true });
    await Deno.writeTextFile(`${dir}/table5/full__crema-d__s0/events.out.tfevents.1.x.v2`, "");
    assert.equal(
      tensorBoardSummaryLine(dir, "table5"),
      `tensorboard: 1 run has per-epoch scalars under ${dir}/table5 (view: tensorboard --logdir ${dir})`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tensorboard: run --backend wasm --tensorboard trains, says so and writes no events", async () => {
  const dir = await tempOut();
  try {
    const r = await runMain([
      "run",
      "--method",
      "concat",
      "--dataset",
      "crema-d",
      "--epochs",
      "1",
      "--backend",
      "wasm",
      "--out",
      `${dir}/out`,
      "--tensorboard",
      `${dir}/tb`,
      ...TINY,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(needsNativeLine("wasm")), r.stderr);
    assert.throws(() => Deno.statSync(`${dir}/tb`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const BINDING = new URL(
  "../node_modules/.deno/@tensorflow+tfjs-node@4.22.0/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node",
  import.meta.url,
);
const native = (() => {
  try {
    return Deno.statSync(BINDING).isFile && Deno.env.get("IBML_NATIVE") !== "0";
  } catch {
    return false;
  }
})();
if (!native) {
  console.log(
    "skip: tensorboard native test: the native engine is not set up (deno task setup-native)",
  );
}

Deno.test({
  name:
    "tensorboard: run --backend tensorflow --tensorboard writes per-epoch scalars with tfjs-node",
  ignore: !native,
  fn: async () => {
    const dir = await tempOut();
    try {
      const r = await runMain([
        "run",
        "--method",
        "ibml",
        "--dataset",
        "crema-d",
        "--epochs",
        "2",
        "--backend",
        "tensorflow",
        "--out",
        `${dir}/out`,
        "--tensorboard",
        `${dir}/tb`,
        ...TINY,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const runs = [...Deno.readDirSync(`${dir}/tb/adhoc`)];
      assert.equal(runs.length, 1);
      assert.match(runs[0].name, /^ibml__crema-d__s0__[0-9a-f]{8}$/);
      assert.ok(
        r.stderr.includes(`tensorboard: per-epoch scalars to ${dir}/tb/adhoc/${runs[0].name}`),
      );
      const files = [...Deno.readDirSync(`${dir}/tb/adhoc/${runs[0].name}`)];
      assert.equal(files.length, 1);
      assert.match(files[0].name, /^events\.out\.tfevents\.\d+\..*\.v2$/);
      // TensorFlow's event file (TFRecord of Event protos); the tags are stored as text.
      const bytes = await Deno.readFile(`${dir}/tb/adhoc/${runs[0].name}/${files[0].name}`);
      const text = new TextDecoder("latin1").decode(bytes);
      for (
        const tag of [
          "loss/train",
          "accuracy/test_fusion",
          "accuracy/test_audio",
          "accuracy/test_visual",
          "ratio/strong_over_lazy",
          "method/a_audio",
          "method/noised_visual",
        ]
      ) {
        assert.equal(text.split(tag).length - 1, 2, `${tag} once per epoch`);
      }
      assert.ok(text.includes("brain.Event:2"), "TensorFlow event file header");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
