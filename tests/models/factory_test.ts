import { assert, assertThrows } from "../assert.ts";
import { useTestEngine } from "../helpers.ts";
import { makeEncoder } from "../../src/models/factory.ts";
import { DgcnnEncoder } from "../../src/models/dgcnn.ts";
import { ImgFcEncoder } from "../../src/models/img_fc.ts";
import { MlpEncoder } from "../../src/models/mlp.ts";
import type { DatasetInfo } from "../../src/data/types.ts";
import { resolveConfig } from "../../src/resolve/resolve_config.ts";
import { Rng } from "../../src/rng.ts";

const info: DatasetInfo = {
  name: "mnist3d",
  modalities: ["image", "points"],
  strong: "points",
  lazy: "image",
  numClasses: 10,
  hasVal: false,
  inputShapes: { image: [30, 30, 3], points: [1024, 3] },
  kind: "real",
};

Deno.test("makeEncoder: the paper profile builds the paper backbones; mlp stays the quick default", async () => {
  await useTestEngine();
  const cfg = resolveConfig({ method: "concat", dataset: "mnist3d", profile: "paper" });
  assert(cfg.model.encoder === "paper" && cfg.model.feature_dim === 512);
  const rng = new Rng(1);
  assert(makeEncoder(cfg, info, "image", rng) instanceof ImgFcEncoder);
  assert(makeEncoder(cfg, info, "points", rng) instanceof DgcnnEncoder);
  const quick = resolveConfig({ method: "concat", dataset: "mnist3d" });
  assert(
    makeEncoder(
      quick,
      { ...info, inputShapes: { image: [4], points: [3] } },
      "image",
      rng,
    ) instanceof MlpEncoder,
  );
  cfg.model.feature_dim = 256;
  assertThrows(() => makeEncoder(cfg, info, "image", rng), "output 512 features");
  cfg.model.feature_dim = 512;
  cfg.model.encoder = "cnn";
  assertThrows(() => makeEncoder(cfg, info, "image", rng), "use 'mlp' or 'paper'");
});
