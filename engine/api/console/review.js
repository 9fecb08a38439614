// Annotations awaiting review (ListAnnotations by status), each beside its input drawn with
// the annotation (by the server, the --draw code), accepted or rejected by setting its status
// (PatchAnnotations, action merge).
import { imageUrl } from "./inputs.js";

export const PER_PAGE = 24;
export const AWAITING_REVIEW = 24157; // ANNOTATION_AWAITING_REVIEW
const ACCEPT = 24150; // ANNOTATION_SUCCESS
const REJECT = 24158; // ANNOTATION_REVIEW_DENIED

function text(tag, content, className = "") {
  return Object.assign(document.createElement(tag), { textContent: content, className });
}

function describe(annotation) {
  const data = annotation.data || {};
  const names = (data.concepts || []).map((c) => `${c.name || c.id} ${(c.value ?? 0).toFixed(2)}`);
  const regions = data.regions || [];
  for (const r of regions) {
    for (const c of r.data?.concepts || []) names.push(`${c.name || c.id} (region)`);
  }
  if (data.text?.raw) names.push(`\u201c${data.text.raw}\u201d`);
  return names.join(", ") || "no concepts";
}

async function decide(api, appPath, annotation, code, box, onDone) {
  box.querySelectorAll("button").forEach((b) => (b.disabled = true));
  try {
    await api("PATCH", `${appPath}/annotations`, {
      action: "merge",
      annotations: [{ id: annotation.id, input_id: annotation.input_id, status: { code } }],
    });
    box.dataset.decided = code === ACCEPT ? "accepted" : "rejected";
    box.replaceChildren(text("p", `${annotation.id}: ${box.dataset.decided}`, "hint"));
    onDone(null);
  } catch (err) {
    box.querySelectorAll("button").forEach((b) => (b.disabled = false));
    onDone(err);
  }
}

// the input's image with the annotation's regions drawn on it, else the image as it is
async function drawn(api, input, annotation) {
  const plain = imageUrl(input);
  if (!plain || !annotation.data?.regions?.length) return plain;
  try {
    const doc = await api("POST", "/console/api/draw", { image: { base64: input.data.image.base64 },
      outputs: [{ id: annotation.id, data: { regions: annotation.data.regions } }] });
    return `data:image/jpeg;base64,${doc.outputs[0].image.base64}`;
  } catch {
    return plain;
  }
}

export async function listAwaiting(api, appPath, page) {
  const query = `statuses.code=${AWAITING_REVIEW}&page=${page}&per_page=${PER_PAGE}`;
  const doc = await api("GET", `${appPath}/annotations?${query}`);
  return doc.annotations || [];
}

export async function showAwaiting(grid, api, appPath, annotations, onDone) {
  const inputs = await Promise.all(annotations.map(async (a) => {
    try {
      const doc = await api("GET", `${appPath}/inputs/${encodeURIComponent(a.input_id)}`);
      return doc.input;
    } catch {
      return null;
    }
  }));
  const thumbs = await Promise.all(inputs.map((input, i) => drawn(api, input, annotations[i])));
  grid.replaceChildren(...annotations.map((a, i) => {
    const box = document.createElement("div");
    box.className = "review-card";
    box.dataset.annotationId = a.id;
    if (thumbs[i]) box.append(Object.assign(document.createElement("img"), { src: thumbs[i], alt: a.input_id, width: 200 }));
    if (inputs[i]?.data?.text?.raw) box.append(text("p", inputs[i].data.text.raw, "text"));
    box.append(text("div", `input ${a.input_id}`, "id"), text("p", describe(a)));
    const accept = text("button", "Accept", "accept");
    const reject = text("button", "Reject", "reject");
    accept.type = reject.type = "button";
    accept.addEventListener("click", () => decide(api, appPath, a, ACCEPT, box, onDone));
    reject.addEventListener("click", () => decide(api, appPath, a, REJECT, box, onDone));
    box.append(accept, reject);
    return box;
  }));
}
