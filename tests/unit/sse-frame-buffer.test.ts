import { describe, expect, it } from 'vitest';
import { SseFrameBuffer } from '../../src/adapters/http/sse-frame-buffer.js';

const frame = (seq: number): string => `id: ${seq}\nevent: message\ndata: ${JSON.stringify({ text: `${'é€😀'.repeat(seq % 40)}${'x'.repeat(seq * 7)}` })}\n\n`;

describe('SseFrameBuffer', () => {
  it('gives back the frames as UTF-8, and never writes over bytes it gave back, through full blocks and oversized frames', () => {
    const frames = new SseFrameBuffer();
    const taken: Array<{ bytes: Buffer; text: string }> = [];
    let text = '';
    for (let seq = 0; seq < 400; seq++) {
      frames.append(frame(seq));
      text += frame(seq);
      // Takes after one frame, after a run of them, and once a frame larger than a block came in.
      if (seq % 7 === 0 || seq === 399) {
        taken.push({ bytes: frames.take(), text });
        text = '';
      }
    }
    frames.append(`data: ${'y'.repeat(200_000)}\n\n`);
    taken.push({ bytes: frames.take(), text: `data: ${'y'.repeat(200_000)}\n\n` });
    for (const { bytes, text: expected } of taken) expect(bytes.toString('utf8')).toBe(expected);
    expect(frames.empty).toBe(true);
  });

  it('keeps what was appended but not yet taken when it moves to a new block', () => {
    const frames = new SseFrameBuffer();
    frames.append('data: é\n\n');
    frames.append(`data: ${'z'.repeat(70_000)}\n\n`);
    expect(frames.empty).toBe(false);
    expect(frames.take().toString('utf8')).toBe(`data: é\n\ndata: ${'z'.repeat(70_000)}\n\n`);
    expect(frames.take().length).toBe(0);
  });
});
