/**
 * Writes task output (what a task wrote to process.stdout or stderr in its
 * loop) to this thread's own streams: what a drain of a lane found, once the
 * drain is done, and what has arrived on this thread's open lanes when the
 * thread exits.
 * @internal
 */
import { OutStream, type TaskOutput } from '../channel/records.js';

/** A lane whose output can be taken at exit. */
export interface DrainableLane {
  drain(): void;
}

/** This thread's open lanes: what task output has arrived on them is written when the thread exits. */
const openLanes = new Set<DrainableLane>();
let exitHooked = false;

function writeOutputAtExit(): void {
  for (const lane of openLanes) {
    try {
      lane.drain();
    } catch {
      // Exiting: a lane that cannot be read any more has nothing left to write.
    }
  }
}

/** The lane's output is written at exit until it is closed. */
export function drainAtExit(lane: DrainableLane): void {
  openLanes.add(lane);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', writeOutputAtExit);
  }
}

export function stopDrainAtExit(lane: DrainableLane): void {
  openLanes.delete(lane);
}

/** One per lane: the output a drain found, written in order once the drain is done. */
export class OutputWriter {
  /** Task output a drain found, written once the drain is done (write). */
  readonly pending: TaskOutput[] = [];
  private writing = false;

  /**
   * Writes the task output a drain found, in order, once the drain is done
   * with the rings: a user's hook on `write` may submit to this loop, and a
   * drain it starts then finds the rings consistent; what it finds is written
   * after what is being written here.
   */
  write(): void {
    if (this.writing) return;
    this.writing = true;
    const output = this.pending;
    try {
      for (let i = 0; i < output.length; i++) {
        const { stream, chunk } = output[i]!;
        try {
          (stream === OutStream.Stderr ? process.stderr : process.stdout).write(chunk);
        } catch {
          // A closed stream (EPIPE) loses the output, not the results around it.
        }
      }
    } finally {
      output.length = 0;
      this.writing = false;
    }
  }
}
