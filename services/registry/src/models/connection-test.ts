/**
 * Runs a connection test with a hard deadline, whatever the tester does, and scrubs the
 * API key from anything the provider echoed back before it is stored or shown.
 */
import type { ConnectionTestResult, LiteLlmTarget, LlmModel, OutboundPolicy, testModelConnection } from '@lumikb/llm';

export type ConnectionTester = typeof testModelConnection;

export interface BoundedTestOptions {
  timeoutMs: number;
  litellm?: LiteLlmTarget;
  outbound?: OutboundPolicy;
}

export async function runConnectionTest(
  tester: ConnectionTester,
  model: LlmModel,
  apiKey: string | undefined,
  options: BoundedTestOptions,
): Promise<ConnectionTestResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  // The tester promises to finish within timeoutMs; this is the belt to its braces.
  const deadline = new Promise<ConnectionTestResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          success: false,
          message: `Timed out: no answer from the model within ${options.timeoutMs / 1000} s`,
          latency_ms: Math.round(performance.now() - started),
          details: { error: 'timeout', timeout_ms: options.timeoutMs },
        }),
      options.timeoutMs + 250,
    );
  });
  let result: ConnectionTestResult;
  try {
    result = await Promise.race([
      tester(model, apiKey !== undefined ? { apiKey } : {}, {
        timeoutMs: options.timeoutMs,
        ...(options.litellm ? { litellm: options.litellm } : {}),
        ...(options.outbound ? { outbound: options.outbound } : {}),
      }),
      deadline,
    ]);
  } catch (error) {
    result = {
      success: false,
      message: `Connection test failed: ${error instanceof Error ? error.message : String(error)}`,
      latency_ms: Math.round(performance.now() - started),
      details: {},
    };
  } finally {
    clearTimeout(timer);
  }
  return scrub(
    {
      success: result.success === true,
      message: String(result.message ?? '').slice(0, 2_000) || (result.success ? 'OK' : 'Failed'),
      latency_ms: Math.max(0, Math.round(Number(result.latency_ms) || 0)),
      details: result.details && typeof result.details === 'object' ? result.details : {},
    },
    apiKey,
  );
}

function scrub(result: ConnectionTestResult, apiKey: string | undefined): ConnectionTestResult {
  if (!apiKey || apiKey.length < 4) return result;
  const hide = (text: string) => text.split(apiKey).join('[redacted]');
  return {
    ...result,
    message: hide(result.message),
    details: JSON.parse(hide(JSON.stringify(result.details))) as Record<string, unknown>,
  };
}
