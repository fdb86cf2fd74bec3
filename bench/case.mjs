// One benchmark case in a process of its own: `node bench/case.mjs <scenario> <contender> [--quick]`.
// Prints one JSON line: { value, unit, cpu } where cpu is process CPU time per operation in the
// same unit (both threads count: spinning is never free). The cases live in bench/cases/.
// A scenario may name a variant after a colon (payload:64k): the case gets it as its argument.
const [scenario, contender] = process.argv.slice(2);
const [file, variant] = scenario.split(':');

const cases = await import(`./cases/${file}.mjs`).then((m) => m.default, () => undefined);
const run = cases?.[contender];
if (!run) {
  console.error(`unknown case ${scenario}/${contender}`);
  process.exit(2);
}
const result = await run(variant);
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
