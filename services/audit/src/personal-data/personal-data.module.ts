import { Module } from '@nestjs/common';
import { PersonalDataVault } from './personal-data.vault';
import { SubjectKeys } from './subject-keys';

/** Personal data in the audit log: per-person keys, sealing, reading, shredding. */
@Module({ providers: [SubjectKeys, PersonalDataVault], exports: [PersonalDataVault] })
export class PersonalDataModule {}
