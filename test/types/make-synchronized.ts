// Compile-time checks of sideloop/make-synchronized: make-synchronized users' code compiles unchanged.
import makeSynchronized, { makeModuleSynchronized, makeSynchronizedFunction } from '../../dist/make-synchronized.js';
import type * as Tasks from '../fixtures/tasks.js';

const inline = makeSynchronized(async (a: number) => a * 2);
const n: number = inline(1);
// @ts-expect-error: the argument is checked
inline('1');
const mod = makeModuleSynchronized<typeof Tasks>(new URL('file:///tasks.ts'));
const text: string = mod.greet('ada').text;
const exported = makeSynchronizedFunction(import.meta, async (s: string) => s.length);
const len: number = exported('abc');
const untyped = makeSynchronized('node:path');
void [n, text, len, untyped];
