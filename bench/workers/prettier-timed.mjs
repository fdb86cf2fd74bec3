// bench/prettier-split.mjs's task module: formats a file, or a whole batch in one call, and
// keeps how long each format took inside the thread that ran it.
import * as prettier from 'prettier';

let inside = [];

export async function format(source, filepath) {
  const start = performance.now();
  try {
    return await prettier.format(source, { filepath });
  } finally {
    inside.push(performance.now() - start);
  }
}

/** Formats every file in one call; returns ms a file. */
export async function batch(files) {
  const start = performance.now();
  for (const f of files) {
    try {
      await prettier.format(f.source, { filepath: f.path });
    } catch {}
  }
  return (performance.now() - start) / files.length;
}

/** The times format() took since the last call, in call order (ms). */
export function takeInside() {
  const times = inside;
  inside = [];
  return times;
}
