import assert from "node:assert/strict";
import { arrayScript, reportScript, shellQuote } from "../src/runner/slurm_script.ts";

async function bash(
  script: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command("bash", {
    args: ["-c", script],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("slurm_script: shellQuote survives bash word splitting", async () => {
  const words = [
    "plain",
    "a b",
    "it's",
    'say "hi"',
    "$HOME",
    "`x`",
    "semi;colon",
    "data.x=0.5",
    "",
  ];
  const r = await bash(`printf '%s\\n' ${words.map(shellQuote).join(" ")}`);
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out, words.map((w) => `${w}\n`).join(""));
});

Deno.test("slurm_script: each array task runs its run, logs it and records its exit status", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = arrayScript({
      jobName: "ibml-t",
      stateDir: `${dir}/state`,
      chdir: dir,
      sbatch: ["#SBATCH --time=00:10:00"],
      header: "test",
      arrayLimit: 2,
      env: { GLIBC_TUNABLES: "glibc.malloc.hugetlb=1" },
      tasks: [
        {
          runId: "a__d__s0",
          command: ["/bin/sh", "-c", 'echo ok a "$GLIBC_TUNABLES"'],
          log: `${dir}/logs/a.log`,
        },
        {
          runId: "b__d__s0",
          command: ["/bin/sh", "-c", "echo 'it''s b'; echo bad >&2; exit 3"],
          log: `${dir}/logs/b.log`,
        },
      ],
    });
    assert.match(script, /^#SBATCH --array=0-1%2$/m);
    assert.match(script, /^#SBATCH --time=00:10:00$/m);
    assert.match(script, new RegExp(`^#SBATCH --output=${dir}/state/slurm-%A_%a.out$`, "m"));
    const env = { SLURM_ARRAY_JOB_ID: "77", PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
    const a = await bash(script, { ...env, SLURM_ARRAY_TASK_ID: "0" });
    assert.equal(a.code, 0, a.out);
    assert.equal(await Deno.readTextFile(`${dir}/logs/a.log`), "ok a glibc.malloc.hugetlb=1\n");
    const b = await bash(script, { ...env, SLURM_ARRAY_TASK_ID: "1" });
    assert.equal(b.code, 3, b.out);
    assert.match(b.out, /exit code 3; last lines of .*b\.log:\nits b\nbad/);
    const exit = JSON.parse(await Deno.readTextFile(`${dir}/state/b__d__s0.exit`));
    assert.equal(exit.code, 3);
    assert.equal(exit.job, "77_1");
    assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/state/a__d__s0.exit`)).code, 0);
    const none = await bash(script, { ...env, SLURM_ARRAY_TASK_ID: "2" });
    assert.equal(none.code, 2);
    assert.match(none.out, /no run for array task 2/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("slurm_script: the report job runs its command in place of the shell", async () => {
  const s = reportScript({
    jobName: "ibml-t-report",
    command: ["/bin/echo", "reproduce", "my exp"],
    stateDir: "/r/runs/.slurm/t",
    chdir: "/",
    sbatch: ["#SBATCH --partition=gpu"],
    header: "test",
  });
  assert.match(s, /^#SBATCH --output=\/r\/runs\/\.slurm\/t\/report-%j\.out$/m);
  assert.match(s, /^#SBATCH --partition=gpu$/m);
  const r = await bash(s);
  assert.equal(r.code, 0);
  assert.equal(r.out, "reproduce my exp\n");
});
