// The async side: read a config file and the files it extends, with async I/O, and merge them.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export async function loadConfig(file) {
  const config = JSON.parse(await readFile(file, 'utf8'));
  const { extends: parent, ...own } = config;
  if (!parent) return own;
  const base = await loadConfig(resolve(dirname(file), parent));
  return { ...base, ...own, rules: { ...base.rules, ...own.rules } };
}
