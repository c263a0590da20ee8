import { ChainedAuditEntry, computeEntryHash, GENESIS_HASH } from './audit-hash';

export interface AuditChainVerification {
  ok: boolean;
  /** Entries examined, in seq order, up to and including the one where the chain broke. */
  checked: number;
  /** The first seq at which the chain does not hold, or null when it is intact. */
  firstBrokenSeq: string | null;
}

/** A row changed into something that cannot even be hashed is as broken as a wrong hash. */
function hashesTo(entry: ChainedAuditEntry): boolean {
  try {
    return computeEntryHash(entry) === entry.hash;
  } catch {
    return false;
  }
}

/**
 * Walks the chain in seq order, one entry at a time, so a caller can feed it page by page
 * without holding the log in memory. Each entry must carry the next seq (seqs are assigned
 * contiguously, so a gap is a deleted entry and the missing seq is the one named), link to
 * the hash of the entry before it, and hash to what it stores.
 */
export class AuditChainVerifier {
  private expectedSeq = 1n;
  private previousHash = GENESIS_HASH;
  private checked = 0;
  private firstBrokenSeq: string | null = null;

  /** Checks the next entry; returns false once the chain is broken (nothing more to learn). */
  accept(entry: ChainedAuditEntry): boolean {
    if (this.firstBrokenSeq !== null) return false;
    this.checked += 1;
    const seq = BigInt(entry.seq);
    if (seq !== this.expectedSeq) {
      this.firstBrokenSeq = this.expectedSeq.toString();
    } else if (entry.prevHash !== this.previousHash || !hashesTo(entry)) {
      this.firstBrokenSeq = entry.seq;
    }
    this.expectedSeq = seq + 1n;
    this.previousHash = entry.hash;
    return this.firstBrokenSeq === null;
  }

  result(): AuditChainVerification {
    return {
      ok: this.firstBrokenSeq === null,
      checked: this.checked,
      firstBrokenSeq: this.firstBrokenSeq,
    };
  }
}

/** Verifies a chain delivered as a sequence of pages (stops reading at the first break). */
export async function verifyAuditChain(
  pages: AsyncIterable<readonly ChainedAuditEntry[]>,
): Promise<AuditChainVerification> {
  const verifier = new AuditChainVerifier();
  for await (const page of pages) {
    if (!page.every((entry) => verifier.accept(entry))) break;
  }
  return verifier.result();
}
