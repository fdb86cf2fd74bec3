// piscina and tinypool: the default export is the task.
export default async function inc(x) {
  return x + 1;
}
