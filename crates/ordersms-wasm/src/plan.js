// The object `Shop.plan` returns, from the plan's JSON text as crates/ordersms-wasm/src/js.rs
// writes it: three parts, `{"messages":[...],"skipped":[...]}`, then `store`, then `event`,
// and where the first two end.
//
// `messages` and `skipped` are parsed at once: they are what a caller acts on. `store` and
// `event` (about two thirds of the text, read by fewer callers, often only `store`) are parsed
// from their own part on first read, and the property then becomes the plain data property it
// stands for. Keys, key order and values are those of `JSON.parse` of the whole text:
// `JSON.stringify`, spreading, `structuredClone` and `assert.deepStrictEqual` see no
// difference, and Node's `console.log`/`util.inspect` show the values (through a
// non-enumerable inspect hook), not `[Getter/Setter]`.
//
// Why: in Node 20, `JSON.parse` of a whole WooCommerce plan (1.7 KB) costs about 6.7 µs, a
// fifth of the package's time per webhook; this object about 4.2 µs. The accessors are
// shared, defined in one call: an object literal with getters closing over the text cost
// 1 µs more.

const LAZY = Symbol('ordersms.lazyPlanText');
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

const lazyProperties = {
  store: {
    enumerable: true,
    configurable: true,
    get() {
      const { text, headEnd, storeEnd } = this[LAZY];
      return settle(this, 'store', JSON.parse(text.slice(headEnd, storeEnd)));
    },
    set(value) {
      settle(this, 'store', value);
    },
  },
  event: {
    enumerable: true,
    configurable: true,
    get() {
      const { text, storeEnd } = this[LAZY];
      return settle(this, 'event', JSON.parse(text.slice(storeEnd)));
    },
    set(value) {
      settle(this, 'event', value);
    },
  },
  [LAZY]: { value: null, writable: true },
  [INSPECT]: { value: inspectPlan },
};

export function planObject(text, headEnd, storeEnd) {
  const head = JSON.parse(text.slice(0, headEnd));
  const plan = Object.defineProperties({ messages: head.messages, skipped: head.skipped }, lazyProperties);
  plan[LAZY] = { text, headEnd, storeEnd };
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
