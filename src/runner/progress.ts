/**
 * Sweep progress on stderr: runs done/total, the runs in flight and an ETA; a
 * cli-progress bar on a terminal, one plain line per finished run otherwise (logs, CI).
 *
 * @module
 */
import cliProgress from "cli-progress";
import process from "node:process";

/** Receives sweep events. */
export interface ProgressSink {
  /** The sweep starts: `total` runs to do (after skipping finished ones). */
  start(total: number, skipped: number, jobs: number): void;
  /** A run started. */
  runStarted(runId: string): void;
  /** A run ended. */
  runFinished(runId: string, ok: boolean, seconds: number): void;
  /** The sweep ended (`interrupted`: stopped by a signal). */
  stop(interrupted?: boolean): void;
  /** A run another process finished (counted as finished, not as done by this sweep). */
  elsewhere?(runId: string): void;
  /** A line of news (runs held elsewhere, waiting for them). */
  note?(line: string): void;
}

/**
 * Formats seconds as `1h02m`, `4m10s` or `12s`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatDuration(250), "4m10s");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** Progress bookkeeping shared by both displays. */
export class ProgressState {
  total = 0;
  finished = 0;
  failed = 0;
  jobs = 1;
  readonly running = new Set<string>();
  readonly #durations: number[] = [];
  readonly #startedAt = performance.now();

  /** Records a finished run. */
  finish(runId: string, ok: boolean, seconds: number): void {
    this.running.delete(runId);
    this.finished++;
    if (!ok) this.failed++;
    this.#durations.push(seconds);
  }

  /**
   * Estimated seconds left: mean run time so far x runs left / parallel jobs.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const p = new ProgressState();
   * p.total = 4; p.jobs = 2; p.finish("a", true, 10);
   * assert.equal(p.eta(), 15);
   * ```
   */
  eta(): number {
    if (this.#durations.length === 0) return NaN;
    const mean = this.#durations.reduce((a, b) => a + b, 0) / this.#durations.length;
    return (mean * (this.total - this.finished)) / Math.max(1, this.jobs);
  }

  /** Seconds since the sweep started. */
  elapsed(): number {
    return (performance.now() - this.#startedAt) / 1000;
  }

  /** The runs in flight, shortened. */
  current(): string {
    const list = [...this.running];
    return list.length === 0 ? "-" : list.join(", ");
  }
}

function summaryLine(state: ProgressState, interrupted?: boolean): string {
  const how = interrupted ? "stopped after" : "finished";
  const time = formatDuration(state.elapsed());
  return `sweep ${how} ${state.finished}/${state.total} runs in ${time}, ${state.failed} failed`;
}

/**
 * A progress display: a bar on a TTY, plain lines otherwise; `quiet` prints nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createProgress } from "./progress.ts";
 * const lines: string[] = [];
 * const p = createProgress({ tty: false, write: (l) => lines.push(l) });
 * p.start(2, 0, 1);
 * p.runStarted("a__d__s0");
 * p.runFinished("a__d__s0", true, 3);
 * assert.equal(lines[0], "sweep: 2 runs to do, 0 already done, 1 parallel workers");
 * assert.match(lines[1], /^\[1\/2\] done a__d__s0 \(3\.0 s\)/);
 * ```
 */
export function createProgress(
  opts: { tty: boolean; quiet?: boolean; write?: (line: string) => void },
): ProgressSink {
  const state = new ProgressState();
  const write = opts.write ?? ((line: string) => console.error(line));
  if (opts.quiet) {
    return { start() {}, runStarted() {}, runFinished() {}, stop() {}, elsewhere() {}, note() {} };
  }
  if (!opts.tty) {
    return {
      start(total, skipped, jobs) {
        state.total = total;
        state.jobs = jobs;
        write(`sweep: ${total} runs to do, ${skipped} already done, ${jobs} parallel workers`);
      },
      runStarted(id) {
        state.running.add(id);
      },
      runFinished(id, ok, seconds) {
        state.finish(id, ok, seconds);
        write(
          `[${state.finished}/${state.total}] ${ok ? "done" : "FAILED"} ${id} (${
            seconds.toFixed(1)
          } s) · ` +
            `running: ${state.current()} · ETA ${formatDuration(state.eta())}`,
        );
      },
      stop(interrupted) {
        write(summaryLine(state, interrupted));
      },
      elsewhere(id) {
        state.finished++;
        write(`[${state.finished}/${state.total}] done elsewhere ${id} (another process ran it)`);
      },
      note(line) {
        write(line);
      },
    };
  }
  const bar = new cliProgress.SingleBar({
    format: "{bar} {value}/{total} runs | {failed} failed | ETA {etaText} | {current}",
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
    barsize: 30,
  }, cliProgress.Presets.shades_classic);
  const payload = () => ({
    failed: state.failed,
    etaText: formatDuration(state.eta()),
    current: state.current(),
  });
  return {
    start(total, skipped, jobs) {
      state.total = total;
      state.jobs = jobs;
      write(`sweep: ${total} runs to do, ${skipped} already done, ${jobs} parallel workers`);
      bar.start(total, 0, payload());
    },
    runStarted(id) {
      state.running.add(id);
      bar.update(state.finished, payload());
    },
    runFinished(id, ok, seconds) {
      state.finish(id, ok, seconds);
      bar.update(state.finished, payload());
    },
    stop(interrupted) {
      bar.stop();
      write(summaryLine(state, interrupted));
    },
    elsewhere(_id) {
      state.finished++;
      bar.update(state.finished, payload());
    },
    note(line) {
      bar.stop();
      write(line);
      bar.start(state.total, state.finished, payload());
    },
  };
}
