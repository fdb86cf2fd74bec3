/**
 * How a slot's last runs ended, kept beside the slot: a run's control block is
 * wiped when the slot starts another run or holds another manager, but a
 * thread still waiting on the old run must learn that it crashed (and with
 * which exit code), not that it "was stopped". One entry per generation, in a
 * ring of ENTRIES indexed by generation: it outlives ENTRIES - 1 later runs,
 * far more than happen while a waiter sleeps one park slice.
 * @internal
 */
import { nowMs } from '../clock.js';
import { C_CRASH_CLAIM, C_EXIT_CODE, C_STATE, LoopState, SLOT_ENDS, SLOT_ENDS_BYTES } from '../channel/protocol.js';

const ENTRIES = 8;
/**
 * How long a release waits for a crash another thread is recording: that
 * thread is between its claim and its state (it writes the cause, a few
 * microseconds); past this it died half way, and the run crashed all the same.
 */
const CRASH_RECORD_WAIT_MS = 1000;
const WORDS = 4; // gen, state, exit code (+1; 0 for none), spare
if (ENTRIES * WORDS * 4 > SLOT_ENDS_BYTES) throw new Error('sideloop: the end log does not fit its slot region');

export interface RunEnd {
  readonly state: LoopState.Stopped | LoopState.Crashed;
  readonly exitCode: number | null;
}

function words(memory: SharedArrayBuffer, slotOffset: number): Int32Array {
  return new Int32Array(memory, slotOffset + SLOT_ENDS, ENTRIES * WORDS);
}

/**
 * How the run in control block `control` ended, for the log: read when its slot
 * moves on, or undefined when it never ran. A crash being recorded counts as
 * one: the owner of a slot can die while one thread records the crash (the
 * first to claim it, in LoopControl.markCrashed) and another, finding the claim
 * taken, releases the slot. Read at once, the run was still running and was
 * logged as stopped, the crash could no longer be set on a run the slot had
 * left, and every waiter got CancelledError ("was stopped") instead of
 * LoopCrashedError.
 */
export function runEnd(control: Int32Array): RunEnd | undefined {
  let state = Atomics.load(control, C_STATE);
  if (state === LoopState.Idle) return undefined; // never ran: nobody waits on it
  const giveUpAt = nowMs() + CRASH_RECORD_WAIT_MS;
  while (state !== LoopState.Stopped && state !== LoopState.Crashed && Atomics.load(control, C_CRASH_CLAIM) !== 0) {
    if (nowMs() >= giveUpAt) {
      state = LoopState.Crashed; // its recorder died half way
      break;
    }
    Atomics.wait(control, C_STATE, state, 1);
    state = Atomics.load(control, C_STATE);
  }
  if (state !== LoopState.Crashed) return { state: LoopState.Stopped, exitCode: null };
  const code = Atomics.load(control, C_EXIT_CODE);
  return { state, exitCode: code === -1 ? null : code };
}

/** Records how run `gen` ended. Called before the slot's generation moves on, so a reader of a stale run finds it. */
export function recordEnd(memory: SharedArrayBuffer, slotOffset: number, gen: number, end: RunEnd): void {
  const w = words(memory, slotOffset);
  const at = (gen & (ENTRIES - 1)) * WORDS;
  // Invalidate, write, then publish the generation: a reader checks it before and after.
  Atomics.store(w, at, 0);
  Atomics.store(w, at + 1, end.state);
  Atomics.store(w, at + 2, end.exitCode === null ? 0 : end.exitCode + 1);
  Atomics.store(w, at, gen);
}

/** How run `gen` ended, if the log still holds it. */
export function findEnd(memory: SharedArrayBuffer, slotOffset: number, gen: number): RunEnd | undefined {
  const w = words(memory, slotOffset);
  const at = (gen & (ENTRIES - 1)) * WORDS;
  if (Atomics.load(w, at) !== gen) return undefined;
  const state = Atomics.load(w, at + 1) === LoopState.Crashed ? LoopState.Crashed : LoopState.Stopped;
  const code = Atomics.load(w, at + 2);
  if (Atomics.load(w, at) !== gen) return undefined;
  return { state, exitCode: code === 0 ? null : code - 1 };
}
