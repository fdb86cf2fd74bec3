import { runAsWorker } from 'synckit';
runAsWorker((ms) => new Promise((r) => setTimeout(() => r(ms), ms)));
