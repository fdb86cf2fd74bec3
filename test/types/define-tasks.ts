// Compile-time checks: `npm run typecheck` fails if any of these stop holding.
// Each @ts-expect-error line must be an error; if the compiler ever accepts it, the check fails.
import { LoopManager, SyncFuture, TaskFuture, defineTasks, inlineTask, task, type Task } from '../../dist/index.js';
import type * as Tasks from '../fixtures/tasks.js';

const tasks = defineTasks<typeof Tasks>(new URL('../fixtures/tasks.ts', import.meta.url));
const mgr = new LoopManager();

const greeting: Task<Tasks.Greeting> = tasks.greet('ada');
const future: TaskFuture<Tasks.Greeting> = mgr.submitTask(tasks.greet('ada'));
const sync: SyncFuture<Tasks.Greeting> = mgr.submitTask(tasks.greet('ada'), { returnSyncFuture: true });
const length: number = sync.result().length;
void [greeting, future, length];

// @ts-expect-error: greet takes a string
tasks.greet(42);
// @ts-expect-error: greet takes exactly one argument
tasks.greet();
// @ts-expect-error: no such export
tasks.farewell('ada');
// @ts-expect-error: the result is a Greeting, not a number
const wrong: number = mgr.submitTask(tasks.greet('ada'), { returnSyncFuture: true }).result();
void wrong;

const inline: Task<number> = inlineTask((a: number, b: number) => a + b, 1, 2);
// @ts-expect-error: inline arguments are checked against the function
inlineTask((a: number) => a, 'one');
void inline;

const untyped: Task<unknown> = task(new URL('file:///x.js'), 'run', 1, 2);
void untyped;

// @ts-expect-error: unknown submit option
mgr.submitTask(tasks.greet('ada'), { retries: 3 });
