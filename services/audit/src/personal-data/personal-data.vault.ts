import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditEntry } from '../audit-log/audit-entry.entity';
import { JsonValue } from '../audit-log/canonical-json';
import { revealPayload, sealPayload, subjectToReveal, subjectToSeal } from './personal-payload';
import { SubjectKeys } from './subject-keys';

/** An audit entry as readers get it: personal data decrypted where its key still exists. */
export type ReadableAuditEntry = AuditEntry & { personalDataErased: boolean };

/**
 * Crypto-shredding for the audit log: personal fields are recorded sealed with their
 * person's key, read back with it, and made unreadable for good by destroying it.
 */
@Injectable()
export class PersonalDataVault {
  constructor(private readonly keys: SubjectKeys) {}

  /** The form in which an event's payload is recorded (in the recording transaction). */
  async seal(manager: EntityManager, type: string, payload: JsonValue): Promise<JsonValue> {
    const subjectId = subjectToSeal(type, payload);
    if (!subjectId) return payload;
    return sealPayload(type, payload, await this.keys.forRecording(manager, subjectId));
  }

  /** Opens the entries of one read with one key lookup, whatever the number of people in them. */
  async reveal(entries: readonly AuditEntry[]): Promise<ReadableAuditEntry[]> {
    const subjects = entries.flatMap((entry) => subjectToReveal(entry.type, entry.payload) ?? []);
    const keys = await this.keys.find(subjects);
    return entries.map((entry) => ({
      ...entry,
      ...revealPayload(entry.type, entry.payload, keys),
    }));
  }

  /** `reveal` for several lists of entries at once, still with one key lookup. */
  async revealEach<K>(
    lists: ReadonlyMap<K, readonly AuditEntry[]>,
  ): Promise<Map<K, ReadableAuditEntry[]>> {
    const revealed = await this.reveal([...lists.values()].flat());
    let offset = 0;
    return new Map(
      [...lists].map(([key, entries]) => {
        offset += entries.length;
        return [key, revealed.slice(offset - entries.length, offset)];
      }),
    );
  }

  /** Makes everything recorded about `subjectId` unreadable, and keeps it so for later events. */
  forget(manager: EntityManager, subjectId: string, erasedAt: Date): Promise<void> {
    return this.keys.shred(manager, subjectId, erasedAt);
  }
}
