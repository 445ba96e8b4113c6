import { startService } from '@lumikb/service-kit';
import { service } from './app.ts';

await startService(service);
