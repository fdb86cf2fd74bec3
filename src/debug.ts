import { debuglog } from 'node:util';

/** `NODE_DEBUG=sideloop` prints lifecycle events: starts, stops, crashes, lane connections. */
export const debug = debuglog('sideloop');
