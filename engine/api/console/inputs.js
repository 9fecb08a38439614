// The app's inputs as a paged grid, listed (ListInputs) or searched (PostInputsSearches):
// filters by dataset, concept, status and metadata; ranked by a text, an image, a concept or
// a stored input ("more like this"). Each image is fetched by GetInput, the call that carries
// an input's bytes.
export const PER_PAGE = 24;

function card(input, thumbnail, score, actions) {
  const box = document.createElement("div");
  box.className = "input-card";
  box.dataset.inputId = input.id;
  const data = input.data || {};
  if (thumbnail) {
    const img = document.createElement("img");
    img.alt = input.id;
    img.src = thumbnail;
    box.append(img);
  } else if (data.image || data.video) {
    box.append(Object.assign(document.createElement("p"), { textContent: data.video ? "video" : "image" }));
  }
  if (data.text?.raw) {
    box.append(Object.assign(document.createElement("p"), { className: "text", textContent: data.text.raw }));
  }
  const id = Object.assign(document.createElement("div"), { className: "id", textContent: input.id });
  box.append(id);
  const status = input.status;
  if (status && status.code !== 30000) { // INPUT_DOWNLOAD_SUCCESS: stored and processed
    box.append(Object.assign(document.createElement("div"), { className: "status-bad",
      textContent: `${status.code}: ${status.description || ""}` }));
  }
  if (score !== undefined) {
    box.append(Object.assign(document.createElement("div"), { className: "score", textContent: `score ${score.toFixed(3)}` }));
  }
  const open = Object.assign(document.createElement("button"), { type: "button", className: "open", textContent: "Open" });
  open.addEventListener("click", () => actions.open(input.id));
  const more = Object.assign(document.createElement("button"), { type: "button", className: "more", textContent: "More like this" });
  more.addEventListener("click", () => actions.more(input.id));
  box.append(open, more);
  return box;
}

const MIME = { "/9j/": "image/jpeg", iVBO: "image/png", R0lG: "image/gif", UklG: "image/webp" };

// an input's image (as GetInput returns it, bytes inline) as a data: URL, or null
export function imageUrl(input) {
  const b64 = input?.data?.image?.base64;
  if (!b64) return null;
  const type = MIME[b64.slice(0, 4)];
  return type ? `data:${type};base64,${b64}` : null; // only formats a browser draws
}

async function thumbnail(api, appPath, input) {
  if (!input.data?.image) return null;
  try {
    const doc = await api("GET", `${appPath}/inputs/${encodeURIComponent(input.id)}`);
    return imageUrl(doc.input);
  } catch {
    return null; // the card still shows the id
  }
}

export async function showInputs(grid, api, appPath, items, actions) {
  const thumbs = await Promise.all(items.map((it) => thumbnail(api, appPath, it.input)));
  grid.replaceChildren(...items.map((it, i) => card(it.input, thumbs[i], it.score, actions)));
}

export async function listPage(api, appPath, page) {
  const doc = await api("GET", `${appPath}/inputs?page=${page}&per_page=${PER_PAGE}`);
  return (doc.inputs || []).map((input) => ({ input }));
}

// a Clarifai query from the form's fields: {ranks, filters, what} (what: words for people),
// or null when nothing is asked (then the inputs are listed); a mistake throws Error
export function buildQuery(fields) {
  const ranks = [], filters = [], what = [];
  if (fields.text) { ranks.push({ annotation: { data: { text: { raw: fields.text } } } }); what.push(`text \u201c${fields.text}\u201d`); }
  if (fields.imageBase64) { ranks.push({ annotation: { data: { image: { base64: fields.imageBase64 } } } }); what.push("an image"); }
  if (fields.likeInput) { ranks.push({ annotation: { input_id: fields.likeInput } }); what.push(`like ${fields.likeInput}`); }
  if (fields.rankConcept) { ranks.push({ annotation: { data: { concepts: [{ name: fields.rankConcept, value: 1 }] } } }); what.push(`concept ${fields.rankConcept}`); }
  if (fields.dataset) { filters.push({ input: { dataset_ids: [fields.dataset] } }); what.push(`in dataset ${fields.dataset}`); }
  if (fields.concept) { filters.push({ annotation: { data: { concepts: [{ name: fields.concept, value: 1 }] } } }); what.push(`with ${fields.concept}`); }
  if (fields.status) { filters.push({ input: { status: { code: Number(fields.status) } } }); what.push(`status ${fields.status}`); }
  if (fields.metadata) {
    let meta;
    try { meta = JSON.parse(fields.metadata); } catch { throw new Error("metadata must be a JSON object, e.g. {\"room\": \"shed\"}"); }
    if (!meta || typeof meta !== "object" || Array.isArray(meta)) throw new Error("metadata must be a JSON object");
    filters.push({ input: { data: { metadata: meta } } });
    what.push(`metadata ${fields.metadata}`);
  }
  if (!ranks.length && !filters.length) return null;
  return { ranks, filters, what: what.join(", ") };
}

export async function searchPage(api, appPath, query, page) {
  const doc = await api("POST", `${appPath}/inputs/searches`, {
    searches: [{ query: { ranks: query.ranks, filters: query.filters } }],
    pagination: { page, per_page: PER_PAGE },
  });
  return (doc.hits || []).filter((h) => h.input).map((h) => ({ input: h.input, score: h.score || 0 }));
}
