// The console's vigilance feeds: what became of each alert of the documents read (drafted for
// which communes, no change, not concerning the territory and why, rejected and why), and, for
// the intercommunality's agents, reading a document. Text is inserted with textContent only.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = "bocage.token";
  const OUTCOMES = {
    drafted: "Brouillon proposé",
    no_change: "Déjà lue, rien de nouveau",
    not_concerned: "Ne concerne pas le territoire",
    rejected: "Refusée",
  };
  const WHY = {
    area_outside: "zone hors du territoire",
    level_too_low: "niveau trop bas",
    test_or_exercise: "test ou exercice",
    scope: "diffusion non publique",
    no_area: "zone non localisable",
  };
  const KINDS = { cap: "CAP", meteofrance: "Météo-France", vigicrues: "Vigicrues" };
  let names = {};

  async function call(method, path, body, type) {
    const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` };
    if (type) headers["Content-Type"] = type;
    const response = await fetch(path, { method, headers, body });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = typeof answer.detail === "string" ? answer.detail : response.statusText;
      throw new Error(`${response.status} : ${detail}`);
    }
    return answer;
  }

  function outcomeItem(outcome) {
    const li = document.createElement("li");
    li.className = `feed-outcome ${outcome.outcome}`;
    li.dataset.outcome = outcome.outcome;
    const head = document.createElement("strong");
    head.textContent = OUTCOMES[outcome.outcome] || outcome.outcome;
    const label = document.createElement("span");
    label.textContent = ` — ${outcome.label}`;
    const detail = document.createElement("div");
    detail.className = "meta";
    if (outcome.outcome === "drafted" || outcome.outcome === "no_change") {
      detail.textContent = "pour " + outcome.communes.map((c) => names[c] || c).join(", ");
    } else {
      const why = outcome.why ? `${WHY[outcome.why] || outcome.why} : ` : "";
      detail.textContent = why + (outcome.reason || "");
    }
    if (outcome.source_language && !outcome.source_language.toLowerCase().startsWith("fr")) {
      detail.textContent += ` (source en ${outcome.source_language})`;
    }
    li.append(head, label, detail);
    return li;
  }

  function ingestItem(record) {
    const li = document.createElement("li");
    const title = document.createElement("div");
    const when = new Date(record.received_at).toLocaleString("fr-FR");
    title.textContent = `${KINDS[record.kind] || record.kind} lu le ${when} par ${record.actor}`;
    const list = document.createElement("ul");
    list.className = "list";
    list.append(...record.outcomes.map(outcomeItem));
    if (record.quiet_elsewhere) {
      const quiet = document.createElement("li");
      quiet.className = "meta";
      quiet.textContent = `${record.quiet_elsewhere} vigilance(s) vertes ailleurs, sans objet ici`;
      list.append(quiet);
    }
    if (!record.outcomes.length && !record.quiet_elsewhere) {
      const empty = document.createElement("li");
      empty.textContent = "Aucune alerte dans ce document.";
      list.append(empty);
    }
    li.append(title, list);
    return li;
  }

  async function refresh() {
    try {
      const records = await call("GET", "/feeds/outcomes?count=5");
      $("feed-outcomes").replaceChildren(...(records.length
        ? records.map(ingestItem)
        : [Object.assign(document.createElement("li"), { textContent: "Aucun document lu." })]));
    } catch (error) {
      $("feed-status").textContent = `Erreur : ${error.message}`;
    }
  }

  async function ingest(event) {
    event.preventDefault();
    const file = $("feed-file").files[0];
    if (!file) return;
    $("feed-status").textContent = "Lecture…";
    try {
      const kind = $("feed-kind").value;
      const answer = await call("POST", `/feeds?kind=${encodeURIComponent(kind)}`, file,
        file.type || "application/octet-stream");
      $("feed-status").textContent =
        `Document lu : ${answer.outcomes.length} alerte(s), ${answer.drafts.length} brouillon(s).`;
      await refresh();
      document.dispatchEvent(new CustomEvent("bocage:drafts-changed"));
    } catch (error) {
      $("feed-status").textContent = `Document refusé — ${error.message}`;
    }
  }

  document.addEventListener("bocage:console-ready", (event) => {
    const { user, tenant } = event.detail;
    names = Object.fromEntries(tenant.communes.map((c) => [c.code, c.name]));
    $("feed-reader").hidden = !["dispatcher", "admin"].includes(user.role);
    refresh();
  });

  document.addEventListener("DOMContentLoaded", () => {
    $("feed-form").addEventListener("submit", ingest);
    $("feed-refresh").addEventListener("click", refresh);
  });
})();
