import { createHash } from 'node:crypto';
import { aChain } from '../../test/builders';
import { AuditEntryContent, GENESIS_HASH, computeEntryHash } from './audit-hash';
import { canonicalJson } from './canonical-json';

function contentOf(): AuditEntryContent {
  const { hash: _hash, ...content } = aChain(1)[0];
  return content;
}

describe('computeEntryHash', () => {
  it('is the sha256 of the canonical JSON of the content', () => {
    const content = contentOf();
    const expected = createHash('sha256')
      .update(canonicalJson({ ...content }))
      .digest('hex');
    expect(computeEntryHash(content)).toBe(expected);
    expect(computeEntryHash(content)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on the key order of the payload', () => {
    const content = { ...contentOf(), payload: { a: 1, b: { c: 2, d: 3 } } };
    const reordered = { ...content, payload: { b: { d: 3, c: 2 }, a: 1 } };
    expect(computeEntryHash(reordered)).toBe(computeEntryHash(content));
  });

  it('covers every field, the previous hash included', () => {
    const content = contentOf();
    const base = computeEntryHash(content);
    const changes: Partial<AuditEntryContent>[] = [
      { seq: '2' },
      { eventId: '00000000-0000-4000-8000-000000000000' },
      { type: 'ticket.assigned' },
      { source: 'user-service' },
      { aggregateType: 'user' },
      { aggregateId: 'other' },
      { actor: { id: '00000000-0000-4000-8000-000000000001', role: 'ADMIN' } },
      { correlationId: 'other' },
      { occurredAt: '2000-01-01T00:00:00.000Z' },
      { recordedAt: '2000-01-01T00:00:00.000Z' },
      { payload: { body: 'edited' } },
      { prevHash: 'f'.repeat(64) },
    ];
    for (const change of changes) {
      expect(computeEntryHash({ ...content, ...change })).not.toBe(base);
    }
  });

  it('ignores anything outside the content, such as the stored hash', () => {
    const [entry] = aChain(1);
    const { hash: _hash, ...content } = entry;
    expect(computeEntryHash({ ...entry, hash: 'tampered' } as AuditEntryContent)).toBe(
      computeEntryHash(content),
    );
  });

  it('starts the chain from 64 zeros', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(aChain(1)[0].prevHash).toBe(GENESIS_HASH);
  });
});
