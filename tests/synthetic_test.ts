import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { DATASET_SPECS, lazyOf } from "../src/data/specs.ts";
import { makeSynthetic, syntheticDefaults, validateKnobs } from "../src/data/synthetic.ts";
import { runOne } from "../src/runner/run_one.ts";
import { resolveConfig } from "../src/resolve/resolve_config.ts";
import { tempOut, useWasm } from "./helpers.ts";

Deno.test("synthetic: every stand-in has the real class count, modality names and strong modality", async () => {
  await useWasm();
  const expected: Record<string, [number, string, string]> = {
    "crema-d": [6, "audio", "visual"],
    ave: [28, "audio", "visual"],
    avsbench: [23, "audio", "visual"],
    vggsound50: [50, "audio", "visual"],
    mvsa: [3, "text", "image"],
    food101: [101, "text", "image"],
    mnist3d: [10, "points", "image"],
    modelnet40: [40, "image", "points"],
  };
  for (const [name, [classes, strong, lazy]] of Object.entries(expected)) {
    const spec = DATASET_SPECS[name];
    const ds = makeSynthetic(spec, {
      ...syntheticDefaults(spec),
      train_size: 2 * classes,
      test_size: classes,
      val_size: classes,
    });
    assertEquals(ds.info.numClasses, classes);
    assertEquals([ds.info.strong, lazyOf(ds.info)], [strong, lazy]);
    assertEquals(new Set(ds.train.labels).size, classes);
    assertEquals(ds.info.hasVal, spec.hasVal);
    ds.dispose();
  }
});

Deno.test("synthetic: the same data seed gives the same samples; another seed other ones", async () => {
  await useWasm();
  const spec = DATASET_SPECS["crema-d"];
  const k = { ...syntheticDefaults(spec), train_size: 24, test_size: 12 };
  const read = async (seed: number) => {
    const ds = makeSynthetic(spec, { ...k, seed });
    const b = ds.train.batch(Int32Array.of(0, 5, 7), { train: true, seed: 0 });
    const v = Array.from(await b.inputs.visual.data());
    tf.dispose([b.inputs.audio, b.inputs.visual, b.labels, b.indices]);
    ds.dispose();
    return v;
  };
  assertEquals(await read(0), await read(0));
  assert(JSON.stringify(await read(0)) !== JSON.stringify(await read(1)));
});

Deno.test("synthetic: knobs are validated with the knob's name", () => {
  const k = syntheticDefaults(DATASET_SPECS["ave"]);
  assertThrows(() => validateKnobs({ ...k, merged_share: 1.5 }), "data.merged_share");
  assertThrows(() => validateKnobs({ ...k, snr_lazy: 0 }), "data.snr_lazy");
  assertThrows(() => validateKnobs({ ...k, train_size: 10.5 }), "data.train_size");
});

Deno.test("synthetic: the merged pairs put a known ceiling on the strong modality", async () => {
  await useWasm();
  const spec = DATASET_SPECS["crema-d"];
  const ds = makeSynthetic(spec, { ...syntheticDefaults(spec), train_size: 12, test_size: 6 });
  // 6 classes, merged_share 0.67 -> 2 pairs (4 classes) merged: ceiling (2 + 4/2) / 6.
  assertEquals(ds.facts?.merged_classes, 4);
  assertEquals(ds.facts?.strong_ceiling, 4 / 6);
  ds.dispose();
});

Deno.test("synthetic crema-d: the imbalance is real (lazy alone beats lazy inside concat; fusion beats strong)", async () => {
  await useWasm();
  const out = await tempOut();
  const run = async (method: string, sets: string[] = []) =>
    (await runOne({
      config: resolveConfig({ method, dataset: "crema-d", epochs: 20, sets }),
      out,
      backend: "wasm",
    })).summary;
  const concat = await run("concat");
  const lazyAlone = await run("unimodal", ["method.modality=visual"]);
  const strongAlone = await run("unimodal", ["method.modality=audio"]);
  const lazyInConcat = concat.final.visual!;
  // "Clearly higher": at least 15 points above the lazy split-logit accuracy in concat.
  assert(
    lazyAlone.final.visual! > lazyInConcat + 0.15,
    `lazy alone ${lazyAlone.final.visual} vs lazy inside concat ${lazyInConcat}`,
  );
  assert(
    concat.final.fusion! > strongAlone.final.audio!,
    `fusion ${concat.final.fusion} vs strong alone ${strongAlone.final.audio}`,
  );
  assert(
    concat.ratio_mean! > 1.3,
    `concat ratio ${concat.ratio_mean} should show the strong modality dominating`,
  );
});
