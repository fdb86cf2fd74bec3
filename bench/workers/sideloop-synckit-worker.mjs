import { runAsWorker } from 'sideloop/synckit';
runAsWorker(async (x) => x + 1);
