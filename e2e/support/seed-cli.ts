/**
 * `pnpm --filter @lumikb/e2e run seed`: seeds a running stack (E2E_BASE_URL, default
 * http://localhost:8080) as LUMIKB_ADMIN_EMAIL / LUMIKB_ADMIN_PASSWORD. Models point at
 * E2E_OLLAMA_URL (default http://127.0.0.1:11434).
 */
import { seed } from './seed.ts';

const data = await seed({
  baseURL: process.env.E2E_BASE_URL ?? 'http://localhost:8080',
  ollamaUrl: process.env.E2E_OLLAMA_URL ?? 'http://127.0.0.1:11434',
  litellmUrl: process.env.E2E_LITELLM_URL ?? '',
});
process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
