/**
 * Lanes for threads that did not start the loop: a task, a worker, or a
 * thread that resolved a manager through the registry. Such a thread has no
 * port to the loop thread and must not route through the owner's event loop
 * (the owner may be blocked), so it announces its lane on the loop's
 * BroadcastChannel and rings the doorbell; the loop thread picks it up.
 */
import { nowMs } from '../clock.js';
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { ClientLane } from './client-lane.js';
import type { LoopControl } from '../registry/control.js';
import { debug } from '../debug.js';
import { checkRun, onReap } from '../registry/reaper.js';
import { LoopNotRunningError } from '../errors.js';
import { createLaneMemory, laneViews, BroadcastSideChannel, type EarlyRoute } from '../channel/lane.js';
import {
  C_LANES,
  C_STATE,
  L_CONNECTED,
  L_REQ_SIDE_TAKEN,
  LoopState,
  lanesChannelName,
  type EarlySideRecord,
  type LaneAnnouncement,
} from '../channel/protocol.js';

/** This thread's lanes to other threads' loops: a reap here that ended their loop settles their calls at once. */
const lanes = new Set<ClientLane>();
onReap(() => {
  for (const lane of lanes) {
    if (!lane.link.control.ended) continue;
    lanes.delete(lane);
    lane.onLoopEnded();
  }
});

/** How long a submitter waits for a starting loop to boot before giving up. */
const BOOT_WAIT_MS = 30_000;
let lanesMade = 0;

export function connectLane(slot: number, control: LoopControl, name: string): ClientLane {
  // The loop listens for lanes once it runs: an announcement made before would be lost.
  const deadline = nowMs() + BOOT_WAIT_MS;
  while (control.state === LoopState.Starting && nowMs() < deadline) {
    Atomics.wait(control.words, C_STATE, LoopState.Starting, 50);
  }
  if (!control.accepting) throw new LoopNotRunningError(`Cannot submit to loop "${name}": it is not running`);
  const loopKey = `${process.pid}.${slot}.${control.gen}`;
  const laneId = `${threadId}.${++lanesMade}.${Math.random().toString(36).slice(2, 8)}`;
  const memory = createLaneMemory();
  const words = laneViews(memory).words;
  const sideToLoop = `sideloop:side:${loopKey}:${laneId}:in`;
  const sideToSubmitter = `sideloop:side:${loopKey}:${laneId}:out`;
  const early: EarlyRoute = {
    ready: (sent) => Atomics.load(words, L_CONNECTED) !== 0 && Atomics.load(words, L_REQ_SIDE_TAKEN) === sent,
    post: (message) => postOnLanesChannel(loopKey, { kind: 'side', to: sideToLoop, message } satisfies EarlySideRecord),
  };
  const side = new BroadcastSideChannel(sideToLoop, sideToSubmitter, early);
  postOnLanesChannel(loopKey, { kind: 'lane', lane: { memory, laneId: 0, threadId, sideToLoop, sideToSubmitter } } satisfies LaneAnnouncement);
  Atomics.add(control.words, C_LANES, 1);
  control.ring();
  debug('thread %d connected a lane to loop %s (slot %d, run %d)', threadId, name, slot, control.gen);
  // A waiter's slow path checks that the loop's owner and thread live: a death that ran no
  // JavaScript reaches nobody's event loop in time, or at all.
  const check = () => checkRun(slot, control);
  const lane = new ClientLane({ loopKey, control, name, probe: check, poll: check }, memory, side);
  for (const old of lanes) if (old.link.control.ended) lanes.delete(old); // runs that ended before any reap
  lanes.add(lane);
  return lane;
}

/**
 * Posts on the loop's lanes channel through a channel opened for it: one kept
 * open would also receive, and queue unread, every other lane's announcements.
 */
function postOnLanesChannel(loopKey: string, message: LaneAnnouncement | EarlySideRecord): void {
  const channel = new BroadcastChannel(lanesChannelName(loopKey));
  try {
    channel.postMessage(message);
  } finally {
    channel.close();
  }
}
