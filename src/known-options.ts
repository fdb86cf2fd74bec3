/**
 * The one check every entry point makes of its options object's names: an
 * unknown name is refused, since it is usually a typo that would otherwise
 * drop an option without a word (`tasktype` for `taskType`).
 * @internal
 */

/** Throws a TypeError naming the first option of `opts` that `where` does not know, and the ones it does. */
export function checkKnown(opts: object, known: readonly string[], where: string): void {
  // for-in sees inherited options too, as reading them does; and it allocates nothing.
  for (const key in opts) {
    if (!known.includes(key)) {
      throw new TypeError(`Unknown option "${key}" for ${where}; known options are ${known.join(', ')}`);
    }
  }
}
