/**
 * The kernel sets of src/kernels/mod.ts, end to end (one `main.ts run` per setting, in
 * subprocesses, since the sets are chosen once per process):
 * - with and without OpenBLAS (`IBML_BLAS=0`, the path of a machine without the library),
 *   the numbers agree within the cross-backend tolerance of `main.ts regress`, and each path
 *   is deterministic;
 * - the exact set (`IBML_FAST_KERNELS=exact`) reproduces the stock kernels bit for bit.
 */
import { assert, assertEquals } from "./assert.ts";
import { readCsv, tempOut } from "./helpers.ts";

const ARGS = [
  "run",
  "--method",
  "ibml",
  "--dataset",
  "crema-d",
  "--epochs",
  "3",
  "--set",
  "data.train_size=240",
  "--set",
  "data.test_size=120",
  "--backend",
  "wasm",
];

/** epochs.csv (wall times dropped) and the logged backend line of one run. */
async function runWith(env: Record<string, string>): Promise<{
  rows: Record<string, string>[];
  backend: string;
}> {
  const out = await tempOut();
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...ARGS, "--out", out],
    cwd: new URL("..", import.meta.url).pathname,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(r.stderr);
  assertEquals(r.code, 0, stderr);
  const dir = [...Deno.readDirSync(`${out}/runs/adhoc`)][0].name;
  const rows = (await readCsv(`${out}/runs/adhoc/${dir}/epochs.csv`)).map((
    { wall_s: _w, ...rest },
  ) => rest);
  await Deno.remove(out, { recursive: true });
  return { rows, backend: stderr.split("\n").find((l) => l.startsWith("backend:")) ?? "" };
}

Deno.test("kernel sets: with and without OpenBLAS, deterministic and close", async () => {
  const a = await runWith({});
  // In CI both paths must run (.ci/run installs OpenBLAS); elsewhere the library is optional.
  if (Deno.env.get("CI") === "true") {
    assert(/BLAS: OpenBLAS \d/.test(a.backend), `OpenBLAS did not load: ${a.backend}`);
  }
  const b = await runWith({});
  assertEquals(a.rows, b.rows);
  const without = await runWith({ IBML_BLAS: "0" });
  assert(/fast kernels/.test(without.backend), without.backend);
  assertEquals(without.rows.length, a.rows.length);
  // regress's cross-backend tolerance: 0.05 absolute up to 1, relative above.
  a.rows.forEach((row, i) => {
    for (const [k, v] of Object.entries(row)) {
      const x = Number(v), y = Number(without.rows[i][k]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        assertEquals(without.rows[i][k], v, k);
        continue;
      }
      const tol = 0.05 * Math.max(1, Math.abs(y));
      assert(Math.abs(x - y) <= tol, `epoch ${i + 1} ${k}: ${x} vs ${y}`);
    }
  });
});

Deno.test("kernel sets: the exact set reproduces the stock kernels bit for bit", async () => {
  const stock = await runWith({ IBML_FAST_KERNELS: "0" });
  const exact = await runWith({ IBML_FAST_KERNELS: "exact" });
  assert(/stock kernels/.test(stock.backend), stock.backend);
  assert(/exact kernels, bitwise identical/.test(exact.backend), exact.backend);
  assertEquals(exact.rows, stock.rows);
});
