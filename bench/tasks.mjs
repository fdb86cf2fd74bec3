// Trivial task functions shared by the sideloop cases.
export async function inc(x) {
  return x + 1;
}
export async function echo(x) {
  return x;
}
export async function sleep(ms) {
  await new Promise((r) => setTimeout(r, ms));
  return ms;
}
export function size(value) {
  return typeof value === 'string' ? value.length : value.byteLength ?? Object.keys(value).length;
}
