// The workflow's YAML, edited in the page: read with js-yaml (vendored), turned into the
// Workflow that PatchWorkflows takes (as Clarifai's SDK turns its YAML into one), and each
// mistake shown at its line: the reader's own, or the server's (status.details lists them
// by node id and key; the server checked the YAML it wrote for the nodes, so its line
// numbers are found again in this text by those names).
import { load } from "./js-yaml.mjs";

export class YamlMistakes extends Error {
  constructor(places) {
    super(places.map((p) => `line ${p.line}: ${p.message}`).join("\n"));
    this.places = places; // [{line, message}]
  }
}

const escape = (s) => String(s).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const indent = (line) => line.length - line.trimStart().length;
const blank = (line) => !line.trim() || line.trimStart().startsWith("#");

function keyLine(lines, key, from, to) {
  const re = new RegExp(`^\\s*(-\\s+)?["']?${escape(key)}["']?\\s*:`);
  for (let i = from; i < to; i++) if (re.test(lines[i])) return i;
  return -1;
}

// [first, end) lines of the node `nodeId`'s list item under `nodes:`, or null
function nodeBlock(lines, nodeId) {
  const nodes = Math.max(0, lines.findIndex((l) => /^\s*nodes\s*:/.test(l)));
  const idRe = new RegExp(`^\\s*(-\\s+)?id\\s*:\\s*["']?${escape(nodeId)}["']?\\s*(#.*)?$`);
  let start = -1;
  for (let i = nodes; i < lines.length && start < 0; i++) if (idRe.test(lines[i])) start = i;
  if (start < 0) return null;
  let first = start; // the item's "- " line: this one, or the nearest one above, less indented
  while (first > nodes && !(/^\s*-\s/.test(lines[first]) && indent(lines[first]) <= indent(lines[start]))) first--;
  const dash = indent(lines[first]);
  let end = start + 1;
  while (end < lines.length && (blank(lines[end]) || indent(lines[end]) > dash)) end++;
  return [first, end];
}

// the 1-based line of one of the server's mistakes ({line, node_id, key, message}) in `text`
export function locate(text, place) {
  const lines = text.split("\n");
  const names = [];
  const param = /param '([^'.]+)/.exec(place.message || "");
  if (param) names.push(param[1]);
  if (place.key) names.push(place.key);
  if (place.key === "params") names.push("output_info");
  let from = 0, to = lines.length, fallback = place.line || 1;
  if (place.node_id) {
    const block = nodeBlock(lines, place.node_id);
    if (block) [from, to, fallback] = [block[0], block[1], block[0] + 1];
  }
  for (const name of names) {
    const at = keyLine(lines, name, from, to);
    if (at >= 0) return at + 1;
  }
  return Math.min(Math.max(1, fallback), lines.length);
}

function required(doc, key, what, text) {
  const value = doc?.[key];
  if (value === undefined || value === null) {
    const at = keyLine(text.split("\n"), key, 0, text.split("\n").length);
    throw new YamlMistakes([{ line: at >= 0 ? at + 1 : 1, message: `${what} needs '${key}'` }]);
  }
  return value;
}

function model(m) {
  const out = { id: String(m.model_id ?? m.id ?? "") };
  for (const k of ["user_id", "app_id", "model_type_id"]) if (m[k]) out[k] = String(m[k]);
  if (m.model_version_id) out.model_version = { id: String(m.model_version_id) };
  if (m.output_info) out.output_info = m.output_info;
  return out;
}

// `text` as the Workflow proto's JSON; a mistake throws YamlMistakes
export function toWorkflow(text, workflowId) {
  let doc;
  try {
    doc = load(text);
  } catch (err) {
    const line = err.mark ? err.mark.line + 1 : 1;
    throw new YamlMistakes([{ line, message: err.reason || err.message }]);
  }
  const lines = text.split("\n");
  const wf = required(doc, "workflow", "the file", text);
  const id = String(required(wf, "id", "workflow", text));
  if (id !== workflowId) {
    const at = keyLine(lines, "id", 0, lines.length);
    throw new YamlMistakes([{ line: at + 1, message:
      `saving makes a new version of workflow '${workflowId}': keep its id (got '${id}')` }]);
  }
  const nodes = required(wf, "nodes", "workflow", text);
  if (!Array.isArray(nodes) || !nodes.length) {
    throw new YamlMistakes([{ line: keyLine(lines, "nodes", 0, lines.length) + 1,
      message: "nodes must be a list with at least one node" }]);
  }
  return { id, nodes: nodes.map((n, i) => {
    if (!n || typeof n !== "object" || !n.model || typeof n.model !== "object") {
      throw new YamlMistakes([{ line: locate(text, { node_id: n?.id, key: "model" }),
        message: `node ${n?.id ?? i + 1} needs a 'model' mapping` }]);
    }
    const node = { id: String(n.id ?? ""), model: model(n.model) };
    if (Array.isArray(n.node_inputs)) node.node_inputs = n.node_inputs.map((x) => ({ node_id: String(x?.node_id ?? "") }));
    if (n.suppress_output) node.suppress_output = true;
    return node;
  }) };
}

// the server's mistakes (status.details) placed in `text`, or null when it gave none
export function serverMistakes(text, status) {
  let places;
  try { places = JSON.parse(status?.details || ""); } catch { return null; }
  if (!Array.isArray(places) || !places.length) return null;
  return new YamlMistakes(places.map((p) => ({ line: locate(text, p), message: p.message })));
}

// a textarea with line numbers, and mistakes marked at their lines
export function showMistakes(textarea, gutter, list, mistakes) {
  const count = textarea.value.split("\n").length;
  const bad = new Map((mistakes?.places || []).map((p) => [p.line, p.message]));
  gutter.replaceChildren(...Array.from({ length: count }, (_, i) => {
    const row = document.createElement("div");
    row.textContent = String(i + 1);
    if (bad.has(i + 1)) { row.className = "bad"; row.title = bad.get(i + 1); }
    return row;
  }));
  list.replaceChildren(...(mistakes?.places || []).map((p) => {
    const item = document.createElement("li");
    item.dataset.line = String(p.line);
    item.textContent = `line ${p.line}: ${p.message}`;
    item.addEventListener("click", () => selectLine(textarea, p.line));
    return item;
  }));
}

function selectLine(textarea, line) {
  const lines = textarea.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  textarea.focus();
  textarea.setSelectionRange(start, start + (lines[line - 1] || "").length);
}
