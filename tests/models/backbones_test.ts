import { assert, assertEquals, assertThrows } from "../assert.ts";
import { useTestEngine } from "../helpers.ts";
import { makePaperEncoder, PAPER_BACKBONES, paperBackbone } from "../../src/models/backbones.ts";
import { BiGruEncoder } from "../../src/models/bigru.ts";
import { DgcnnEncoder } from "../../src/models/dgcnn.ts";
import { ImgFcEncoder } from "../../src/models/img_fc.ts";
import { DATASET_SPECS } from "../../src/data/specs.ts";
import { Rng } from "../../src/rng.ts";

Deno.test("PAPER_BACKBONES: every dataset modality has a backbone and the paper's layout", () => {
  for (const spec of Object.values(DATASET_SPECS)) {
    assertEquals(Object.keys(PAPER_BACKBONES[spec.name]).sort(), [...spec.modalities].sort());
  }
  assertEquals(paperBackbone("crema-d", "audio").inputShape, [257, 188, 1]);
  assertEquals(paperBackbone("ave", "audio").inputShape, [257, 1004, 1]);
  assertEquals(paperBackbone("vggsound50", "visual").inputShape, [3, 224, 224, 3]);
  assertEquals(paperBackbone("food101", "text").inputShape, [-1, 300]);
  assertEquals(paperBackbone("mvsa", "image").kind, "resnet18");
  assertEquals(paperBackbone("mnist3d", "image").kind, "img-fc");
  assertEquals(paperBackbone("modelnet40", "image").inputShape, [4, 112, 112, 3]);
  assertEquals(paperBackbone("modelnet40", "points").kind, "dgcnn");
  assertThrows(() => paperBackbone("mnist", "image"), "known crema-d");
  assertThrows(() => paperBackbone("mvsa", "audio"), "known text, image");
});

Deno.test("makePaperEncoder: picks the backbone from dataset and modality, sizes from the shape", async () => {
  await useTestEngine();
  const rng = new Rng(1);
  const text = makePaperEncoder("mvsa", "text", [-1, 300], rng);
  assert(text instanceof BiGruEncoder && text.inDim === 300 && text.outDim === 512);
  const img = makePaperEncoder("mnist3d", "image", [30, 30, 3], rng);
  assert(img instanceof ImgFcEncoder && img.outDim === 512);
  const pts = makePaperEncoder("modelnet40", "points", [1024, 3], rng);
  assert(pts instanceof DgcnnEncoder && pts.k === 20 && pts.outDim === 512);
  assertThrows(() => makePaperEncoder("crema-d", "visual", [224, 224, 3], rng), "[3,224,224,3]");
});
