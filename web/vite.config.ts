import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// `pnpm --filter @lumikb/web dev` serves the app with hot reload and forwards the API to
// a running gateway (pnpm start), so cookies and routes behave as in production.
const gateway = process.env.LUMIKB_GATEWAY_URL ?? 'http://localhost:8080';

/** The dev server serves /sign-in from sign-in.html, as the gateway does. */
const signInPage: Plugin = {
  name: 'lumikb-sign-in-page',
  configureServer(server) {
    server.middlewares.use((req, _res, next) => {
      if (req.url === '/sign-in' || req.url?.startsWith('/sign-in?'))
        req.url = req.url.replace('/sign-in', '/sign-in.html');
      next();
    });
  },
};

export default defineConfig({
  plugins: [react(), signInPage],
  // No source maps in the production build: the gateway serves dist/ to anyone who asks.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
    // Two documents: the app, and the sign-in page without React (src/sign-in/main.ts).
    rollupOptions: {
      input: { app: resolve(import.meta.dirname, 'index.html'), signIn: resolve(import.meta.dirname, 'sign-in.html') },
    },
  },
  server: {
    port: Number(process.env.WEB_DEV_PORT ?? 5173),
    proxy: {
      '/api': { target: gateway, changeOrigin: false },
      '/docs': { target: gateway, changeOrigin: false },
    },
  },
});
