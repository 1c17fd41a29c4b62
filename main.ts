/**
 * The `ibml` command line: parses the sub-command and hands over to `src/cli/<command>.ts`.
 *
 * @module
 */
import { applyV8Flags } from "./src/v8_flags.ts";

applyV8Flags();

const COMMANDS: Record<string, string> = {
  run: "train one method on one dataset",
  reproduce: "run a paper experiment (table2 ... fig6) and write its report",
  ablate: "reproduce Table 5 (the IBML ablation)",
  table: "render an experiment's table (md, csv, tex)",
  figure: "render an experiment's figure (svg, png)",
  regress: "re-run the pinned CI experiment and compare with the reference numbers",
  list: "list methods, datasets or experiments",
  datasets: "check the real datasets under --data-root (datasets check --data-root DIR)",
  prepare:
    "turn raw downloads into the layouts the loaders read (prepare <dataset> --from RAW --to ROOT)",
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: deno run -P main.ts <command> [flags]   (or: deno task reproduce <experiment>)",
    "",
    ...Object.entries(COMMANDS).map(([c, d]) => `  ${c.padEnd(w)}  ${d}`),
  ].join("\n");
}

async function permissionsMissing(): Promise<boolean> {
  const read = await Deno.permissions.query({ name: "read" });
  return read.state !== "granted";
}

if (import.meta.main) {
  const [command, ...rest] = Deno.args;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(usage());
    Deno.exit(command ? 0 : 2);
  }
  if (!(command in COMMANDS)) {
    console.error(
      `error: unknown command '${command}'. Commands: ${Object.keys(COMMANDS).join(", ")}`,
    );
    Deno.exit(2);
  }
  if (await permissionsMissing()) {
    console.error(
      `error: started without permissions; run it as: deno run -P main.ts ${
        Deno.args.join(" ")
      }  (or deno run -A ...)`,
    );
    Deno.exit(2);
  }
  const mod = await import(`./src/cli/${command}.ts`) as { main(args: string[]): Promise<number> };
  Deno.exit(await mod.main(rest));
}
