import { runService } from '@lumikb/service-kit';
import { buildApp, connect, SERVICE } from './app.ts';
import { readConfig } from './config.ts';

await runService(async () => {
  const config = readConfig();
  const app = await buildApp(config, await connect(config));
  return {
    app,
    options: { service: SERVICE, port: config.PORT, host: config.HOST, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS },
  };
});
