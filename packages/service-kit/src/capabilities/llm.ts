/**
 * Outbound calls to targets an admin chose, and the LLM router over them, wired the same
 * way in every service that makes them: the platform's own addresses are refused, the
 * policy closes with the app, the router reports to the app's metrics registry.
 */
import { LlmRouter, type LlmRouterOptions, OutboundPolicy, parseAllowHosts } from '@lumikb/llm';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import type { ServiceApp } from '../app.ts';
import { ownServiceUrls } from '../config.ts';

/** The LiteLLM proxy the router sends cloud models to (db-{uuid} aliases). */
export const LlmProxyConfigSchema = {
  LITELLM_PROXY_URL: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'LiteLLM proxy for cloud models (db-{uuid} aliases)' }),
  ),
  LITELLM_MASTER_KEY: Type.Optional(Type.String({ description: 'key for the LiteLLM proxy' })),
};

type OutboundConfig = Parameters<typeof ownServiceUrls>[0] & { OUTBOUND_ALLOW_HOSTS: string; PORT: number };

/** The outbound policy of this service (its own port included), closed with the app. */
export function outboundPolicyFor(app: ServiceApp, config: OutboundConfig): OutboundPolicy {
  const outbound = new OutboundPolicy({
    ownServiceUrls: [...ownServiceUrls(config), `http://127.0.0.1:${config.PORT}`],
    allowHosts: parseAllowHosts(config.OUTBOUND_ALLOW_HOSTS),
  });
  app.addHook('onClose', () => outbound.close());
  return outbound;
}

/** The LiteLLM proxy as the router's options want it, when one is configured. */
export function litellmOf(config: { LITELLM_PROXY_URL?: string | undefined; LITELLM_MASTER_KEY?: string | undefined }) {
  return config.LITELLM_PROXY_URL
    ? {
        url: config.LITELLM_PROXY_URL,
        ...(config.LITELLM_MASTER_KEY ? { masterKey: config.LITELLM_MASTER_KEY } : {}),
      }
    : undefined;
}

/**
 * The router's options for this app (LiteLLM proxy, metrics, logger, outbound policy) and
 * the router: `given` (a test's) as is, a factory called with the options, or a new router.
 */
export function llmRouterFor(
  app: ServiceApp,
  config: OutboundConfig & { LITELLM_PROXY_URL?: string | undefined; LITELLM_MASTER_KEY?: string | undefined },
  options: {
    outbound: OutboundPolicy;
    given?: LlmRouter | ((options: LlmRouterOptions) => LlmRouter) | undefined;
    extra?: Partial<LlmRouterOptions>;
  },
): LlmRouter {
  const litellm = litellmOf(config);
  const routerOptions: LlmRouterOptions = {
    ...(litellm ? { litellm } : {}),
    registry: app.metricsRegistry,
    logger: (app.log as unknown as Logger).child({ component: 'llm' }),
    outbound: options.outbound,
    ...options.extra,
  };
  const { given } = options;
  return typeof given === 'function' ? given(routerOptions) : (given ?? new LlmRouter(routerOptions));
}
