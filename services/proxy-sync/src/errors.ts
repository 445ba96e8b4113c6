/** proxy-sync's error catalogue. */
import { defineErrors } from '@lumikb/service-kit';

export const errors = defineErrors({
  PROXY_NOT_CONFIGURED: 'conflict',
  PROXY_UNREACHABLE: 'unavailable',
});
