/**
 * Task output for a thread that waits for nothing else on a lane. A blocked
 * caller and an awaiting one take output with their results; but a task
 * nobody waits on, or one that writes after its result has gone, would
 * otherwise be heard only at the thread's next call on that loop. So each
 * lane also waits for output from this thread's event loop, in
 * Atomics.waitAsync, which holds no handle: it never keeps a thread alive.
 * What has arrived by the time the thread exits is written then (client-lane.ts).
 * @internal
 */
import { L_OUT_SEQ, L_OUT_WAITING } from '../channel/protocol.js';

export class OutputWatcher {
  private armed = false;
  private closed = false;

  /** Says so at once: the loop reads the flag after each batch of output. */
  constructor(
    private readonly words: Int32Array,
    /** Takes what the lane holds, output and results alike. */
    private readonly drain: () => void,
  ) {
    Atomics.store(words, L_OUT_WAITING, 1);
    this.arm();
  }

  private arm(): void {
    if (this.armed || this.closed) return;
    this.armed = true;
    const waited = Atomics.waitAsync(this.words, L_OUT_SEQ, Atomics.load(this.words, L_OUT_SEQ));
    if (waited.async) void waited.value.then(this.onWake);
    else setImmediate(this.onWake);
  }

  private readonly onWake = (): void => {
    this.armed = false;
    if (this.closed) return;
    this.drain();
    this.arm();
  };

  close(): void {
    this.closed = true;
    Atomics.store(this.words, L_OUT_WAITING, 0);
  }
}
