// prettier's async format() called from synchronous code, two ways.
import { syncModule } from 'sideloop';
import prettierSync from './prettier-sync.mjs';

const source = 'const  answer = {a:1,  b:[1,2,3]}\n';

// 1. The native one-liner: prettier's functions as plain synchronous functions.
/** @type {import('sideloop').SyncModule<typeof import('prettier')>} */
const prettier = syncModule(import.meta.resolve('prettier'));
process.stdout.write(prettier.format(source, { parser: 'babel', semi: false }));

// 2. @prettier/sync's API, reproduced on sideloop/make-synchronized.
process.stdout.write(prettierSync.format(source, { parser: 'babel' }));
console.log(`prettier ${prettierSync.version}, check: ${prettierSync.check('const a = 1;\n', { parser: 'babel' })}`);
