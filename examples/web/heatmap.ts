// The transform-gate heatmap: one row per layer, one column per token, the cell's colour the
// layer's mean transform-gate activation T(x) at that token (0 carry … 1 transform).

/** Light (carry) to dark (transform) along a blue-violet ramp; readable text colour for it. */
export function gateColour(v: number): { bg: string; fg: string } {
  const t = Math.min(1, Math.max(0, v));
  const stops = [[247, 251, 255], [158, 202, 225], [66, 146, 198], [8, 81, 156], [37, 0, 96]];
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i]!.map((a, k) => Math.round(a + (stops[i + 1]![k]! - a) * f));
  return { bg: `rgb(${c.join(',')})`, fg: t > 0.45 ? '#fff' : '#123' };
}

export function renderHeatmap(el: HTMLElement, tokens: string[], gates: number[][] | undefined): void {
  el.replaceChildren();
  if (!gates || gates.length === 0) {
    el.textContent = 'This model has no gates output (a plain BiLSTM, or exported without gates).';
    return;
  }
  const table = document.createElement('table');
  table.className = 'heatmap';
  const head = table.createTHead().insertRow();
  head.appendChild(document.createElement('th'));
  for (const tok of tokens) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = tok;
    head.appendChild(th);
  }
  const mean = document.createElement('th');
  mean.textContent = 'mean';
  mean.className = 'mean';
  head.appendChild(mean);
  const body = table.createTBody();
  gates.forEach((row, l) => {
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = `layer ${l + 1}`;
    tr.appendChild(th);
    const cell = (v: number, cls = ''): void => {
      const td = tr.insertCell();
      const { bg, fg } = gateColour(v);
      td.style.background = bg;
      td.style.color = fg;
      td.textContent = v.toFixed(2);
      td.title = `T = ${v.toFixed(4)}`;
      if (cls) td.className = cls;
    };
    row.forEach((v) => cell(v));
    cell(row.reduce((a, b) => a + b, 0) / Math.max(row.length, 1), 'mean');
  });
  el.appendChild(table);
}
