// A workflow's nodes drawn as a DAG (layers by longest path from the inputs, SVG), and the
// same nodes written as the YAML Clarifai's SDK reads.
const SVG = "http://www.w3.org/2000/svg";
const W = 180, H = 46, GAP_X = 40, GAP_Y = 50, PAD = 20;

function el(name, attrs = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function layers(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map();
  const visit = (id, seen) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0; // a cycle cannot be stored; never loop on one anyway
    seen.add(id);
    const ins = (byId.get(id)?.node_inputs || []).map((i) => i.node_id).filter((i) => byId.has(i));
    const d = ins.length ? 1 + Math.max(...ins.map((i) => visit(i, seen))) : 0;
    depth.set(id, d);
    return d;
  };
  nodes.forEach((n) => visit(n.id, new Set()));
  const rows = [];
  nodes.forEach((n) => (rows[depth.get(n.id)] ||= []).push(n));
  return rows;
}

function clip(text, n) {
  return text.length > n ? text.slice(0, n - 1) + "\u2026" : text;
}

export function drawGraph(box, nodes, onClick) {
  box.replaceChildren();
  const rows = layers(nodes);
  const widest = Math.max(1, ...rows.map((r) => r.length));
  const width = PAD * 2 + widest * W + (widest - 1) * GAP_X;
  const height = PAD * 2 + rows.length * H + (rows.length - 1) * GAP_Y;
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, id: "dag" });
  const defs = el("defs");
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#555" }));
  defs.append(marker);
  svg.append(defs);
  const at = new Map();
  rows.forEach((row, y) => {
    const offset = (width - (row.length * W + (row.length - 1) * GAP_X)) / 2;
    row.forEach((n, x) => at.set(n.id, { x: offset + x * (W + GAP_X), y: PAD + y * (H + GAP_Y) }));
  });
  for (const n of nodes) {
    for (const input of n.node_inputs || []) {
      const a = at.get(input.node_id), b = at.get(n.id);
      if (!a || !b) continue;
      const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y;
      const mid = (y1 + y2) / 2;
      svg.append(el("path", { class: "edge", "data-from": input.node_id, "data-to": n.id,
        d: `M ${x1} ${y1} C ${x1} ${mid}, ${x2} ${mid}, ${x2} ${y2}` }));
    }
  }
  for (const n of nodes) {
    const p = at.get(n.id);
    const g = el("g", { class: "node", "data-node-id": n.id, transform: `translate(${p.x},${p.y})` });
    g.append(el("rect", { width: W, height: H, rx: 6 }));
    const title = el("text", { x: 10, y: 19 });
    title.textContent = clip(n.id, 24);
    const type = el("text", { x: 10, y: 36, class: "type" });
    type.textContent = clip(n.model?.model_type_id || n.model?.id || "", 28);
    g.append(title, type);
    g.addEventListener("click", () => {
      svg.querySelectorAll(".node.selected").forEach((s) => s.classList.remove("selected"));
      g.classList.add("selected");
      onClick(n);
    });
    svg.append(g);
  }
  box.append(svg);
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_.\/-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

function scalar(v) {
  if (typeof v === "string") return PLAIN.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

function dump(value, indent) {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    if (!value.length) return " []";
    return value.map((item) => {
      const body = dump(item, indent + 2);
      return `\n${pad}-` + (body.startsWith("\n") ? " " + body.trimStart() : body);
    }).join("");
  }
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (!keys.length) return " {}";
    return keys.map((k) => `\n${pad}${scalar(k)}:${dump(value[k], indent + 2)}`).join("");
  }
  return " " + scalar(value);
}

// The nodes as Clarifai's workflow YAML (the fields the API returns for each node)
export function toYaml(workflowId, nodes) {
  const doc = { workflow: { id: workflowId, nodes: nodes.map((n) => {
    const m = n.model || {};
    const model = { model_id: m.id };
    for (const k of ["user_id", "app_id", "model_type_id"]) if (m[k]) model[k] = m[k];
    if (m.model_version?.id) model.model_version_id = m.model_version.id;
    const info = m.output_info || {};
    const kept = {};
    if (info.params && Object.keys(info.params).length) kept.params = info.params;
    if (info.data?.concepts) kept.data = { concepts: info.data.concepts };
    if (Object.keys(kept).length) model.output_info = kept;
    const node = { id: n.id, model };
    if (n.node_inputs?.length) node.node_inputs = n.node_inputs.map((i) => ({ node_id: i.node_id }));
    if (n.suppress_output) node.suppress_output = true;
    return node;
  }) } };
  return dump(doc, 0).replace(/^\n/, "") + "\n";
}
