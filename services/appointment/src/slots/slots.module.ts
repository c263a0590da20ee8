import { Module } from '@nestjs/common';
import { AvailabilityModule } from '../availability/availability.module';
import { DirectoryModule } from '../directory/directory.module';
import { SlotResolver } from './slot.resolver';
import { SlotService } from './slot.service';

/** Which starts an agent offers, for listing and for booking alike. */
@Module({
  imports: [AvailabilityModule, DirectoryModule],
  providers: [SlotService, SlotResolver],
  exports: [SlotService],
})
export class SlotsModule {}
