// A synchronous config loader over async I/O: code that must stay synchronous (a plugin's
// setup, a require hook, a constructor) gets the config with a plain call.
import { fileURLToPath } from 'node:url';
import { syncModule } from 'sideloop';

/** @type {import('sideloop').SyncModule<typeof import('./load-config.mjs')>} */
const { loadConfig } = syncModule(new URL('./load-config.mjs', import.meta.url));

class Linter {
  constructor(configFile) {
    this.config = loadConfig(configFile); // synchronous: blocks until the async loader is done
  }
}

const linter = new Linter(fileURLToPath(new URL('./app.config.json', import.meta.url)));
console.log(`config ${linter.config.name}: ${JSON.stringify(linter.config.rules)}`);
