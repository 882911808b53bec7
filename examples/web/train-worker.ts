// The training worker: trainInBrowser() behind a message protocol (src/web/worker.ts).
import { serveTraining } from '../../src/web/worker.js';

serveTraining(self as unknown as Parameters<typeof serveTraining>[0]);
