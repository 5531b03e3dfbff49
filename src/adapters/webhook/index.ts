export { StandardWebhookNotifier, type StandardWebhookSettings } from './standard-webhook.notifier.js';
export { defaultWebhookDeliverySettings, type WebhookDeliverySettings } from './delivery-retry.js';
export type { WebhookPolicy } from './webhook-policy.js';
