/** Entry of the search worker bundle (scripts/build-worker.ts): the kernel, given its port. */
import * as threads from 'node:worker_threads';
import { searchWorkerMain } from './search-kernel.ts';

searchWorkerMain(threads);
