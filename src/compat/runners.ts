/**
 * The loop-side entry of the compatibility layers (built as
 * dist/compat-runner.js): their tasks name this module and one of these exports.
 */
export { synckitCall, synckitLoad } from './synckit-runner.js';
export { makeSynchronizedCall } from './make-synchronized-runner.js';
