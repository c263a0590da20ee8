import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { AuditEntry } from './audit-entry.entity';
import { PageRequest } from './audit-entry.connection';
import { PersonalDataVault, ReadableAuditEntry } from '../personal-data/personal-data.vault';
import { AuditLogService } from './audit-log.service';

/** One page of one aggregate's trail. */
export interface TrailKey extends PageRequest {
  aggregateType: string;
  aggregateId: string;
}

type TrailLoader = DataLoader<TrailKey, ReadableAuditEntry[], string>;

const pageKeyOf = (key: TrailKey) => JSON.stringify([key.aggregateType, key.first, key.afterSeq]);
const keyOf = (key: TrailKey) => JSON.stringify([pageKeyOf(key), key.aggregateId]);

/**
 * Batches the trails asked for in one request (e.g. `auditTrail` on every ticket of an
 * `_entities` call) into one query per distinct page request — in practice one query.
 * One DataLoader per request, keyed by the request's GraphQL context object, so nothing
 * is cached across requests.
 */
@Injectable()
export class AuditTrailLoader {
  private readonly perRequest = new WeakMap<object, TrailLoader>();

  constructor(
    private readonly auditLog: AuditLogService,
    private readonly vault: PersonalDataVault,
  ) {}

  load(requestContext: object, key: TrailKey): Promise<ReadableAuditEntry[]> {
    let loader = this.perRequest.get(requestContext);
    if (!loader) {
      loader = new DataLoader((keys) => this.batch(keys), { cacheKeyFn: keyOf });
      this.perRequest.set(requestContext, loader);
    }
    return loader.load(key);
  }

  private async batch(keys: readonly TrailKey[]): Promise<ReadableAuditEntry[][]> {
    const groups = new Map<string, { sample: TrailKey; ids: string[] }>();
    for (const key of keys) {
      const group = groups.get(pageKeyOf(key));
      if (group) group.ids.push(key.aggregateId);
      else groups.set(pageKeyOf(key), { sample: key, ids: [key.aggregateId] });
    }
    const results = new Map<string, AuditEntry[]>();
    await Promise.all(
      [...groups.values()].map(async ({ sample, ids }) => {
        const trails = await this.auditLog.trails(sample.aggregateType, ids, sample);
        for (const [aggregateId, entries] of trails)
          results.set(keyOf({ ...sample, aggregateId }), entries);
      }),
    );
    // Every trail of the batch is opened together: one key lookup for all their people.
    const readable = await this.vault.revealEach(results);
    return keys.map((key) => readable.get(keyOf(key)) ?? []);
  }
}
