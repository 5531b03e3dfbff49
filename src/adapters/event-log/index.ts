export { SpillingEventLogs, type EventLogSettings } from './spilling.event-log.js';
