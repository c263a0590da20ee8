import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditEntry } from '../audit-log/audit-entry.entity';
import { JsonValue } from '../audit-log/canonical-json';
import {
  SubjectKeyState,
  revealPayload,
  sealPayload,
  subjectToReveal,
  subjectToSeal,
} from './personal-payload';
import { Erasure, SubjectKeys } from './subject-keys';

/** An event about to be recorded, as the vault sees it. */
export interface EventToSeal {
  type: string;
  payload: JsonValue;
  /** The person the event erases (see `subjectErasedBy`): later events about them are blanked. */
  erases: string | null;
}

const ERASED: SubjectKeyState = { erased: true };

/** An audit entry as readers get it: personal data decrypted where its key still exists. */
export type ReadableAuditEntry = AuditEntry & { personalDataErased: boolean };

/**
 * Crypto-shredding for the audit log: personal fields are recorded sealed with their
 * person's key, read back with it, and made unreadable for good by destroying it.
 */
@Injectable()
export class PersonalDataVault {
  constructor(private readonly keys: SubjectKeys) {}

  /**
   * The forms in which the payloads of a batch of events are recorded, in order, in the
   * recording transaction: each sealed with its person's key (looked up, or created, for all
   * of them at once), or blanked for a person erased before it, an erasure earlier in the
   * batch included, as if the events had been recorded one at a time.
   */
  async sealAll(manager: EntityManager, events: readonly EventToSeal[]): Promise<JsonValue[]> {
    const subjects = events.map((event) => subjectToSeal(event.type, event.payload)?.toLowerCase());
    // Only people with data before any erasure of them in the batch may need a key.
    const erasedEarlier = new Set<string>();
    const needingState = new Set<string>();
    events.forEach((event, index) => {
      const subject = subjects[index];
      if (subject && !erasedEarlier.has(subject)) needingState.add(subject);
      if (event.erases) erasedEarlier.add(event.erases.toLowerCase());
    });
    const states = await this.keys.forRecording(manager, [...needingState]);
    erasedEarlier.clear();
    const stateOf = (subject: string): SubjectKeyState => {
      if (erasedEarlier.has(subject)) return ERASED;
      const state = states.get(subject);
      if (!state) throw new Error(`no key was looked up for subject ${subject}`);
      return state;
    };
    return events.map((event, index) => {
      const subject = subjects[index];
      const sealed = subject
        ? sealPayload(event.type, event.payload, stateOf(subject))
        : event.payload;
      if (event.erases) erasedEarlier.add(event.erases.toLowerCase());
      return sealed;
    });
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

  /** Makes everything recorded about the people erased unreadable, and keeps it so for later events. */
  forget(manager: EntityManager, erasures: readonly Erasure[]): Promise<void> {
    return this.keys.shred(manager, erasures);
  }
}
