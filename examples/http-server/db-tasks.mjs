// The async data layer, run in the main thread's 'db' loop: one connection pool for the whole
// process (here a map and a short await standing in for a database driver), shared by every
// request thread without each of them opening its own.
const users = new Map([
  [1, { id: 1, name: 'Ada' }],
  [2, { id: 2, name: 'Grace' }],
  [3, { id: 3, name: 'Barbara' }],
]);
let queries = 0;

export async function getUser(id) {
  queries++;
  await new Promise((resolve) => setTimeout(resolve, 2)); // the driver's round trip
  return users.get(id) ?? null;
}

export async function queryCount() {
  return queries;
}
