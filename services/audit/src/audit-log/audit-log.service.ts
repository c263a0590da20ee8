import { Injectable } from '@nestjs/common';
import { DataSource, Repository, SelectQueryBuilder } from 'typeorm';
import { ChainedAuditEntry } from './audit-hash';
import { AuditChainVerification, verifyAuditChain } from './audit-chain.verifier';
import { AuditEntry, toChainedEntry } from './audit-entry.entity';
import { PageRequest } from './audit-entry.connection';

export interface AuditLogFilter {
  aggregateType?: string;
  aggregateId?: string;
  actorId?: string;
  type?: string;
  /** Inclusive. */
  occurredFrom?: Date;
  /** Exclusive. */
  occurredTo?: Date;
}

/** How many entries verification holds in memory at a time. */
export const VERIFICATION_PAGE_SIZE = 500;

/** Reads the audit log. Every list is in seq order and fetches one extra row for `hasNextPage`. */
@Injectable()
export class AuditLogService {
  private readonly entries: Repository<AuditEntry>;

  constructor(dataSource: DataSource) {
    this.entries = dataSource.getRepository(AuditEntry);
  }

  async list(filter: AuditLogFilter, page: PageRequest): Promise<AuditEntry[]> {
    const query = this.entries
      .createQueryBuilder('entry')
      .where('entry.seq > :after', { after: page.afterSeq });
    this.applyFilter(query, filter);
    return query
      .orderBy('entry.seq', 'ASC')
      .limit(page.first + 1)
      .getMany();
  }

  /**
   * The trails of many aggregates at once, in one statement: for each id, the page of its
   * entries after `page.afterSeq` (plus one), each read through the aggregate index.
   */
  async trails(
    aggregateType: string,
    aggregateIds: readonly string[],
    page: PageRequest,
  ): Promise<Map<string, AuditEntry[]>> {
    const trails = new Map<string, AuditEntry[]>(aggregateIds.map((id) => [id, []]));
    if (aggregateIds.length === 0) return trails;
    const rows = await this.entries
      .createQueryBuilder('entry')
      .where(
        `entry.seq IN (
          SELECT page.seq
            FROM unnest(CAST(:ids AS text[])) AS wanted(id)
            CROSS JOIN LATERAL (
              SELECT trail.seq FROM ${this.entries.metadata.tablePath} AS trail
               WHERE trail.aggregate_type = :aggregateType AND trail.aggregate_id = wanted.id
                 AND trail.seq > :after
               ORDER BY trail.seq
               LIMIT :limit
            ) AS page)`,
        { ids: [...aggregateIds], aggregateType, after: page.afterSeq, limit: page.first + 1 },
      )
      .orderBy('entry.seq', 'ASC')
      .getMany();
    for (const row of rows) trails.get(row.aggregateId)?.push(row);
    return trails;
  }

  /**
   * Recomputes the chain from the first entry to the head as it is when verification
   * starts, a page at a time. Entries appended meanwhile are left for the next run.
   */
  async verifyChain(pageSize = VERIFICATION_PAGE_SIZE): Promise<AuditChainVerification> {
    return verifyAuditChain(this.chainPages(pageSize));
  }

  private async *chainPages(pageSize: number): AsyncGenerator<ChainedAuditEntry[]> {
    const head = await this.entries
      .createQueryBuilder('entry')
      .select('MAX(entry.seq)::text', 'seq')
      .getRawOne<{ seq: string | null }>();
    if (!head?.seq) return;
    let after = '0';
    for (;;) {
      const page = await this.entries
        .createQueryBuilder('entry')
        .where('entry.seq > :after AND entry.seq <= :head', { after, head: head.seq })
        .orderBy('entry.seq', 'ASC')
        .limit(pageSize)
        .getMany();
      if (page.length === 0) return;
      yield page.map(toChainedEntry);
      after = page[page.length - 1].seq;
    }
  }

  private applyFilter(query: SelectQueryBuilder<AuditEntry>, filter: AuditLogFilter): void {
    if (filter.aggregateType !== undefined) {
      query.andWhere('entry.aggregateType = :aggregateType', {
        aggregateType: filter.aggregateType,
      });
    }
    if (filter.aggregateId !== undefined) {
      query.andWhere('entry.aggregateId = :aggregateId', { aggregateId: filter.aggregateId });
    }
    if (filter.actorId !== undefined) {
      query.andWhere('entry.actorId = :actorId', { actorId: filter.actorId });
    }
    if (filter.type !== undefined) {
      query.andWhere('entry.type = :type', { type: filter.type });
    }
    if (filter.occurredFrom !== undefined) {
      query.andWhere('entry.occurredAt >= :occurredFrom', { occurredFrom: filter.occurredFrom });
    }
    if (filter.occurredTo !== undefined) {
      query.andWhere('entry.occurredAt < :occurredTo', { occurredTo: filter.occurredTo });
    }
  }
}
