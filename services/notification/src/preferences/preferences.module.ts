import { Module } from '@nestjs/common';
import { DirectoryModule } from '../directory/directory.module';
import { PreferencesRepository } from './preferences.repository';
import { PreferencesResolver } from './preferences.resolver';
import { PreferencesService } from './preferences.service';

/** Who wants what, on which channel, and when not to be disturbed. */
@Module({
  imports: [DirectoryModule],
  providers: [PreferencesRepository, PreferencesService, PreferencesResolver],
  exports: [PreferencesRepository],
})
export class PreferencesModule {}
