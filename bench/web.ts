/** The web app's first-load figures; the measuring code lives with the browser suite (e2e/bench/web.ts). */
export { benchWeb } from '../e2e/bench/web.ts';
