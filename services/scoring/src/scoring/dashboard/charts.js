// Small SVG charts drawn by hand: horizontal bars, a donut of shares, a line over time.
// Each draws into a <figure>, with a <title> and a text <figcaption> for screen readers.

const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(figure, width, height, title) {
  figure.replaceChildren();
  const svg = el("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": title,
    class: "svg-chart",
  });
  svg.append(el("title", {}, title));
  figure.append(svg);
  return svg;
}

function caption(figure, text) {
  const node = document.createElement("figcaption");
  node.textContent = text;
  figure.append(node);
}

function empty(figure, text = "暂无数据 No data yet") {
  figure.replaceChildren();
  const p = document.createElement("p");
  p.className = "empty";
  p.textContent = text;
  figure.append(p);
}

// items: [{label, value, color}]; format(value) -> text
export function barChart(figure, items, { title, format }) {
  if (!items.length) return empty(figure);
  const row = 30;
  const width = 520;
  const labelWidth = 170;
  const valueWidth = 60;
  const max = Math.max(1, ...items.map((item) => item.value));
  const svg = frame(figure, width, items.length * row + 8, title);
  items.forEach((item, i) => {
    const y = 4 + i * row;
    const barWidth = ((width - labelWidth - valueWidth) * item.value) / max;
    const group = el("g", { class: "bar", "data-value": item.value });
    group.append(
      el("text", { x: labelWidth - 8, y: y + 19, "text-anchor": "end", class: "axis" }, item.label),
      el("rect", { x: labelWidth, y: y + 4, width: Math.max(barWidth, 1), height: row - 10, rx: 3, fill: item.color }),
      el("text", { x: labelWidth + barWidth + 6, y: y + 19, class: "value" }, format(item.value)),
    );
    svg.append(group);
  });
  caption(figure, items.map((item) => `${item.label}: ${format(item.value)}`).join("; "));
}

function arc(cx, cy, r, start, end) {
  const point = (angle) => [cx + r * Math.sin(angle), cy - r * Math.cos(angle)];
  const [x0, y0] = point(start);
  const [x1, y1] = point(end);
  const large = end - start > Math.PI ? 1 : 0;
  return `M ${cx} ${cy} L ${x0} ${y0} A ${r} ${r} 0 ${large} 1 ${x1} ${y1} Z`;
}

// items: [{label, value, color}] (zeros are left out); shares of the total
export function donutChart(figure, items, { title, format }) {
  const parts = items.filter((item) => item.value > 0);
  const total = parts.reduce((sum, item) => sum + item.value, 0);
  if (!total) return empty(figure);
  const svg = frame(figure, 520, 220, title);
  const [cx, cy, r] = [110, 110, 100];
  let angle = 0;
  for (const item of parts) {
    const sweep = (2 * Math.PI * item.value) / total;
    const shape =
      parts.length === 1
        ? el("circle", { cx, cy, r, fill: item.color })
        : el("path", { d: arc(cx, cy, r, angle, angle + sweep), fill: item.color });
    shape.setAttribute("class", "slice");
    shape.append(el("title", {}, `${item.label}: ${format(item.value)}`));
    svg.append(shape);
    angle += sweep;
  }
  svg.append(el("circle", { cx, cy, r: 55, class: "hole" }));
  svg.append(el("text", { x: cx, y: cy + 5, "text-anchor": "middle", class: "value" }, format(total)));
  parts.forEach((item, i) => {
    const y = 20 + i * 22;
    const share = `${((100 * item.value) / total).toFixed(1)}%`;
    svg.append(
      el("rect", { x: 240, y: y - 11, width: 14, height: 14, rx: 2, fill: item.color }),
      el("text", { x: 262, y, class: "axis" }, `${item.label} ${share}`),
    );
  });
  caption(
    figure,
    parts.map((item) => `${item.label}: ${((100 * item.value) / total).toFixed(1)}%`).join("; "),
  );
}

// points: [{label, value}] in order (value null: no score); y from min to max
export function lineChart(figure, points, { title, min = 0, max = 100, guides = [], format }) {
  const scored = points.filter((p) => p.value != null);
  if (!scored.length) return empty(figure);
  const [width, height, left, right, top, bottom] = [520, 220, 40, 16, 12, 30];
  const svg = frame(figure, width, height, title);
  const x = (i) =>
    left + (points.length === 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (points.length - 1));
  const y = (v) => top + ((max - v) * (height - top - bottom)) / (max - min);
  for (const guide of [{ value: min }, ...guides, { value: max }]) {
    svg.append(el("line", { x1: left, x2: width - right, y1: y(guide.value), y2: y(guide.value), class: "grid" }));
    svg.append(el("text", { x: left - 6, y: y(guide.value) + 4, "text-anchor": "end", class: "axis" }, String(guide.value)));
  }
  const path = points
    .map((p, i) => (p.value == null ? null : `${x(i)},${y(p.value)}`))
    .filter(Boolean)
    .join(" ");
  svg.append(el("polyline", { points: path, class: "line" }));
  points.forEach((p, i) => {
    svg.append(el("text", { x: x(i), y: height - 8, "text-anchor": "middle", class: "axis" }, p.label));
    if (p.value == null) return;
    const dot = el("circle", { cx: x(i), cy: y(p.value), r: 4.5, class: "point", "data-value": p.value });
    dot.append(el("title", {}, `${p.label}: ${format(p.value)}`));
    svg.append(dot);
  });
  caption(figure, points.map((p) => `${p.label}: ${format(p.value)}`).join("; "));
}
