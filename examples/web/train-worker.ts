// The training worker: trainInBrowser() behind a message protocol (src/web/worker.ts).
import { serveTraining } from 'highway-onnx/web';

serveTraining(self as unknown as Parameters<typeof serveTraining>[0]);
