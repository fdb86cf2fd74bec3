// Compile-time checks of the one-liner: `npm run typecheck` fails if any of these stop holding.
import { LoopManager, syncFunction, syncModule, type SyncFunction, type SyncModule } from '../../dist/index.js';
import type * as Tasks from '../fixtures/tasks.js';

const mod = syncModule<typeof Tasks>(new URL('../fixtures/tasks.ts', import.meta.url));
const greeting: Tasks.Greeting = mod.greet('ada');
const text: string = mod.greet('ada').text;
void [greeting, text];

// @ts-expect-error: greet takes a string
mod.greet(42);
// @ts-expect-error: greet takes exactly one argument
mod.greet();
// @ts-expect-error: no such export
mod.farewell('ada');
// @ts-expect-error: the result is awaited: a Greeting, not a Promise
const notAPromise: Promise<Tasks.Greeting> = mod.greet('ada');
void notAPromise;

// A loop of the caller's choice: a manager or an id.
syncModule<typeof Tasks>(new URL('file:///x.ts'), { loop: new LoopManager() });
syncModule<typeof Tasks>(new URL('file:///x.ts'), { loop: 'db', taskType: 'io', timeoutMs: 100 });
// @ts-expect-error: a loop is a manager or an id
syncModule<typeof Tasks>(new URL('file:///x.ts'), { loop: true });

const add = syncFunction(async (a: number, b: number) => a + b);
const sum: number = add(1, 2);
void sum;
// @ts-expect-error: arguments are checked against the function
add('1', 2);
// @ts-expect-error: the result is a number
const wrong: string = add(1, 2);
void wrong;

// The helper types on their own.
type Sync = SyncFunction<(x: string) => Promise<number>>;
const f: Sync = (x: string) => x.length;
void f;
type OnlyFunctions = keyof SyncModule<{ a: () => Promise<1>; b: 2 }>;
const key: OnlyFunctions = 'a';
// @ts-expect-error: values that are not functions are left out
const notKey: OnlyFunctions = 'b';
void [key, notKey];
