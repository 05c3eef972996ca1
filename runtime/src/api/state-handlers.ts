/**
 * The state RPCs of caxton.v1.Caxton (decision 1600): validate (state-requests.ts), call the node,
 * convert. ImportState is client-streaming: entries are gathered (bounded) until the client ends
 * the stream, then committed in one step, so an interrupted import changes nothing.
 */
import type { sendUnaryData, ServerReadableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { bodyDeadlineMs, CaxtonError, InvalidArgumentError, NotFoundError, type NodeControl, type StateEntry } from '@caxton/core';
import { serverStream, unary, type CallContext } from './call-wrappers.js';
import { toGrpcStatus } from '@caxton/client';
import { requireAllowed } from './access.js';
import { ImportAccumulator, MAX_IMPORT_BYTES, parseListState, parseStateAgent, parseStateKey } from './state-requests.js';
import { UploadTooSlowError } from './errors.js';
import type { UploadSlots } from './upload.js';
import type * as W from '@caxton/client';

/**
 * `slots`: the node's uploads in flight (deploys' artifacts and state imports share them): an
 * import holds one while it gathers its entries, so imports at once are bounded as uploads are.
 */
export function stateHandlers(
  ctx: CallContext,
  node: NodeControl,
  idleTimeoutMs: number,
  slots: UploadSlots,
): UntypedServiceImplementation {
  return {
    GetState: unary(ctx, 'GetState', async (req: W.WireGetStateRequest): Promise<W.WireGetStateResponse> => {
      const agent = parseStateAgent(req.agent);
      const key = parseStateKey(req.key);
      const value = await node.getState(agent, key);
      if (value === undefined) throw new NotFoundError('state-key', key, `list the agent's keys with \`caxton state ${agent} list\``);
      return { entry: { key, value } };
    }),

    ListState: unary(ctx, 'ListState', async (req: W.WireListStateRequest): Promise<W.WireListStateResponse> => {
      const { agent, query } = parseListState(req);
      const page = await node.listState(agent, query);
      return { entries: page.entries, nextPageToken: page.next ?? '' };
    }),

    ExportState: serverStream(
      ctx,
      'ExportState',
      (req: W.WireExportStateRequest) => {
        const agent = parseStateAgent(req.agent);
        return (sink) => node.exportState(agent, sink);
      },
      (entry: StateEntry): W.WireStateEntry => entry,
      'finite', // the state is read whole: written as fast as the reader takes it
    ),

    ImportState: (
      call: ServerReadableStream<W.WireImportStateRequest, W.WireImportStateResponse>,
      callback: sendUnaryData<W.WireImportStateResponse>,
    ) => {
      void (async () => {
        let release: (() => void) | undefined;
        try {
          const principal = ctx.authenticate(call.metadata, 'ImportState');
          // On the first message: the agent against the token's scope, then one of the node's upload
          // slots, both before any entry is gathered.
          const admit = (agent: string): void => {
            if (principal.agents !== undefined) requireAllowed(principal, 'ImportState', [agent]);
            release = slots.acquire();
          };
          const { agent, replace, writes } = await receiveImport(call, idleTimeoutMs, admit);
          const result = await ctx.node(call).importState({ agent, writes, replace }); // recorded (decision 1701)
          callback(null, { written: result.written, deleted: result.deleted });
        } catch (err) {
          if (call.cancelled) return;
          callback(toGrpcStatus(err, 'ImportState', ctx.report));
        } finally {
          release?.();
        }
      })();
    },
  };
}

function receiveImport(
  call: ServerReadableStream<W.WireImportStateRequest, unknown>,
  idleTimeoutMs: number,
  admit: (agent: string) => void,
): Promise<{ agent: string; replace: boolean; writes: ImportAccumulator['writes'] }> {
  return new Promise((resolve, reject) => {
    let agent: string | undefined;
    let replace = false;
    const entries = new ImportAccumulator();
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let wholeTimer: NodeJS.Timeout | undefined;
    const settle = (error: unknown, value?: { agent: string; replace: boolean; writes: ImportAccumulator['writes'] }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(wholeTimer);
      call.removeAllListeners('data');
      call.resume(); // drain what the client still sends so it sees our status
      if (error !== undefined) reject(error);
      else resolve(value!);
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          settle(
            new CaxtonError(
              'api.import-timeout',
              `no state entries received for ${idleTimeoutMs} ms; import abandoned (nothing was changed)`,
              {
                kind: 'deadline-exceeded',
                context: { idleMs: idleTimeoutMs },
                hint: 'check the network between client and node, then run the import again',
              },
            ),
          ),
        idleTimeoutMs,
      );
      timer.unref();
    };
    arm();
    call.on('data', (req: W.WireImportStateRequest) => {
      try {
        // Only a message that brings entries (or the first) keeps the import alive: empty ones
        // trickled to hold an upload slot do not.
        if (agent === undefined || req.entries.length > 0) arm();
        if (agent === undefined) {
          const named = parseStateAgent(req.agent);
          admit(named);
          agent = named;
          // Admitted, it holds an upload slot: bounded in all by the largest import at the slowest
          // rate allowed, so entries trickled one a minute cannot hold the slot for ever.
          const deadline = bodyDeadlineMs(MAX_IMPORT_BYTES, idleTimeoutMs);
          wholeTimer = setTimeout(() => settle(new UploadTooSlowError('the state import', deadline, entries.bytes)), deadline);
          wholeTimer.unref();
          replace = req.replace;
        } else if ((req.agent !== '' && req.agent !== agent) || (req.replace && !replace)) {
          // One import, one agent and one mode: a later message names neither or repeats the first;
          // one saying otherwise is refused, not ignored silently.
          throw new InvalidArgumentError(
            'agent',
            `a later message of the import names ${JSON.stringify(req.agent.slice(0, 64))} with replace ${req.replace}, where its first named ${JSON.stringify(agent)} with replace ${replace}`,
            'send one import per agent; only the first message needs to name the agent and the mode',
          );
        }
        entries.add(req.entries);
      } catch (error) {
        settle(error);
      }
    });
    call.on('end', () => {
      if (agent === undefined)
        settle(new InvalidArgumentError('agent', 'the import stream was empty: its first message must name the agent'));
      else settle(undefined, { agent, replace, writes: entries.writes });
    });
    call.on('error', (error) => settle(error));
    call.on('cancelled', () => settle(new CaxtonError('api.cancelled', 'the client cancelled the import', { kind: 'cancelled' })));
  });
}
