// The bioner page: models from GET /v1/models, entities from POST /v1/ner,
// highlighted the way displaCy does it (its colours, #ddd for a label without one).
"use strict";

const state = { colors: {}, models: [], last: null };
const $ = (id) => document.getElementById(id);

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function call(url, options) {
  const response = await fetch(url, options);
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : response.statusText;
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

function mark(text, label) {
  const el = document.createElement("mark");
  el.className = "entity";
  el.dataset.label = label;
  el.style.background = state.colors[label] || "#ddd";
  el.append(document.createTextNode(text));
  const tag = document.createElement("span");
  tag.textContent = label;
  el.append(tag);
  return el;
}

function showModelInfo() {
  const model = state.models.find((m) => m.name === $("model").value);
  if (!model) return;
  const f1 = model.f1 === null ? "n/a" : (model.f1 * 100).toFixed(2);
  $("model-info").textContent = `version ${model.version || "?"}, F1 ${f1}, labels: ${model.labels.join(", ")}`;
  $("legend").replaceChildren(...model.labels.map((label) => mark("", label)));
}

async function loadModels() {
  const body = await call("/v1/models");
  state.colors = body.colors;
  state.models = body.models;
  $("model").replaceChildren(...body.models.map((m) => {
    const option = new Option(m.version ? `${m.name} ${m.version}` : m.name, m.name, m.default, m.default);
    return option;
  }));
  $("text").maxLength = body.limits.max_text_chars;
  showModelInfo();
}

// A linked entity's concept ids (a composite has several, joined by "|"), each
// a link to its record (the server gives the URLs); the linker's score after them.
function concept(ent) {
  if (!ent.id) return [document.createTextNode(ent.score === undefined || ent.score === null ? "" : "NIL")];
  const parts = [];
  ent.id.split("|").forEach((id, i) => {
    if (i) parts.push(document.createTextNode(" | "));
    const url = (ent.urls || [])[i];
    if (url) {
      const link = document.createElement("a");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = id;
      parts.push(link);
    } else {
      parts.push(document.createTextNode(id));
    }
  });
  parts.push(document.createTextNode(` (${ent.score.toFixed(2)})`));
  return parts;
}

function render(text, entities) {
  // offsets count code points (Python's str), not UTF-16 units as JS strings do
  const chars = Array.from(text);
  const slice = (start, end) => chars.slice(start, end).join("");
  const parts = [];
  let at = 0;
  for (const ent of entities) {
    parts.push(document.createTextNode(slice(at, ent.start)));
    parts.push(mark(slice(ent.start, ent.end), ent.label));
    at = ent.end;
  }
  parts.push(document.createTextNode(slice(at)));
  $("entities").replaceChildren(...parts);
  $("entity-table").tBodies[0].replaceChildren(...entities.map((ent, i) => {
    const row = document.createElement("tr");
    for (const [value, cls] of [[i + 1, "num"], [ent.text, ""], [ent.label, ""], [ent.start, "num"], [ent.end, "num"]]) {
      const cell = row.insertCell();
      cell.textContent = value;
      if (cls) cell.className = cls;
    }
    row.insertCell().replaceChildren(...concept(ent));
    return row;
  }));
  $("output").hidden = false;
}

async function submit(event) {
  event.preventDefault();
  const text = $("text").value;
  const model = $("model").value;
  showError("");
  $("submit").disabled = true;
  $("status").textContent = "Running...";
  try {
    const body = await call("/v1/ner", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ texts: [text], model }),
    });
    const entities = body.results[0].entities;
    state.last = { model: body.model, version: body.version, text, entities };
    render(text, entities);
    $("status").textContent = `${entities.length} entit${entities.length === 1 ? "y" : "ies"} found by ${body.model}`;
  } catch (err) {
    $("status").textContent = "";
    showError(err.message);
  } finally {
    $("submit").disabled = false;
  }
}

function download() {
  if (!state.last) return;
  const blob = new Blob([JSON.stringify(state.last, null, 2)], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = "entities.json";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

$("ner-form").addEventListener("submit", submit);
$("model").addEventListener("change", showModelInfo);
$("download").addEventListener("click", download);
loadModels().catch((err) => showError(`Cannot list the models: ${err.message}`));
