import { aChain } from '../../test/builders';
import { ChainedAuditEntry, computeEntryHash } from './audit-hash';
import { verifyAuditChain } from './audit-chain.verifier';

async function* pagesOf(
  entries: ChainedAuditEntry[],
  size = 3,
): AsyncGenerator<ChainedAuditEntry[]> {
  for (let start = 0; start < entries.length; start += size) {
    yield entries.slice(start, start + size);
  }
}

describe('verifyAuditChain', () => {
  it('accepts an intact chain and counts every entry', async () => {
    await expect(verifyAuditChain(pagesOf(aChain(10)))).resolves.toEqual({
      ok: true,
      checked: 10,
      firstBrokenSeq: null,
    });
  });

  it('accepts an empty chain', async () => {
    await expect(verifyAuditChain(pagesOf([]))).resolves.toEqual({
      ok: true,
      checked: 0,
      firstBrokenSeq: null,
    });
  });

  it('names the entry whose payload was changed', async () => {
    const chain = aChain(10);
    chain[4] = { ...chain[4], payload: { body: 'rewritten history' } };
    await expect(verifyAuditChain(pagesOf(chain))).resolves.toEqual({
      ok: false,
      checked: 5,
      firstBrokenSeq: '5',
    });
  });

  it('names the entry whose stored hash was changed', async () => {
    const chain = aChain(10);
    chain[6] = { ...chain[6], hash: 'a'.repeat(64) };
    await expect(verifyAuditChain(pagesOf(chain))).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: '7',
    });
  });

  it('names the entry rewritten together with its own hash, by its broken successor link', async () => {
    const chain = aChain(10);
    const rewritten = { ...chain[2], payload: { body: 'rewritten history' } };
    chain[2] = { ...rewritten, hash: computeEntryHash(rewritten) };
    await expect(verifyAuditChain(pagesOf(chain))).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: '4',
    });
  });

  it('names the entry whose prevHash link does not point at its predecessor', async () => {
    const chain = aChain(10);
    const relinked = { ...chain[8], prevHash: chain[6].hash };
    chain[8] = { ...relinked, hash: computeEntryHash(relinked) };
    await expect(verifyAuditChain(pagesOf(chain))).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: '9',
    });
  });

  it('names an entry changed into something that cannot even be hashed', async () => {
    const chain = aChain(5);
    chain[2] = { ...chain[2], payload: { amount: Number.POSITIVE_INFINITY } };
    await expect(verifyAuditChain(pagesOf(chain))).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: '3',
    });
  });

  it('names the missing seq when an entry in the middle was deleted', async () => {
    const chain = aChain(10);
    chain.splice(5, 1);
    await expect(verifyAuditChain(pagesOf(chain))).resolves.toEqual({
      ok: false,
      checked: 6,
      firstBrokenSeq: '6',
    });
  });

  it('detects a deleted first entry', async () => {
    const chain = aChain(4).slice(1);
    await expect(verifyAuditChain(pagesOf(chain))).resolves.toMatchObject({
      ok: false,
      firstBrokenSeq: '1',
    });
  });

  it('stops reading pages at the first break', async () => {
    const chain = aChain(12);
    chain[1] = { ...chain[1], payload: { body: 'rewritten history' } };
    const served: number[] = [];
    async function* tracked(): AsyncGenerator<ChainedAuditEntry[]> {
      for await (const page of pagesOf(chain)) {
        served.push(page.length);
        yield page;
      }
    }
    await verifyAuditChain(tracked());
    expect(served).toEqual([3]);
  });
});
