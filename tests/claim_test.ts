import { assert, assertEquals } from "./assert.ts";
import { claimPath, claimRun, describeOwner } from "../src/runner/claim.ts";

Deno.test("claimRun: one claim per folder until released", async () => {
  const dir = `${await Deno.makeTempDir()}/runs/x/run0`;
  const a = await claimRun(dir);
  assert(a.claimed);
  const b = await claimRun(dir);
  assert(!b.claimed);
  assertEquals(b.heldBy?.pid, Deno.pid);
  await a.claim.release();
  const c = await claimRun(dir);
  assert(c.claimed);
  await c.claim.release();
});

Deno.test("claimRun: a claim whose owner process is gone is stale and taken over", async () => {
  const dir = `${await Deno.makeTempDir()}/runs/x/run0`;
  const child = new Deno.Command(Deno.execPath(), { args: ["eval", "0"] }).spawn();
  const { pid } = child;
  await child.status; // this pid is now dead
  await Deno.mkdir(dir.slice(0, dir.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(
    claimPath(dir),
    JSON.stringify({ pid, host: Deno.hostname(), start: "1", token: "old", since: "x" }),
  );
  const r = await claimRun(dir);
  assert(r.claimed, "a dead owner's claim must be taken over");
  await r.claim.release();
});

Deno.test("claimRun: a live holder on another host keeps its claim until it is old", async () => {
  const dir = `${await Deno.makeTempDir()}/runs/x/run0`;
  await Deno.mkdir(dir.slice(0, dir.lastIndexOf("/")), { recursive: true });
  const owner = { pid: 1, host: "some-other-node", start: null, token: "t", since: "now" };
  await Deno.writeTextFile(claimPath(dir), JSON.stringify(owner));
  const held = await claimRun(dir);
  assert(!held.claimed);
  assertEquals(describeOwner(held.heldBy), "pid 1 on some-other-node since now");
  const old = new Date(Date.now() - 11 * 60 * 1000);
  await Deno.utime(claimPath(dir), old, old);
  const taken = await claimRun(dir);
  assert(taken.claimed, "a claim not refreshed for 10 minutes is stale");
  await taken.claim.release();
});

Deno.test("claimRun: two concurrent processes claim every folder exactly once", async () => {
  const root = await Deno.makeTempDir();
  const n = 200;
  const racer = new URL("./fixtures/claim_racer.ts", import.meta.url).pathname;
  const start = () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", racer, root, String(n)],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
  const procs = [start(), start()];
  // Read each racer's list up to "END" while both still hold their claims.
  const lists = await Promise.all(procs.map(async (p) => {
    const lines: string[] = [];
    let text = "";
    for await (const chunk of p.stdout.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.includes("END\n")) break;
    }
    for (const l of text.split("\n")) {
      if (l === "END") break;
      if (l) lines.push(l);
    }
    return lines;
  }));
  for (const p of procs) await p.stdin.close();
  for (const p of procs) assert((await p.status).success);
  const [wonA, wonB] = lists;
  assertEquals(wonA.length + wonB.length, n, "every folder claimed by exactly one process");
  assertEquals(new Set([...wonA, ...wonB]).size, n);
});
