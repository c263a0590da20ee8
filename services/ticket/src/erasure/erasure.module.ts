import { Module } from '@nestjs/common';
import { PersonalDataEraser } from './personal-data.eraser';

/** Forgetting erased people's personal data (driven by `user.erased`, see the directory). */
@Module({ providers: [PersonalDataEraser], exports: [PersonalDataEraser] })
export class ErasureModule {}
