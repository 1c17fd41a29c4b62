import assert from "node:assert/strict";
import { createProgress, formatDuration, ProgressState } from "../src/runner/progress.ts";

Deno.test("progress: plain lines with done/total, current runs and ETA", () => {
  const lines: string[] = [];
  const p = createProgress({ tty: false, write: (l) => lines.push(l) });
  p.start(3, 5, 2);
  p.runStarted("a");
  p.runStarted("b");
  p.runFinished("a", true, 10);
  p.runStarted("c");
  p.runFinished("b", false, 20);
  p.stop();
  assert.equal(lines[0], "sweep: 3 runs to do, 5 already done, 2 parallel workers");
  assert.equal(lines[1], "[1/3] done a (10.0 s) · running: b · ETA 10s");
  assert.equal(lines[2], "[2/3] FAILED b (20.0 s) · running: c · ETA 8s");
  assert.match(lines[3], /^sweep finished 2\/3 runs in \d+s, 1 failed$/);
});

Deno.test("progress: durations, ETA and the quiet display", () => {
  assert.equal(formatDuration(5.4), "5s");
  assert.equal(formatDuration(250), "4m10s");
  assert.equal(formatDuration(3720), "1h02m");
  assert.equal(formatDuration(NaN), "?");
  const s = new ProgressState();
  s.total = 10;
  s.jobs = 2;
  assert.ok(Number.isNaN(s.eta()));
  s.finish("x", true, 4);
  assert.equal(s.eta(), 18);
  const lines: string[] = [];
  const q = createProgress({ tty: false, quiet: true, write: (l) => lines.push(l) });
  q.start(1, 0, 1);
  q.stop();
  assert.deepEqual(lines, []);
});
