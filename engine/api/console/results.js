// One workflow run (a PostWorkflowResultsResponse) shown per node: status, concepts sorted
// by score, text, regions drawn on the input image, and the raw JSON.
const OK = 10000;
const COLORS = ["#e11d48", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2"];

function h(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function sorted(concepts) {
  return [...(concepts || [])].sort((a, b) => (b.value || 0) - (a.value || 0));
}

function conceptTable(concepts) {
  const table = h("table", null, { class: "concepts" });
  for (const c of sorted(concepts)) {
    const row = h("tr");
    row.append(h("td", c.name || c.id), h("td", (c.value || 0).toFixed(3)));
    table.append(row);
  }
  return table;
}

function label(region) {
  const top = sorted(region.data?.concepts)[0];
  const parts = [];
  if (top) parts.push(`${top.name || top.id} ${(top.value || 0).toFixed(2)}`);
  if (region.track_id) parts.push(`#${region.track_id}`);
  if (region.data?.text?.raw) parts.push(region.data.text.raw);
  return parts.join(" ").slice(0, 60);
}

function drawBoxes(image, regions) {
  const canvas = h("canvas", null, { width: image.naturalWidth, height: image.naturalHeight });
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const w = canvas.width, hgt = canvas.height;
  const font = Math.max(12, Math.round(Math.min(w, hgt) / 30));
  ctx.font = `${font}px sans-serif`;
  ctx.lineWidth = Math.max(2, Math.round(font / 6));
  regions.forEach((r, i) => {
    const b = r.region_info?.bounding_box;
    if (!b) return;
    const x = (b.left_col || 0) * w, y = (b.top_row || 0) * hgt;
    const bw = ((b.right_col || 0) - (b.left_col || 0)) * w;
    const bh = ((b.bottom_row || 0) - (b.top_row || 0)) * hgt;
    const color = COLORS[i % COLORS.length];
    ctx.strokeStyle = color;
    ctx.strokeRect(x, y, bw, bh);
    const text = label(r);
    if (!text) return;
    const tw = ctx.measureText(text).width + 8;
    const ty = y >= font + 6 ? y - font - 6 : y;
    ctx.fillStyle = color;
    ctx.fillRect(x, ty, tw, font + 6);
    ctx.fillStyle = "#fff";
    ctx.fillText(text, x + 4, ty + font);
  });
  return canvas;
}

function regionList(regions) {
  const list = h("ol", null, { class: "regions" });
  for (const r of regions) {
    const item = h("li");
    const b = r.region_info?.bounding_box;
    if (b) item.append(h("span", `box ${[b.top_row, b.left_col, b.bottom_row, b.right_col]
      .map((v) => (v || 0).toFixed(3)).join(", ")} `));
    if (r.data?.text?.raw) item.append(h("q", r.data.text.raw));
    if (r.data?.concepts?.length) item.append(conceptTable(r.data.concepts));
    list.append(item);
  }
  return list;
}

function statusText(st) {
  return `${st?.code}: ${st?.description || ""}${st?.details ? " \u2014 " + st.details : ""}`;
}

function output(out, image) {
  const box = h("div", null, { class: "output", "data-node-id": out.id || "" });
  const code = out.status?.code;
  box.append(h("h4", `${out.id} (${out.model?.model_type_id || out.model?.id || ""})`));
  if (code !== OK) {
    box.append(h("p", statusText(out.status), { class: "status-bad" }));
  }
  const data = out.data || {};
  if (data.concepts?.length) box.append(conceptTable(data.concepts));
  if (data.text?.raw) box.append(h("p", data.text.raw, { class: "text" }));
  const regions = data.regions || [];
  if (regions.length) {
    if (image) box.append(drawBoxes(image, regions));
    box.append(regionList(regions));
  }
  if (data.frames?.length) box.append(h("p", `${data.frames.length} frames (see the JSON)`));
  if (code === OK && !data.concepts?.length && !data.text?.raw && !regions.length) {
    box.append(h("p", "no output for this input", { class: "hint" }));
  }
  return box;
}

function withoutMedia(doc) {
  return JSON.stringify(doc, (k, v) => (k === "base64" ? `<${String(v).length} base64 chars>` : v), 1);
}

export function showResults(box, response, image) {
  box.replaceChildren();
  const top = response.status || {};
  if (top.code !== OK) box.append(h("p", statusText(top), { class: "status-bad" }));
  for (const result of response.results || []) {
    if (result.status && result.status.code !== OK) {
      box.append(h("p", statusText(result.status), { class: "status-bad" }));
    }
    for (const out of result.outputs || []) box.append(output(out, image));
  }
  const raw = h("details", null, { id: "raw-json" });
  raw.append(h("summary", "Raw JSON"), h("pre", withoutMedia(response), { class: "code" }));
  box.append(raw);
}
