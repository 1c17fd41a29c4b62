import { assert } from "./assert.ts";
import { methodsHelp } from "../src/cli/list.ts";
import { describeParams } from "../src/methods/params.ts";
import { listMethods } from "../src/methods/registry.ts";

Deno.test("list: `list methods` prints every parameter from its declaration", () => {
  const help = methodsHelp();
  const lines = help.split("\n");
  for (const m of listMethods()) {
    const at = lines.findIndex((l) => l.startsWith(`${m.name} `));
    assert(at >= 0 && lines[at].includes(m.description), `${m.name} listed`);
    const params = describeParams(m.params);
    params.forEach((p, i) => {
      const line = lines[at + 1 + i];
      for (const part of [`method.${p.name} `, `= ${p.default} `, `(${p.allowed})`, p.doc]) {
        assert(line.includes(part), `${m.name}.${p.name}: '${part}' in '${line}'`);
      }
    });
  }
  assert(
    /method\.lambda +=\s10 \(modelnet40: 40\) +\(a number > 0\) +TCM cap/.test(help),
    help,
  );
});
