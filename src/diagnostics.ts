/**
 * diagnostics_channel channels, in the style of undici's lib/core/diagnostics.js: one named
 * channel per event, each published only while someone subscribes, so a task pays a
 * `hasSubscribers` check and nothing more when nobody does.
 *
 * In the thread that submitted the task (where its future settles, so crashes, cancels and
 * timeouts are seen too):
 *   sideloop:task:submit  { task }           the loop accepted the task
 *   sideloop:task:end     { task, result }   its future fulfilled
 *   sideloop:task:error   { task, error }    its future rejected
 * In the loop thread (subscribe there: a loop thread runs its parent's --import flags):
 *   sideloop:task:start   { task }           the task's function is about to be called
 * `task` is one object from submit to end or error; `threadId` and `callId` pair it with start.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { threadId } from 'node:worker_threads';
import { CallState, type Call } from './client/call.js';

/** What every message's `task` says. */
export interface TaskDiagnostic {
  /** The loop's name. */
  readonly loop: string;
  /** How messages name the task: `task "fn" of file:///...` or `inline task "fn"`. */
  readonly label: string;
  /** The submitting thread. */
  readonly threadId: number;
  /** The call's id on its lane: unique per submitting thread and loop run while in flight. */
  readonly callId: number;
  /** Submitter's side only: the task's type, and whether it was submitted for a blocking `result()`. */
  readonly taskType?: string | null;
  readonly sync?: boolean;
}

/** @internal */
export const channels = {
  submit: diagnosticsChannel.channel('sideloop:task:submit'),
  start: diagnosticsChannel.channel('sideloop:task:start'),
  end: diagnosticsChannel.channel('sideloop:task:end'),
  error: diagnosticsChannel.channel('sideloop:task:error'),
};

/** @internal Whether anyone listens on the submitter's side; the only cost of a submit when nobody does. */
export function submitterTraced(): boolean {
  return channels.submit.hasSubscribers || channels.end.hasSubscribers || channels.error.hasSubscribers;
}

/** @internal Publishes submit now, and end or error when the call settles (or now, if it already has). */
export function traceCall(call: Call, loop: string, label: string, taskType: string | null, sync: boolean): void {
  const task: TaskDiagnostic = { loop, label, threadId, callId: call.id, taskType, sync };
  if (channels.submit.hasSubscribers) channels.submit.publish({ task });
  call.addCleanup(() => {
    if (call.state === CallState.Fulfilled) {
      if (channels.end.hasSubscribers) channels.end.publish({ task, result: call.settledWith });
    } else if (channels.error.hasSubscribers) {
      channels.error.publish({ task, error: call.settledWith });
    }
  });
}

/** @internal In the loop thread, as a task's function is called. */
export function traceStart(loop: string, label: string, submitter: number, callId: number): void {
  const task: TaskDiagnostic = { loop, label, threadId: submitter, callId };
  channels.start.publish({ task });
}
