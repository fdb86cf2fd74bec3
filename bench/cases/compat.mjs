// The compatibility layers against the libraries they replace: a blocking call of a trivial async
// function, written as each library's users write it. `node bench/case.mjs compat <contender> [--quick]`.
import { here, measureSync, quick } from '../measure.mjs';

const CALLS = quick ? 2000 : 20000;
const BATCHES = quick ? 5 : 9;

function loop(fn, calls = CALLS) {
  let x = 0;
  return measureSync(() => {
    for (let i = 0; i < calls; i++) x = fn(x);
  }, calls, BATCHES);
}

// The peers' own calls cost tens of microseconds: fewer calls keep their cases short.
const peerCalls = Math.max(200, CALLS / 20);

export default {
  async 'sideloop/synckit'() {
    const { createSyncFn } = await import('sideloop/synckit');
    return loop(createSyncFn(here('./workers/sideloop-synckit-worker.mjs')));
  },
  async synckit() {
    const { createSyncFn } = await import('synckit');
    return loop(createSyncFn(here('./workers/synckit-worker.mjs').pathname), peerCalls);
  },
  async 'sideloop/make-synchronized'() {
    const { default: makeSynchronized } = await import('sideloop/make-synchronized');
    return loop(makeSynchronized(here('./workers/async-inc.mjs')));
  },
  async 'make-synchronized'() {
    const { default: makeSynchronized } = await import('make-synchronized');
    return loop(makeSynchronized(here('./workers/async-inc.mjs')), peerCalls);
  },
  async syncModule() {
    const { syncModule } = await import('sideloop');
    return loop(syncModule(here('./workers/async-inc.mjs')).inc);
  },
};
