/**
 * What a lane knows about the loop run at its other end, and the error its
 * calls get when that loop ends before answering them.
 */
import { LoopState } from '../channel/protocol.js';
import { CancelledError, LoopCrashedError } from '../errors.js';
import type { LoopControl } from '../registry/control.js';

/** What a lane knows about the loop run at its other end. */
export interface LoopLink {
  readonly loopKey: string;
  readonly control: LoopControl;
  /** For messages: the manager's name. */
  readonly name: string;
  /** Checks that the loop's thread (and, for a handle, its owner) is alive, marking the crash if not. */
  readonly probe?: () => void;
  /**
   * Handles only: the same check, cheap and without a message, for an awaiting
   * thread to make a few times a second while it waits (end-watch.ts): a death
   * that no thread with sideloop hears of is found by looking.
   */
  readonly poll?: () => void;
}

/** The error for the calls an ended loop will never answer: stopped, or crashed with its exit code and cause. */
export function loopEndError(link: LoopLink): Error {
  const control = link.control;
  if (control.state === LoopState.Stopped) {
    return new CancelledError(`Loop "${link.name}" was stopped before the task finished`);
  }
  const code = control.exitCode;
  const cause = control.readCause();
  const how = code === null ? 'ended unexpectedly' : `exited with code ${code}`;
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new LoopCrashedError(`Loop "${link.name}" crashed (its thread ${how})${why}`, code, cause === undefined ? undefined : { cause });
}
