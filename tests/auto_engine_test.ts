import { assert, assertEquals } from "./assert.ts";
import { autoEngine, decideFromBench, DEFAULT_ENGINE } from "../src/backend/auto_engine.ts";

const HEADER = "model,backend,batch,status,median_ms,note\n";

Deno.test("decideFromBench: the engine with the lower geometric-mean step time wins", () => {
  const csv = HEADER +
    "resnet18,tensorflow,64,ok,3000,\nresnet18,wasm,64,ok,30000,\n" +
    "bigru,tensorflow,64,ok,336,\nbigru,wasm,64,ok,1879,\n" +
    "mlp-concat,tensorflow,64,ok,4.2,\nmlp-concat,wasm,64,ok,1.3,\n";
  const paper = decideFromBench(csv, "paper");
  assertEquals(paper?.engine, "tensorflow");
  assert(paper!.why.includes("over 2 models"), paper!.why);
  assertEquals(decideFromBench(csv, "quick")?.engine, "wasm");
});

Deno.test("decideFromBench: reduced-thread native rows (bench --native-threads) are not the engine's time", () => {
  const csv = "model,backend,batch,status,median_ms,tf_threads,note\n" +
    "resnet18,wasm,64,ok,5000,,\nresnet18,tensorflow,64,ok,3000,,\n" +
    "resnet18,tensorflow,64,ok,6000,1,\n";
  assertEquals(decideFromBench(csv, "paper")?.engine, "tensorflow");
  const onlyOneThread = "model,backend,batch,status,median_ms,tf_threads,note\n" +
    "resnet18,wasm,64,ok,5000,,\nresnet18,tensorflow,64,ok,6000,1,\n";
  assertEquals(decideFromBench(onlyOneThread, "paper"), null);
});

Deno.test("decideFromBench: failed, capped or one-engine rows decide nothing", () => {
  const csv = HEADER +
    "resnet18,tensorflow,64,ok,3000,\nresnet18,wasm,64,timeout,,first step took > 15 s\n" +
    "dgcnn,tensorflow,32,ok,9000,\n";
  assertEquals(decideFromBench(csv, "paper"), null);
  assertEquals(decideFromBench("not,a\ncsv", "paper"), null);
  assertEquals(decideFromBench(csv, "no-such-profile"), null);
});

Deno.test("autoEngine: a bench file on disk is read; without one, the stated default", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/latest.csv`;
  assertEquals(autoEngine("paper", path), DEFAULT_ENGINE.paper);
  assert(DEFAULT_ENGINE.paper.why.includes("not benched"));
  await Deno.writeTextFile(
    path,
    HEADER + "mlp-concat,tensorflow,64,ok,1.0,\nmlp-concat,wasm,64,ok,2.0,\n",
  );
  const d = autoEngine("quick", path);
  assertEquals(d.engine, "tensorflow");
  assert(d.why.includes("0.50x") && d.why.includes(path), d.why);
  await Deno.remove(dir, { recursive: true });
});
