import { describe, expect, it } from 'vitest';
import { ChunkBatch } from '../../src/adapters/persistence/chunk-batch.js';

describe('ChunkBatch', () => {
  it('encodes a request body that parses back to exactly the chunks, through growth and multi-byte text', () => {
    const batch = new ChunkBatch('job-"1"');
    const chunks = Array.from({ length: 500 }, (_, seq) => ({ seq, type: 'assistant_message', data: { text: `${'é€😀'.repeat(seq % 50)}${'x'.repeat(seq * 3)}` }, timestamp: '2026-12-01T00:00:00.000Z' }));
    for (const chunk of chunks) batch.add(JSON.stringify(chunk));
    const body = batch.body();
    expect(body.length).toBeGreaterThan(64 * 1024);
    expect(JSON.parse(Buffer.from(body).toString('utf8'))).toEqual({ jobId: 'job-"1"', chunks });
    expect(batch.count).toBe(500);
  });

  it('writes a chunk given in pieces as one, and a batch on released bytes holds only its own chunks', () => {
    const first = new ChunkBatch('j');
    for (let seq = 0; seq < 300; seq++) first.add(`{"seq":${seq},"data":`, JSON.stringify({ text: 'é'.repeat(seq) }), '}');
    expect(JSON.parse(Buffer.from(first.body()).toString('utf8')).chunks[299]).toEqual({ seq: 299, data: { text: 'é'.repeat(299) } });
    const bytes = first.release();
    const next = new ChunkBatch('k', bytes);
    next.add('{"seq":300,', '"data":{}}');
    const body = next.body();
    expect(body.buffer).toBe(bytes.buffer);
    expect(JSON.parse(Buffer.from(body).toString('utf8'))).toEqual({ jobId: 'k', chunks: [{ seq: 300, data: {} }] });
  });

  it('makes an empty list when no chunk was added', () => {
    expect(JSON.parse(Buffer.from(new ChunkBatch('j').body()).toString('utf8'))).toEqual({ jobId: 'j', chunks: [] });
  });
});
