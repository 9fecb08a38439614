// The Inputs tab: the grid (listed or searched, paged), its filters and ranks, an image to
// search by (dropped or picked), "more like this", and one input opened with its annotations.
import { showInputDetail } from "./detail.js";
import { PER_PAGE, buildQuery, listPage, searchPage, showInputs } from "./inputs.js";

const $ = (id) => document.getElementById(id);
const MAX_IMAGE = 20 * 1024 * 1024;

export function setupBrowse(api, appPath, showError) {
  let view = { page: 1, query: null };
  let imageBase64 = null;

  const actions = {
    open: (inputId) => showInputDetail($("input-detail"), api, appPath(), inputId, actions)
      .catch((err) => showError("error", err)),
    more: (inputId) => { clearForm(); run({ likeInput: inputId }); },
  };

  async function page(n) {
    showError("error", null);
    const state = $("inputs-state");
    state.textContent = "loading\u2026";
    let items;
    try {
      items = view.query ? await searchPage(api, appPath(), view.query, n) : await listPage(api, appPath(), n);
    } catch (err) {
      state.textContent = "";
      showError("error", err);
      return;
    }
    view.page = n;
    await showInputs($("inputs-grid"), api, appPath(), items, actions);
    const what = view.query ? `search: ${view.query.what}` : "all inputs";
    state.textContent = items.length ? `${what}, page ${n}` : `${what}: nothing on page ${n}`;
    $("in-page").textContent = `page ${n}`;
    $("in-prev").disabled = n <= 1;
    $("in-next").disabled = items.length < PER_PAGE;
  }

  function run(fields) {
    try {
      view = { page: 1, query: buildQuery(fields) };
    } catch (err) {
      return showError("error", err);
    }
    page(1);
  }

  function fromForm() {
    return {
      text: $("search-text").value.trim(), rankConcept: $("rank-concept").value.trim(), imageBase64,
      dataset: $("f-dataset").value, concept: $("f-concept").value.trim(),
      status: $("f-status").value, metadata: $("f-metadata").value.trim(),
    };
  }

  function clearForm() {
    for (const id of ["search-text", "rank-concept", "f-concept", "f-metadata", "search-image"]) $(id).value = "";
    $("f-dataset").value = "";
    $("f-status").value = "";
    imageBase64 = null;
    $("drop-name").textContent = "";
    delete $("drop").dataset.ready;
  }

  function takeImage(file) {
    if (!file) return;
    if (file.size > MAX_IMAGE) return showError("error", `the image is over ${MAX_IMAGE >> 20} MB`);
    const reader = new FileReader();
    reader.onload = () => {
      imageBase64 = String(reader.result).split(",", 2)[1] || null;
      $("drop-name").textContent = file.name;
      $("drop").dataset.ready = "1";
    };
    reader.readAsDataURL(file);
  }

  async function datasets() {
    const select = $("f-dataset");
    try {
      const doc = await api("GET", `${appPath()}/datasets?per_page=100`);
      const keep = select.value;
      select.replaceChildren(new Option("any", ""), ...(doc.datasets || []).map((d) => new Option(d.id, d.id)));
      select.value = keep;
    } catch {
      /* a token without datasets:read still browses */
    }
  }

  $("search-form").addEventListener("submit", (event) => { event.preventDefault(); run(fromForm()); });
  $("search-clear").addEventListener("click", () => { clearForm(); run({}); });
  $("in-prev").addEventListener("click", () => page(view.page - 1));
  $("in-next").addEventListener("click", () => page(view.page + 1));
  $("search-image").addEventListener("change", (e) => takeImage(e.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    takeImage(e.dataTransfer.files[0]);
  });

  return { show: () => { datasets(); return page(1); } };
}
