import { parse } from "csv-parse/sync";
import { assertEquals } from "../assert.ts";
import { mergeLatest, updateLatest } from "../../bench/latest.ts";
import { decideFromBench } from "../../src/backend/auto_engine.ts";

const rows = (text: string) => parse(text, { columns: true }) as Record<string, string>[];

Deno.test("mergeLatest: a run of one model on one engine keeps the other rows auto reads", () => {
  const full = "model,backend,status,median_ms,tf_threads,note\n" +
    "resnet18,tensorflow,ok,3000,,\nresnet18,wasm,ok,30000,,\n" +
    "mlp-concat,tensorflow,ok,4.2,,\nmlp-concat,wasm,ok,1.3,,\n";
  const first = mergeLatest(null, full, "bench-1.csv");
  // One model, native only, at one thread and at the default count.
  const partial = "model,backend,status,median_ms,tf_threads,note\n" +
    "resnet18,tensorflow,ok,2500,,\nresnet18,tensorflow,ok,4800,1,\n";
  const text = mergeLatest(first, partial, "bench-2.csv");
  assertEquals(
    rows(text).map((r) => [r.model, r.backend, r.tf_threads, r.median_ms, r.from]),
    [
      ["resnet18", "tensorflow", "", "2500", "bench-2.csv"],
      ["resnet18", "tensorflow", "1", "4800", "bench-2.csv"],
      ["resnet18", "wasm", "", "30000", "bench-1.csv"],
      ["mlp-concat", "tensorflow", "", "4.2", "bench-1.csv"],
      ["mlp-concat", "wasm", "", "1.3", "bench-1.csv"],
    ],
  );
  assertEquals(decideFromBench(text, "paper")?.engine, "tensorflow");
  assertEquals(decideFromBench(text, "quick")?.engine, "wasm");
});

Deno.test("mergeLatest: columns of either run are kept; a broken or foreign previous file is dropped", () => {
  const before = "model,backend,median_ms,torch_2t_ms\ncnn,wasm,90,40\n";
  const run = "model,backend,median_ms,torch_1t_ms\ncnn,tensorflow,30,50\n";
  assertEquals(
    mergeLatest(before, run, "b.csv"),
    "model,backend,median_ms,torch_1t_ms,torch_2t_ms,from\n" +
      "cnn,tensorflow,30,50,,b.csv\ncnn,wasm,90,,40,\n",
  );
  for (const junk of ['"unclosed\n', "a,b\n1,2\n", ""]) {
    assertEquals(
      mergeLatest(junk, run, "b.csv"),
      "model,backend,median_ms,torch_1t_ms,from\ncnn,tensorflow,30,50,b.csv\n",
    );
  }
});

Deno.test("updateLatest: creates, then merges; a --stock run leaves latest.csv alone", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/latest.csv`;
  const head = "model,backend,status,median_ms\n";
  assertEquals(
    await updateLatest(dir, head + "cnn,wasm,ok,90\n", "bench-1.csv", false),
    `merged into ${path}`,
  );
  await updateLatest(dir, head + "cnn,tensorflow,ok,30\n", "bench-2.csv", false);
  const before = await Deno.readTextFile(path);
  assertEquals(rows(before).map((r) => [r.backend, r.from]), [
    ["tensorflow", "bench-2.csv"],
    ["wasm", "bench-1.csv"],
  ]);
  assertEquals(
    await updateLatest(dir, head + "cnn,tensorflow,ok,80\n", "bench-3.csv", true),
    "--stock: latest.csv left as it was",
  );
  assertEquals(await Deno.readTextFile(path), before);
  await Deno.remove(dir, { recursive: true });
});
