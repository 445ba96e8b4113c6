import type { ConnectionTestOptions, ConnectionTestResult, LlmModel } from './types.ts';

export async function testModelConnection(
  _model: LlmModel,
  _credentials: { apiKey?: string },
  _options: ConnectionTestOptions = {},
): Promise<ConnectionTestResult> {
  return { success: false, message: 'not implemented yet', latency_ms: 0, details: {} };
}
