/**
 * The Node flags a loop thread gets: its parent's, so loaders (tsx) and
 * conditions apply to task modules too, minus two kinds a Worker cannot take.
 */
import type { Worker } from 'node:worker_threads';
import { debug } from '../debug.js';

/** Flags that describe the parent's entry point, not its runtime: a worker handed them fails to load its own file. */
const ENTRY_FLAGS_WITH_VALUE = new Set(['-e', '--eval', '-p', '--print']);
const ENTRY_FLAGS = /^(--input-type|--eval|--print|--test|--watch|--check|--interactive|-i$|-c$)/;

/** The parent's flags that a Worker accepted, learned at the first spawn. */
let accepted: readonly string[] | undefined;

/**
 * Creates a worker with the parent's flags. A Worker refuses V8 and
 * process-wide flags (`--max-old-space-size`, `--stack-size`, `--expose-gc`,
 * `--title`...), which already apply to every thread of the process: those
 * are dropped, and the answer is remembered for later spawns.
 */
export function newWorkerWithParentFlags(create: (execArgv: string[]) => Worker): Worker {
  for (;;) {
    const flags = accepted ?? withoutEntryFlags(process.execArgv);
    try {
      const worker = create([...flags]);
      accepted = flags;
      return worker;
    } catch (err) {
      const refused = refusedFlags(err);
      const kept = refused ? withoutFlags(flags, refused) : flags;
      if (kept.length === flags.length) throw err;
      debug('loop threads do not take the process-wide flags %s', refused!.join(' '));
      accepted = kept;
    }
  }
}

function withoutEntryFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (ENTRY_FLAGS_WITH_VALUE.has(arg)) i++;
    else if (!ENTRY_FLAGS.test(arg)) out.push(arg);
  }
  return out;
}

/** The flags named by ERR_WORKER_INVALID_EXEC_ARGV ("...invalid execArgv flags: --a, --b=1"). */
function refusedFlags(err: unknown): string[] | undefined {
  if ((err as { code?: unknown })?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return undefined;
  const list = /: (.*)$/s.exec((err as Error).message)?.[1];
  return list?.split(', ').filter(Boolean);
}

/** `flags` minus `refused`, and minus the value that follows a refused flag given as two words. */
function withoutFlags(flags: readonly string[], refused: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    if (!refused.includes(flags[i]!)) out.push(flags[i]!);
    else if (!flags[i]!.includes('=') && i + 1 < flags.length && !flags[i + 1]!.startsWith('-')) i++;
  }
  return out;
}

/**
 * `execArgv` with the boot guard (loop/boot-guard.ts) preloaded first, and
 * only once: a loop thread's own flags, which a loop it starts inherits,
 * already name it. Without the guard file (a bundle that left it behind) the
 * flags stay as they are, and a blocked owner learns only that its loop died.
 */
export function withBootGuard(execArgv: readonly string[], guardFile: string | undefined): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if ((arg === '--require' || arg === '-r') && execArgv[i + 1] === guardFile) i++;
    else if (arg !== `--require=${guardFile}`) out.push(arg);
  }
  return guardFile === undefined ? out : ['--require', guardFile, ...out];
}
