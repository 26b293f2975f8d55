// The smallest Messages API answers Claude Code accepts as a finished turn: one text block, "pong".
import { randomBytes } from 'node:crypto'

export const REPLY_TEXT = 'pong'

function messageId(): string {
  return `msg_fake_${randomBytes(8).toString('hex')}`
}

export function messageJson(model: string): Record<string, unknown> {
  return {
    id: messageId(),
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: REPLY_TEXT }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  }
}

// Each event carries both the SSE `event:` name and a `type` in its data: the SDK reads the latter,
// proxies and logs the former.
export function messageSse(model: string): string {
  const events: Array<Record<string, unknown>> = [
    {
      type: 'message_start',
      message: {
        ...messageJson(model),
        content: [],
        stop_reason: null,
        usage: { input_tokens: 1, output_tokens: 0 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: REPLY_TEXT } },
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 1 },
    },
    { type: 'message_stop' },
  ]
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('')
}
