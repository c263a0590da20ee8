import { createHash } from 'node:crypto';
import { aChain } from '../../test/builders';
import { AuditChainVerifier } from './audit-chain.verifier';
import {
  AuditEntryContent,
  ChainedAuditEntry,
  GENESIS_HASH,
  UnlinkedContent,
  chainAfter,
  chainEntry,
  computeEntryHash,
} from './audit-hash';
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

  it('gives the hashes the chain has always had (chains already written depend on them)', () => {
    const content: AuditEntryContent = {
      seq: '42',
      eventId: '0b7e6f5a-3c1d-4e2f-8a9b-1c2d3e4f5a6b',
      type: 'ticket.created',
      source: 'ticket',
      aggregateType: 'ticket',
      aggregateId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a',
      actor: { id: '11111111-2222-4333-8444-555555555555', role: 'CUSTOMER' },
      correlationId: 'corr-1',
      occurredAt: '2026-01-02T03:04:05.678Z',
      recordedAt: '2026-01-02T03:04:05.999Z',
      payload: {
        title: { $personal: 'v1.x.y.z' },
        tags: ['a', 'é', 'line\nbreak'],
        n: [1.5, -0, 1e21],
        nested: { z: null, a: true, skip: undefined },
      },
      prevHash: 'ab'.repeat(32),
    };
    expect(computeEntryHash(content)).toBe(
      '4cca2b4274a2465be02cc64ad37d07e8e5ea98f9c09ee5a90b002c527058ad86',
    );
    expect(computeEntryHash({ ...content, actor: null })).toBe(
      '5f7abcfab8e355b5e071837feadd94ea5027dc684f966ba429556512d7206f27',
    );
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

describe('chainAfter', () => {
  const unlinked = (length: number): UnlinkedContent[] =>
    aChain(length).map(({ seq: _seq, prevHash: _prevHash, hash: _hash, ...content }) => content);

  /** What appending the contents one at a time gives. */
  function oneByOne(end: ChainedAuditEntry | null, contents: UnlinkedContent[]) {
    const entries: ChainedAuditEntry[] = [];
    let last = end;
    for (const content of contents) {
      last = chainEntry({
        ...content,
        seq: String(last === null ? 1 : Number(last.seq) + 1),
        prevHash: last?.hash ?? GENESIS_HASH,
      });
      entries.push(last);
    }
    return entries;
  }

  it('gives an empty chain the entries, from seq 1 and the genesis hash, that single appends give', () => {
    const contents = unlinked(5);
    const entries = chainAfter(null, contents);
    expect(entries).toEqual(oneByOne(null, contents));
    expect(entries.map((entry) => entry.seq)).toEqual(['1', '2', '3', '4', '5']);
    expect(entries[0].prevHash).toBe(GENESIS_HASH);
  });

  it('continues a chain from its last entry, and the whole verifies', () => {
    const existing = aChain(3);
    const contents = unlinked(4);
    const entries = chainAfter(existing[2], contents);
    expect(entries).toEqual(oneByOne(existing[2], contents));
    expect(entries[0]).toMatchObject({ seq: '4', prevHash: existing[2].hash });

    const verifier = new AuditChainVerifier();
    for (const entry of [...existing, ...entries]) verifier.accept(entry);
    expect(verifier.result()).toEqual({ ok: true, checked: 7, firstBrokenSeq: null });
  });

  it('counts seq on as a bigint past the range of a JS number', () => {
    const end = { seq: '9007199254740993', hash: 'a'.repeat(64) };
    expect(chainAfter(end, unlinked(2)).map((entry) => entry.seq)).toEqual([
      '9007199254740994',
      '9007199254740995',
    ]);
  });

  it('names the event whose payload cannot be hashed', () => {
    const contents = unlinked(3);
    contents[1] = { ...contents[1], payload: { amount: Number.NaN } };
    expect(() => chainAfter(null, contents)).toThrow(
      `event ${contents[1].eventId} cannot be hashed into the audit chain`,
    );
  });

  it('links nothing when there is nothing to link', () => {
    expect(chainAfter(aChain(1)[0], [])).toEqual([]);
  });
});
