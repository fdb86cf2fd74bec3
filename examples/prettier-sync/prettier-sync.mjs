// @prettier/sync's API in a few lines: prettier's module with its async functions made
// synchronous, on a loop of its own (what @prettier/sync does with make-synchronized).
import { makeModuleSynchronized } from 'sideloop/make-synchronized';

export function createSynchronizedPrettier({ prettierEntry }) {
  return makeModuleSynchronized(prettierEntry);
}

export default createSynchronizedPrettier({ prettierEntry: import.meta.resolve('prettier') });
