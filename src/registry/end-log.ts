/**
 * How a slot's last runs ended, kept beside the slot: a run's control block is
 * wiped when the slot starts another run or holds another manager, but a
 * thread still waiting on the old run must learn that it crashed (and with
 * which exit code), not that it "was stopped". One entry per generation, in a
 * ring of ENTRIES indexed by generation: it outlives ENTRIES - 1 later runs,
 * far more than happen while a waiter sleeps one park slice.
 * @internal
 */
import { LoopState, SLOT_ENDS, SLOT_ENDS_BYTES } from '../channel/protocol.js';

const ENTRIES = 8;
const WORDS = 4; // gen, state, exit code (+1; 0 for none), spare
if (ENTRIES * WORDS * 4 > SLOT_ENDS_BYTES) throw new Error('sideloop: the end log does not fit its slot region');

export interface RunEnd {
  readonly state: LoopState.Stopped | LoopState.Crashed;
  readonly exitCode: number | null;
}

function words(memory: SharedArrayBuffer, slotOffset: number): Int32Array {
  return new Int32Array(memory, slotOffset + SLOT_ENDS, ENTRIES * WORDS);
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
