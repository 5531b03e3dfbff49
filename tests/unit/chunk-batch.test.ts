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

  it('makes an empty list when no chunk was added', () => {
    expect(JSON.parse(Buffer.from(new ChunkBatch('j').body()).toString('utf8'))).toEqual({ jobId: 'j', chunks: [] });
  });
});
