/**
 * Keeps this thread's event loop alive while it awaits futures.
 * `Atomics.waitAsync` holds no handle, so without this a script whose only
 * pending work is an awaited task would exit before the task answers.
 */
let holds = 0;
let timer: NodeJS.Timeout | undefined;

export function hold(): void {
  if (holds++ === 0) {
    timer ??= setInterval(() => {}, 2 ** 30);
    timer.ref();
  }
}

export function release(): void {
  if (--holds === 0) timer?.unref();
}
