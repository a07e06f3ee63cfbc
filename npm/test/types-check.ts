// Compiled by types.test.mjs with `tsc --strict --noEmit`: the public API is typed end to end,
// and errors narrow by kind. Not run.
import {
  Shop,
  OptOutList,
  WebhookVerifier,
  SmsMobileApiClient,
  isOrderSmsError,
  renderTemplate,
  segmentFacts,
  type Plan,
  type PlannedMessage,
  type OrderSmsError,
  type SentSms,
} from '../pkg-node/ordersms_wasm.js';

export async function handle(headers: Record<string, string>, body: Uint8Array): Promise<number> {
  const verifier = await WebhookVerifier.create('secret');
  const shop = new Shop();
  const client = new SmsMobileApiClient({ apiKey: 'k', baseUrl: 'http://127.0.0.1:8077' });
  try {
    const webhook = await verifier.verify(headers, body);
    const contexts = new Map<string, string>();
    const orderId: string | undefined = webhook.orderId;
    const plan: Plan = shop.plan(webhook, { now: 1774040864, context: orderId && contexts.get(orderId) });
    if (orderId && plan.store) contexts.set(orderId, JSON.stringify(plan.store));
    // The README's call: options may be left out.
    const planned: PlannedMessage[] = shop.plan(webhook).messages;
    const text: string = shop.planJson(webhook);
    // A STOP list read once, for every plan; or an array, read by each plan.
    const stopped: OptOutList = shop.optOutList(['+32470123456', '0470 12 34 56']);
    const size: number = stopped.size;
    const known: boolean = stopped.has('+32470123456');
    const withList: Plan = shop.plan(webhook, { now: 1774040864, optedOut: stopped });
    const withArray: Plan = shop.plan(webhook, { optedOut: ['+32470123456'] as const });
    void size, known, withList, withArray;
    stopped.free();
    void planned, text;
    const first: PlannedMessage | undefined = plan.messages[0];
    if (first) {
      try {
        const sent = await client.sendMessage(first);
        const guid: string | null = sent.guid;
        void guid;
      } catch (e: unknown) {
        // Maybe queued after all: look for it before sending again.
        if (!isOrderSmsError(e) || !('maybeSent' in e) || !e.maybeSent) throw e;
        const found: SentSms[] = await client.sentLog({ keyword: first.text, before: 1774040864 });
        const everything: SentSms[] = await client.sentLog(); // every filter is optional
        void everything;
        if (found.length === 0 || found[0].sent_by_mobile === false) throw e;
      }
    }
    const segments: number = segmentFacts(renderTemplate({ event: 'shipped', language: 'fr' }).text).segments;
    return segments;
  } catch (e: unknown) {
    if (!isOrderSmsError(e)) throw e;
    const error: OrderSmsError = e;
    switch (error.kind) {
      case 'bad_signature':
      case 'missing_signature':
        return error.header.length > 0 ? 401 : 400;
      case 'unknown_topic':
        return error.topic.length > 0 ? 200 : 400;
      case 'rate_limited':
        return error.retryAfterSeconds ?? 1;
      case 'invalid_config':
        // `Shop.fromToml`: which key, and for a `[templates]` entry what is wrong with it.
        return (error.path ?? '').length + (error.reason === 'unknown_variable' ? 1 : 0);
      case 'template': {
        const where: string = `${error.template ?? ''}:${error.line ?? ''}:${error.variable ?? ''}`;
        return error.reason === 'syntax' ? where.length : 422;
      }
      default:
        return 500;
    }
  }
}

/** A key to store the order context under: its order id is a decimal string (64-bit ids). */
export function contextKey(plan: Plan): string | null {
  const id: string | undefined = plan.store?.order_id ?? plan.event?.order_id;
  return id === undefined ? null : `${plan.store?.platform ?? ''}:${id.padStart(20, '0')}`;
}
