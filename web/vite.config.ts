import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm --filter @lumikb/web dev` serves the app with hot reload and forwards the API to
// a running gateway (pnpm start), so cookies and routes behave as in production.
const gateway = process.env.LUMIKB_GATEWAY_URL ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 800 },
  server: {
    port: Number(process.env.WEB_DEV_PORT ?? 5173),
    proxy: {
      '/api': { target: gateway, changeOrigin: false },
      '/docs': { target: gateway, changeOrigin: false },
    },
  },
});
