// One workflow run (a PostWorkflowResultsResponse) shown per node: status, concepts sorted
// by score, text, the input drawn with the node's output by the server (the same drawing
// code as `opgraph run --draw`), a video's drawn frames with a slider, and the raw JSON.
const OK = 10000;
export const MAX_FRAMES = 600; // frames drawn per node (the server's bound per request)

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

function output(out, times) {
  const box = h("div", null, { class: "output", "data-node-id": out.id || "" });
  const code = out.status?.code;
  const title = h("h4", `${out.id} (${out.model?.model_type_id || out.model?.id || ""})`);
  if (times?.has(out.id)) title.append(" ", h("span", `${times.get(out.id).toFixed(1)} ms`, { class: "node-time" }));
  box.append(title);
  if (code !== OK) {
    box.append(h("p", statusText(out.status), { class: "status-bad" }));
  }
  const data = out.data || {};
  if (data.concepts?.length) box.append(conceptTable(data.concepts));
  if (data.text?.raw) box.append(h("p", data.text.raw, { class: "text" }));
  box.append(h("div", null, { class: "drawn" }));
  const regions = data.regions || [];
  if (regions.length) box.append(regionList(regions));
  if (data.frames?.length) box.append(h("p", `${data.frames.length} frame(s)`, { class: "hint" }));
  if (code === OK && !data.concepts?.length && !data.text?.raw && !regions.length && !data.frames?.length) {
    box.append(h("p", "no output for this input", { class: "hint" }));
  }
  return box;
}

function withoutMedia(doc) {
  return JSON.stringify(doc, (k, v) => (k === "base64" ? `<${String(v).length} base64 chars>` : v), 1);
}

// a video node's drawn frames: one at a time by a slider, or played back, with the frame's
// JSON beside the picture
function frameViewer(frames, drawn, stepMs) {
  const box = h("div", null, { class: "frames" });
  const img = h("img", null, { class: "drawn-frame", alt: "drawn frame" });
  const slider = h("input", null, { type: "range", min: 0, max: drawn.length - 1, value: 0, class: "frame-slider" });
  const play = h("button", "Play", { type: "button", class: "play" });
  const label = h("span", "", { class: "frame-label" });
  const json = h("pre", "", { class: "code frame-json" });
  const byIndex = new Map(frames.map((f) => [f.frame_info?.index || 0, f]));
  const show = (i) => {
    const d = drawn[i];
    img.src = `data:image/jpeg;base64,${d.image.base64}`;
    label.textContent = `frame ${d.index} at ${(d.time / 1000).toFixed(2)} s (${i + 1}/${drawn.length})`;
    json.textContent = JSON.stringify(byIndex.get(d.index) || {}, null, 1);
    slider.value = String(i);
    box.dataset.frame = String(d.index);
  };
  let timer = null;
  const stop = () => { clearInterval(timer); timer = null; play.textContent = "Play"; };
  slider.addEventListener("input", () => { stop(); show(Number(slider.value)); });
  play.addEventListener("click", () => {
    if (timer) return stop();
    play.textContent = "Pause";
    timer = setInterval(() => {
      const next = Number(slider.value) + 1;
      if (next >= drawn.length || !box.isConnected) return stop();
      show(next);
    }, Math.max(40, stepMs));
  });
  const controls = h("div", null, { class: "frame-controls" });
  controls.append(play, slider, label);
  const picture = h("div");
  picture.append(img, controls);
  box.append(picture, json);
  show(0);
  return box;
}

function drawable(out) {
  const d = out.data || {};
  return out.status?.code === OK && (d.regions?.length || d.concepts?.length || d.text?.raw || d.frames?.length);
}

// Ask the server to draw each output (an image: all at once; a video: node by node) and put
// the pictures in place; `draw(body)` posts to /console/api/draw
export async function drawOutputs(box, response, media, draw) {
  const outputs = (response.results || []).flatMap((r) => r.outputs || []).filter(drawable);
  const slot = (id) => box.querySelector(`.output[data-node-id="${CSS.escape(id)}"] .drawn`);
  if (media.kind === "image" && outputs.length) {
    const doc = await draw({ image: { base64: media.base64 },
      outputs: outputs.map((o) => ({ id: o.id, data: o.data })) });
    for (const o of doc.outputs || []) {
      slot(o.id)?.replaceChildren(h("img", null, { src: `data:image/jpeg;base64,${o.image.base64}`, alt: `${o.id} drawn` }));
    }
  }
  if (media.kind !== "video") return;
  for (const out of outputs) {
    const frames = (out.data.frames || []).slice(0, MAX_FRAMES);
    if (!frames.length) continue;
    const doc = await draw({ video: { base64: media.base64 }, sample_ms: media.sampleMs,
      outputs: [{ id: out.id, data: { frames } }] });
    const drawn = doc.outputs?.[0]?.frames || [];
    if (drawn.length) slot(out.id)?.replaceChildren(frameViewer(frames, drawn, media.sampleMs));
  }
}

export function showResults(box, response) {
  box.replaceChildren();
  if (response.timing?.size) {
    const total = [...response.timing.values()].reduce((a, b) => a + b, 0);
    box.append(h("p", `time in the nodes: ${total.toFixed(1)} ms (each node's beside its name)`, { class: "hint run-time" }));
  }
  const top = response.status || {};
  if (top.code !== OK) box.append(h("p", statusText(top), { class: "status-bad" }));
  for (const result of response.results || []) {
    if (result.status && result.status.code !== OK) {
      box.append(h("p", statusText(result.status), { class: "status-bad" }));
    }
    for (const out of result.outputs || []) box.append(output(out, response.timing));
  }
  const raw = h("details", null, { id: "raw-json" });
  raw.append(h("summary", "Raw JSON"), h("pre", withoutMedia(response), { class: "code" }));
  box.append(raw);
}
