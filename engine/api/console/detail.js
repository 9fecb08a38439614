// One input: its image drawn with all its annotations by the server (the --draw code), each
// annotation listed with its status, and the input's metadata.
import { imageUrl } from "./inputs.js";

const MAX_ANNOTATIONS = 200;

function h(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

// every annotation's regions and concepts as one Data, to draw at once
function merged(annotations) {
  const data = { regions: [], concepts: [] };
  for (const a of annotations) {
    data.regions.push(...(a.data?.regions || []));
    data.concepts.push(...(a.data?.concepts || []));
  }
  return data;
}

function describe(a) {
  const d = a.data || {};
  const parts = (d.concepts || []).map((c) => `${c.name || c.id} ${(c.value ?? 0).toFixed(2)}`);
  const regions = d.regions || [];
  if (regions.length) parts.push(`${regions.length} region(s): ${regions.flatMap((r) => (r.data?.concepts || []).map((c) => c.name || c.id)).join(", ")}`);
  if (d.text?.raw) parts.push(`\u201c${d.text.raw}\u201d`);
  return parts.join("; ") || "no data";
}

export async function showInputDetail(box, api, appPath, inputId, actions) {
  box.hidden = false;
  box.dataset.inputId = inputId;
  box.replaceChildren(h("p", "loading\u2026", { class: "hint" }));
  const id = encodeURIComponent(inputId);
  const [inputDoc, notesDoc] = await Promise.all([
    api("GET", `${appPath}/inputs/${id}`),
    api("GET", `${appPath}/annotations?input_ids=${id}&per_page=${MAX_ANNOTATIONS}`),
  ]);
  const input = inputDoc.input || {};
  const annotations = notesDoc.annotations || [];
  const close = h("button", "Close", { type: "button", class: "close" });
  close.addEventListener("click", () => { box.hidden = true; box.replaceChildren(); });
  const more = h("button", "More like this", { type: "button", class: "more" });
  more.addEventListener("click", () => actions.more(inputId));
  box.replaceChildren(h("h3", `Input ${inputId}`), close, more);
  const picture = h("div", null, { class: "drawn" });
  box.append(picture);
  const plain = imageUrl(input);
  if (plain) {
    picture.append(h("img", null, { src: plain, alt: inputId }));
    const drawData = merged(annotations);
    if (drawData.regions.length || drawData.concepts.length) {
      const doc = await api("POST", "/console/api/draw", {
        image: { base64: input.data.image.base64 }, outputs: [{ id: inputId, data: drawData }] });
      picture.replaceChildren(h("img", null, { src: `data:image/jpeg;base64,${doc.outputs[0].image.base64}`,
        alt: `${inputId} with its annotations`, class: "annotated" }));
    }
  }
  if (input.data?.text?.raw) box.append(h("p", input.data.text.raw, { class: "text" }));
  const list = h("ul", null, { class: "annotations" });
  for (const a of annotations) {
    const item = h("li", `${a.id} \u2014 ${a.status?.code ?? ""} \u2014 ${describe(a)}`);
    item.dataset.annotationId = a.id;
    list.append(item);
  }
  box.append(h("h4", `${annotations.length} annotation(s)`), list);
  if (input.data?.metadata && Object.keys(input.data.metadata).length) {
    box.append(h("h4", "Metadata"), h("pre", JSON.stringify(input.data.metadata, null, 1), { class: "code" }));
  }
}
