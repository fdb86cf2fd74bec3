// Feature tests and helpers of src/runtime.ts that need no thread.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holdsShared } from '../../src/runtime.ts';

test('holdsShared finds shared memory anywhere, and takes an object made from a Map or Set prototype as a plain object', () => {
  assert.equal(holdsShared({ a: [new Map([[1, new Int32Array(new SharedArrayBuffer(8))]])] }), true);
  assert.equal(holdsShared(new Set([new SharedArrayBuffer(1)])), true);
  assert.equal(holdsShared({ a: new Uint8Array(4), b: new Map([[1, 2]]) }), false);
  // Such objects pass instanceof but not Map's own methods; structured clone copies them as plain objects.
  const fakeMap = Object.assign(Object.create(Map.prototype), { shared: new SharedArrayBuffer(1) });
  assert.equal(holdsShared(fakeMap), true);
  assert.equal(holdsShared({ m: Object.create(Map.prototype), s: Object.create(Set.prototype) }), false);
});
