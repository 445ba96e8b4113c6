/**
 * Entry point of a parse sandbox process (see sandbox.ts). One request at a time; the
 * parent enforces memory (--max-old-space-size) and time (kill) from outside.
 */
import { type ParseRequest, runParseRequest, toWireError } from './parse-job.ts';

const send = process.send?.bind(process);
if (!send) throw new Error('parse-worker runs as a child process with an IPC channel only');

process.on('message', async ({ id, request }: { id: number; request: ParseRequest }) => {
  try {
    send({ id, ok: true, response: await runParseRequest(request) });
  } catch (error) {
    send({ id, ok: false, error: toWireError(error) });
  }
});
send({ ready: true });
// Never outlive the service that started us.
process.on('disconnect', () => process.exit(0));
