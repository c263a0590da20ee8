/** What other packages (the end-to-end stack, tools) use to run the appointment service in-process. */
export { createAppointmentApp } from './app';
export type { AppointmentAppOptions } from './app';
export { loadAppointmentConfig } from './config';
export type { AppointmentConfig } from './config';
export { migrateAppointmentDatabase } from './migrate';
export { appointmentTextLimits } from './app.module';
