// The object `Shop.plan` returns, from the plan's JSON text as crates/ordersms-wasm/src/js.rs
// writes it: four parts, the JSON of `messages`, `skipped`, `store` and `event` one after the
// other, and where the first three end.
//
// `messages` is parsed at once: it is what a caller acts on. `skipped`, `store` and `event`
// (most of the text; read by fewer callers, often only `store`) are parsed from their own
// part on first read, and the property then becomes the plain data property it stands for.
// Keys, key order and values are those of `JSON.parse` of the whole plan: `JSON.stringify`,
// spreading, `structuredClone` and `assert.deepStrictEqual` see no difference, and Node's
// `console.log`/`util.inspect` show the values (through a non-enumerable inspect hook), not
// `[Getter/Setter]`.
//
// Why: in Node 20, `JSON.parse` of a whole WooCommerce plan (1.7 KB) costs about 6.7 µs, a
// fifth of the package's time per webhook. The accessors are shared, and each property is
// defined by its own `Object.defineProperty`: one `Object.defineProperties` call for all five
// cost 1.1 µs, five calls 0.7 µs; an object literal with getters closing over the text cost
// 1 µs more (and leaves the object in dictionary mode).

const LAZY = Symbol('ordersms.lazyPlanText');
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function lazy(key, part) {
  return {
    enumerable: true,
    configurable: true,
    get() {
      return settle(this, key, JSON.parse(part(this[LAZY])));
    },
    set(value) {
      settle(this, key, value);
    },
  };
}

const lazySkipped = lazy('skipped', (l) => l.text.slice(l.messagesEnd, l.skippedEnd));
const lazyStore = lazy('store', (l) => l.text.slice(l.skippedEnd, l.storeEnd));
const lazyEvent = lazy('event', (l) => l.text.slice(l.storeEnd));
const inspectHook = { value: inspectPlan };

export function planObject(text, messagesEnd, skippedEnd, storeEnd) {
  const plan = { messages: JSON.parse(text.slice(0, messagesEnd)) };
  Object.defineProperty(plan, 'skipped', lazySkipped);
  Object.defineProperty(plan, 'store', lazyStore);
  Object.defineProperty(plan, 'event', lazyEvent);
  Object.defineProperty(plan, LAZY, { value: { text, messagesEnd, skippedEnd, storeEnd } });
  Object.defineProperty(plan, INSPECT, inspectHook);
  return plan;
}

// Replaces the accessor by the data property it stands for.
function settle(plan, key, value) {
  Object.defineProperty(plan, key, { value, writable: true, enumerable: true, configurable: true });
  return value;
}

// Shows the plan as the plain object it stands for (`depth` is what remains of the caller's).
function inspectPlan(depth, options, inspect) {
  if (depth < 0) return options.stylize('[Object]', 'special');
  return inspect({ ...this }, { ...options, depth });
}
