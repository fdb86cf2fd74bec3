// Compile-time checks of sideloop/synckit: synckit users' code compiles unchanged.
import { createSyncFn, runAsWorker, type Syncify, TsRunner } from '../../dist/synckit.js';

const fn = createSyncFn<(a: number, b?: number) => Promise<number>>('/abs/worker.js', { timeout: 10, tsRunner: TsRunner.TSX });
const n: number = fn(1, 2);
void n;
// @ts-expect-error: the arguments are checked
fn('1');
const sync: Syncify<(s: string) => Promise<boolean>> = (s: string) => s.length > 0;
void sync;
createSyncFn(new URL('file:///abs/worker.js'), 100);
runAsWorker(async (x: number) => x * 2);
