import { assert, assertEquals } from "./assert.ts";
import { runMain, tempOut } from "./helpers.ts";

Deno.test("cli: unknown method and dataset exit 2 with the valid names, nothing written", async () => {
  const out = await tempOut();
  const m = await runMain(["run", "--method", "nope", "--dataset", "crema-d", "--out", out]);
  assertEquals(m.code, 2);
  assert(/unknown method 'nope'.*ibml/.test(m.stderr), m.stderr);
  assertEquals(m.stderr.trim().split("\n").length, 1);
  const d = await runMain(["run", "--method", "ibml", "--dataset", "cremad", "--out", out]);
  assertEquals(d.code, 2);
  assert(d.stderr.includes("crema-d"), d.stderr);
  assertEquals([...Deno.readDirSync(out)].length, 0);
});

Deno.test("cli: a bad --set key or value exits 2 in one line", async () => {
  const r = await runMain([
    "run",
    "--method",
    "ibml",
    "--dataset",
    "crema-d",
    "--set",
    "train.lr=abc",
  ]);
  assertEquals(r.code, 2);
  assert(r.stderr.includes("train.lr"), r.stderr);
  const k = await runMain([
    "run",
    "--method",
    "ibml",
    "--dataset",
    "crema-d",
    "--set",
    "data.snr=1",
  ]);
  assertEquals(k.code, 2);
  assert(k.stderr.includes("data.snr_lazy"), k.stderr);
});

Deno.test("cli: an unwritable output folder exits 2 naming the folder", async () => {
  const file = await Deno.makeTempFile();
  const r = await runMain([
    "run",
    "--method",
    "concat",
    "--dataset",
    "crema-d",
    "--epochs",
    "1",
    "--out",
    file,
  ]);
  assertEquals(r.code, 2);
  assert(r.stderr.includes(file) && r.stderr.includes("--out"), r.stderr);
});

Deno.test("cli: run writes a complete record and list shows methods and datasets", async () => {
  const out = await tempOut();
  const r = await runMain([
    "run",
    "--method",
    "ibml",
    "--dataset",
    "mvsa",
    "--epochs",
    "2",
    "--out",
    out,
    "--set",
    "data.train_size=90",
    "--set",
    "data.test_size=30",
    "--set",
    "data.val_size=30",
  ]);
  assertEquals(r.code, 0, r.stderr);
  assert(r.stderr.includes("backend: "), r.stderr);
  const dir = r.stdout.match(/run folder: (.*)/)![1].trim();
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assertEquals(files, ["config.json", "epochs.csv", "method.csv", "summary.json"]);
  const s = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
  assertEquals(s.selected_on, "val");
  assertEquals(s.modalities, ["text", "image"]);
  assertEquals(s.strong, "text");
  const header = (await Deno.readTextFile(`${dir}/epochs.csv`)).split("\n")[0];
  assertEquals(
    header,
    "epoch,lr,train_loss,train_acc_fusion,test_acc_fusion,test_acc_text,test_acc_image,ratio_mean,wall_s,val_acc_fusion",
  );
  const again = await runMain([
    "run",
    "--method",
    "ibml",
    "--dataset",
    "mvsa",
    "--epochs",
    "2",
    "--out",
    out,
    "--set",
    "data.train_size=90",
    "--set",
    "data.test_size=30",
    "--set",
    "data.val_size=30",
  ]);
  assert(again.stderr.includes("already done"), again.stderr);
  const l = await runMain(["list", "methods"]);
  assert(l.stdout.includes("ibml") && l.stdout.includes("concat"), l.stdout);
  const ds = await runMain(["list", "datasets"]);
  assert(ds.stdout.includes("modelnet40") && ds.stdout.includes("npz:PATH"), ds.stdout);
});
