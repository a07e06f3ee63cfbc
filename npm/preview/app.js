// The template preview page: every keystroke renders the template with the package's sample
// order (the same engine and helpers that send real messages) and shows the SMS bubble, its
// character count, encoding and segments, or the template error.

import init, {
  eventKinds,
  languages,
  templateSource,
  renderTemplate,
  isOrderSmsError,
} from './pkg/ordersms_wasm.js';

const $ = (id) => document.getElementById(id);
const ui = {
  event: $('event'),
  language: $('language'),
  audience: $('audience'),
  source: $('source'),
  reset: $('reset'),
  templateName: $('template-name'),
  error: $('error'),
  bubble: $('bubble'),
  chars: $('chars'),
  encoding: $('encoding'),
  units: $('units'),
  segments: $('segments'),
  costHint: $('cost-hint'),
};

/** Units one SMS part holds: 160/153 for GSM-7, 70/67 for UCS-2 (multipart loses a header). */
function capacity(encoding, segments) {
  if (encoding === 'gsm7') return segments > 1 ? 153 : 160;
  return segments > 1 ? 67 : 70;
}

function selection() {
  return { event: ui.event.value, language: ui.language.value, audience: ui.audience.value };
}

function loadDefault() {
  const source = templateSource(selection());
  ui.source.value = source ?? '';
  render();
}

function render() {
  const { event, language, audience } = selection();
  try {
    const out = renderTemplate({ event, language, audience, source: ui.source.value });
    ui.bubble.textContent = out.text;
    ui.bubble.dataset.state = 'ok';
    ui.error.hidden = true;
    ui.error.textContent = '';
    ui.source.setAttribute('aria-invalid', 'false');
    ui.templateName.textContent = `${out.template}.hbs`;
    ui.chars.textContent = String([...out.text].length);
    ui.encoding.textContent = out.encoding === 'gsm7' ? 'GSM-7' : 'UCS-2';
    ui.units.textContent = `${out.units}`;
    ui.segments.textContent = String(out.segments);
    const cap = capacity(out.encoding, out.segments);
    ui.costHint.textContent =
      `${out.segments} SMS part${out.segments === 1 ? '' : 's'} of up to ${cap} ${out.encoding === 'gsm7' ? 'GSM-7 characters' : 'UTF-16 units'}` +
      (out.encoding === 'ucs2' ? ' — a character outside GSM-7 switched the whole message to UCS-2.' : '.');
  } catch (e) {
    if (!isOrderSmsError(e)) throw e;
    // Keep the last good message, dimmed, so the layout does not jump while typing.
    ui.bubble.dataset.state = 'stale';
    ui.error.textContent = e.message;
    ui.error.dataset.kind = e.kind;
    ui.error.hidden = false;
    ui.source.setAttribute('aria-invalid', 'true');
  }
}

function fillSelect(select, values) {
  for (const value of values) {
    const option = document.createElement('option');
    option.value = option.textContent = value;
    select.append(option);
  }
}

await init();
fillSelect(ui.event, eventKinds());
fillSelect(ui.language, languages());
ui.event.value = new URLSearchParams(location.search).get('event') ?? 'shipped';
ui.language.value = new URLSearchParams(location.search).get('language') ?? 'en';
for (const select of [ui.event, ui.language, ui.audience]) select.addEventListener('change', loadDefault);
ui.source.addEventListener('input', render);
ui.reset.addEventListener('click', loadDefault);
loadDefault();
document.body.dataset.ready = 'true';
