// The app's inputs as a paged grid (ListInputs; each image fetched by GetInput, which is
// the call that carries an input's bytes), and a search by text (PostInputsSearches).
export const PER_PAGE = 24;

function card(input, thumbnail, score) {
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

export async function showInputs(grid, api, appPath, items) {
  const thumbs = await Promise.all(items.map((it) => thumbnail(api, appPath, it.input)));
  grid.replaceChildren(...items.map((it, i) => card(it.input, thumbs[i], it.score)));
}

export async function listPage(api, appPath, page) {
  const doc = await api("GET", `${appPath}/inputs?page=${page}&per_page=${PER_PAGE}`);
  return (doc.inputs || []).map((input) => ({ input }));
}

export async function searchPage(api, appPath, text, page) {
  const doc = await api("POST", `${appPath}/inputs/searches`, {
    searches: [{ query: { ranks: [{ annotation: { data: { text: { raw: text } } } }] } }],
    pagination: { page, per_page: PER_PAGE },
  });
  return (doc.hits || []).filter((h) => h.input).map((h) => ({ input: h.input, score: h.score || 0 }));
}
