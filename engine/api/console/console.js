// The console: sign in with a token, then call Clarifai's V2 REST paths on this server with
// `Authorization: Key <token>` like any other client.
import { serverMistakes, showMistakes, toWorkflow, YamlMistakes } from "./editor.js";
import { drawGraph, toYaml } from "./graph.js";
import { setupBrowse } from "./browse.js";
import { drawOutputs, showResults } from "./results.js";
import { PER_PAGE as REVIEW_PER_PAGE, listAwaiting, showAwaiting } from "./review.js";

const OK = 10000;
// its base64 (4/3 of it) in JSON stays under the server's default request limit (32 MB)
const MAX_UPLOAD = 20 * 1024 * 1024;
const PER_PAGE = 50;
const $ = (id) => document.getElementById(id);
let session = null; // {token, user, app}
let wfPage = 1;
let current = null; // {workflow, versions, version}
let browse = null; // the Inputs tab

class ApiError extends Error {
  constructor(message, status = null) {
    super(message);
    this.status = status; // the answer's status, when there was one
  }
}

// `partial`: a run whose inputs or nodes failed still answers its results (Clarifai's
// FAILURE / MIXED_STATUS): they are shown, each with its own status
async function api(method, path, body, partial = false) {
  const headers = { "Content-Type": "application/json" };
  if (session?.token) headers.Authorization = `Key ${session.token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  } catch (e) {
    throw new ApiError(`the server did not answer (${e.message})`);
  }
  let doc = null;
  try { doc = await res.json(); } catch { /* not JSON: reported below */ }
  const timing = res.headers.get("server-timing");
  if (timing && doc) Object.defineProperty(doc, "timing", { value: nodeTimes(timing) });
  const status = doc?.status;
  if (partial && status && Array.isArray(doc.results) && doc.results.length) return doc;
  if (!status || status.code !== OK) {
    throw new ApiError(status ? `${status.code}: ${status.description || ""}` : `HTTP ${res.status}`, status);
  }
  return doc;
}

// Server-Timing ("node0;desc=\"<id, percent-encoded>\";dur=<ms>, ...") as node id -> ms
function nodeTimes(header) {
  const times = new Map();
  for (const m of header.matchAll(/desc="([^"]*)";dur=([0-9.]+)/g)) {
    try { times.set(decodeURIComponent(m[1]), Number(m[2])); } catch { /* not ours */ }
  }
  return times;
}

const appPath = () =>
  `/v2/users/${encodeURIComponent(session.user)}/apps/${encodeURIComponent(session.app)}`;

function showError(where, err) {
  $(where).textContent = err ? String(err.message || err) : "";
}

// the user's apps (ListApps), or [] when the token may not list them
async function userApps(user) {
  try {
    const doc = await api("GET", `/v2/users/${encodeURIComponent(user)}/apps?per_page=1000`);
    return (doc.apps || []).map((a) => a.id);
  } catch {
    return [];
  }
}

async function signIn(candidate) {
  session = candidate;
  try {
    const apps = await userApps(candidate.user);
    if (!candidate.app) {
      // no app named: the user's first, once the server has accepted the token
      if (!apps.length) await api("GET", `/v2/users/${encodeURIComponent(candidate.user)}/apps?per_page=1`);
      if (!apps.length) throw new ApiError("this user has no apps: name one, or make one first");
      candidate.app = apps[0];
    }
    await api("GET", `${appPath()}/workflows?page=1&per_page=1`);
    fillAppPicker(apps, candidate.app);
  } catch (err) {
    session = null;
    sessionStorage.removeItem("opgraph-console");
    showError("signin-error", err);
    return;
  }
  sessionStorage.setItem("opgraph-console", JSON.stringify(candidate));
  showError("signin-error", null);
  $("signin").hidden = true;
  $("main").hidden = false;
  $("signout").hidden = false;
  $("who").textContent = `${candidate.user} /`;
  current = null;
  $("workflow").hidden = true;
  $("input-detail").hidden = true;
  await listWorkflows(1);
}

function fillAppPicker(apps, chosen) {
  const picker = $("app-picker");
  const ids = apps.includes(chosen) ? apps : [chosen, ...apps];
  picker.replaceChildren(...ids.map((id) => new Option(id, id)));
  picker.value = chosen;
  $("app-pick").hidden = false;
}

async function switchApp(appId) {
  if (!session || appId === session.app) return;
  const tab = document.querySelector("#tabs button.active")?.dataset.tab || "workflows";
  await signIn({ ...session, app: appId });
  if (session) showTab(tab);
}

function signOut() {
  sessionStorage.removeItem("opgraph-console");
  session = null;
  location.reload();
}

async function listWorkflows(page) {
  showError("error", null);
  let doc;
  try {
    doc = await api("GET", `${appPath()}/workflows?page=${page}&per_page=${PER_PAGE}`);
  } catch (err) {
    showError("error", err);
    return;
  }
  wfPage = page;
  const found = doc.workflows || [];
  const list = $("workflows");
  list.replaceChildren();
  for (const wf of found) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = wf.id;
    button.dataset.workflowId = wf.id;
    button.addEventListener("click", () => openWorkflow(wf, button));
    item.append(button);
    list.append(item);
  }
  if (!found.length) list.textContent = page === 1 ? "this app has no workflows" : "no more";
  $("wf-page").textContent = `page ${page}`;
  $("wf-prev").disabled = page <= 1;
  $("wf-next").disabled = found.length < PER_PAGE;
}

async function openWorkflow(wf, button) {
  showError("error", null);
  document.querySelectorAll("#workflows button.active").forEach((b) => b.classList.remove("active"));
  button?.classList.add("active");
  let doc;
  try {
    doc = await api("GET", `${appPath()}/workflows/${encodeURIComponent(wf.id)}/versions?per_page=100`);
  } catch (err) {
    showError("error", err);
    return;
  }
  const versions = doc.workflow_versions || [];
  current = { workflow: wf, versions, version: null };
  const select = $("versions");
  select.replaceChildren();
  for (const v of versions) {
    const option = document.createElement("option");
    option.value = v.id;
    option.textContent = `${v.id}${v.id === wf.version?.id ? " (current)" : ""}${v.created_at ? " \u2013 " + v.created_at : ""}`;
    select.append(option);
  }
  select.value = wf.version?.id || versions[0]?.id || "";
  $("wf-title").textContent = wf.id;
  $("workflow").hidden = false;
  $("results").replaceChildren();
  showVersion(select.value);
}

function showVersion(versionId) {
  const version = current.versions.find((v) => v.id === versionId) || current.workflow.version;
  current.version = version || null;
  const nodes = version?.nodes || current.workflow.nodes || [];
  $("node-params").textContent = "click a node to see its params";
  drawGraph($("graph"), nodes, (node) => {
    $("node-params").textContent = JSON.stringify(
      { id: node.id, model: node.model, node_inputs: node.node_inputs || [] }, null, 2);
  });
  $("yaml").value = toYaml(current.workflow.id, nodes);
  $("save-state").textContent = "";
  markMistakes(null);
}

function markMistakes(mistakes) {
  showMistakes($("yaml"), $("yaml-gutter"), $("yaml-errors"), mistakes);
}

// the edited YAML saved as the workflow's new version (PatchWorkflows: every patch is one)
async function saveVersion() {
  if (!current) return;
  const text = $("yaml").value;
  markMistakes(null);
  let workflow;
  try {
    workflow = toWorkflow(text, current.workflow.id);
  } catch (err) {
    if (err instanceof YamlMistakes) return markMistakes(err);
    throw err;
  }
  $("save-state").textContent = "saving\u2026";
  $("save").disabled = true;
  try {
    const doc = await api("PATCH", `${appPath()}/workflows`, { action: "merge", workflows: [workflow] });
    const saved = doc.workflows[0];
    await listWorkflows(wfPage); // the list's buttons hold each workflow's current version
    const button = document.querySelector(`#workflows button[data-workflow-id="${CSS.escape(saved.id)}"]`);
    await openWorkflow(saved, button);
    $("save-state").textContent = `saved as version ${saved.version?.id || ""}`;
  } catch (err) {
    $("save-state").textContent = "not saved";
    const placed = err instanceof ApiError ? serverMistakes(text, err.status) : null;
    if (placed) markMistakes(placed);
    else showError("error", err);
  } finally {
    $("save").disabled = false;
  }
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new Error("the file could not be read"));
    reader.readAsDataURL(file);
  });
}

// a file dropped on the try-it form goes to the image or video picker, by its type
function dropInto(form) {
  form.addEventListener("dragover", (e) => { e.preventDefault(); form.classList.add("over"); });
  form.addEventListener("dragleave", () => form.classList.remove("over"));
  form.addEventListener("drop", (e) => {
    e.preventDefault();
    form.classList.remove("over");
    const files = e.dataTransfer.files;
    const kind = files[0]?.type.startsWith("video/") ? "video" : "image";
    if (!files.length) return;
    $(`try-${kind}`).files = files;
    document.querySelector(`input[name=kind][value=${kind}]`).checked = true;
  });
}

async function runWorkflow(event) {
  event.preventDefault();
  if (!current) return;
  const kind = document.querySelector("input[name=kind]:checked").value;
  let data, media = { kind };
  if (kind === "image" || kind === "video") {
    const file = $(`try-${kind}`).files[0];
    if (!file) return showError("error", `choose ${kind === "image" ? "an image" : "a video"} first`);
    if (file.size > MAX_UPLOAD) return showError("error", `the ${kind} is over ${MAX_UPLOAD >> 20} MB`);
    media.base64 = await readFile(file);
    media.sampleMs = Math.max(100, Number($("sample-ms").value) || 1000);
    data = { [kind]: { base64: media.base64 } };
  } else {
    const raw = $("try-text").value;
    if (!raw.trim()) return showError("error", "type a text first");
    data = { text: { raw } };
  }
  showError("error", null);
  $("run-state").textContent = "running\u2026";
  $("results").replaceChildren();
  $("run").disabled = true;
  const wf = encodeURIComponent(current.workflow.id);
  const version = current.version ? `/versions/${encodeURIComponent(current.version.id)}` : "";
  const body = { inputs: [{ data }] };
  if (kind === "video") body.output_config = { sample_ms: media.sampleMs };
  try {
    const doc = await api("POST", `${appPath()}/workflows/${wf}${version}/results`, body, true);
    showResults($("results"), doc);
    $("run-state").textContent = kind === "text" ? "done" : "drawing\u2026";
    if (kind !== "text") {
      await drawOutputs($("results"), doc, media, (req) => api("POST", "/console/api/draw", req));
      $("run-state").textContent = "done";
    }
  } catch (err) {
    $("run-state").textContent = "";
    showError("error", err);
  } finally {
    $("run").disabled = false;
  }
}

let reviewPage = 1;

async function showReviewPage(page) {
  showError("error", null);
  const state = $("review-state");
  state.textContent = "loading\u2026";
  let found;
  try {
    found = await listAwaiting(api, appPath(), page);
  } catch (err) {
    state.textContent = "";
    showError("error", err);
    return;
  }
  reviewPage = page;
  await showAwaiting($("review-grid"), api, appPath(), found, (err) => showError("error", err));
  state.textContent = found.length
    ? `${found.length} annotation(s) awaiting review on page ${page}`
    : `nothing awaiting review on page ${page}`;
  $("rv-page").textContent = `page ${page}`;
  $("rv-prev").disabled = page <= 1;
  $("rv-next").disabled = found.length < REVIEW_PER_PAGE;
}

function showTab(name) {
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((t) => (t.hidden = t.id !== `tab-${name}`));
  if (name === "inputs") browse.show();
  if (name === "review") showReviewPage(1);
}

function start() {
  document.querySelectorAll("#tabs button").forEach((b) =>
    b.addEventListener("click", () => showTab(b.dataset.tab)));
  browse = setupBrowse(api, appPath, showError);
  $("rv-prev").addEventListener("click", () => showReviewPage(reviewPage - 1));
  $("rv-next").addEventListener("click", () => showReviewPage(reviewPage + 1));
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn({ token: $("token").value.trim(), user: $("user").value.trim(), app: $("app").value.trim() });
  });
  $("signout").addEventListener("click", signOut);
  $("app-picker").addEventListener("change", (e) => switchApp(e.target.value));
  $("wf-prev").addEventListener("click", () => listWorkflows(wfPage - 1));
  $("wf-next").addEventListener("click", () => listWorkflows(wfPage + 1));
  $("versions").addEventListener("change", (e) => showVersion(e.target.value));
  $("try-form").addEventListener("submit", runWorkflow);
  dropInto($("try-form"));
  $("save").addEventListener("click", saveVersion);
  $("yaml").addEventListener("input", () => markMistakes(null));
  $("yaml").addEventListener("scroll", () => { $("yaml-gutter").scrollTop = $("yaml").scrollTop; });
  const saved = sessionStorage.getItem("opgraph-console");
  if (saved) {
    try { signIn(JSON.parse(saved)); } catch { sessionStorage.removeItem("opgraph-console"); }
  }
}

start();
