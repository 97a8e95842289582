// The mayor's console: compose, preview, send and follow an alert through the gateway's API.
// No framework and no external script; text is inserted with textContent, never as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = "bocage.token";
  const ALERT_ROLES = ["mayor", "dispatcher", "admin"];
  const STATUS_LABELS = {
    pending: "en attente", sending: "en cours d'envoi", accepted: "accepté par l'opérateur",
    queued: "en file", sent: "envoyé", delivered: "remis", undelivered: "non remis",
    failed: "échec", opted_out: "désinscrit", cancelled: "annulé", ringing: "sonnerie",
    "in-progress": "en communication", completed: "appel abouti", busy: "occupé",
    "no-answer": "sans réponse", needs_human: "à rappeler par un agent",
  };
  // Statuses a provider receipt will still change (the rest are final).
  const AWAITING = new Set(["pending", "sending", "accepted", "queued", "sent", "ringing", "in-progress"]);
  const KIND_LABELS = { alert: "Alerte", update: "Mise à jour", end: "Fin d'alerte" };
  const CAMPAIGN_STATUS = {
    draft: "brouillon", sending: "envoi en cours", sent: "envoyée", cancelled: "annulée",
    halted: "interrompue",
  };
  const SEVERITY = { information: "Information", warning: "Vigilance", emergency: "Urgence" };

  const state = { token: sessionStorage.getItem(TOKEN_KEY), user: null, communes: [],
    preview: null, previewSeq: 0, campaign: null, events: null };

  const api = window.Bocage.client(() => state.token, () => forget());

  function notify(text) {
    const notice = $("notice");
    notice.textContent = text;
    notice.hidden = !text;
  }

  function explain(error) {
    const prefix = { 403: "Refusé", 404: "Introuvable", 409: "Impossible maintenant",
      422: "Saisie invalide", 503: "Service indisponible" }[error.status];
    notify(prefix ? `${prefix} : ${error.message}` : `Erreur : ${error.message}`);
  }

  // -- session -------------------------------------------------------------------------------
  function forget() {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.events) state.events.close();
    state.events = null;
    $("app-view").hidden = true;
    $("who").hidden = $("logout").hidden = true;
    $("login-view").hidden = false;
  }

  async function start() {
    const me = await api("GET", "/auth/me");
    if (!ALERT_ROLES.includes(me.role)) {
      forget();
      notify("Cette console est réservée aux maires et aux agents de l'intercommunalité.");
      return;
    }
    state.user = me;
    const tenant = await api("GET", "/tenant");
    state.communes = me.role === "mayor"
      ? tenant.communes.filter((c) => me.communes.includes(c.code))
      : tenant.communes;
    $("who").textContent = `${me.full_name || me.username} — ${tenant.name}`;
    $("who").hidden = $("logout").hidden = false;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    renderCommunes();
    notify("");
    $("title").focus();
    document.dispatchEvent(new CustomEvent("bocage:console-ready", { detail: { user: me, tenant } }));
    await refreshCampaigns();
  }

  async function login(event) {
    event.preventDefault();
    try {
      state.token = await window.Bocage.logIn(
        api, $("username").value, $("password").value, TOKEN_KEY);
      $("password").value = "";
      await start();
    } catch (error) {
      notify(error.status === 401 ? "Identifiant ou mot de passe incorrect." : error.message);
    }
  }

  async function logout() {
    try { await api("POST", "/auth/logout"); } catch (_) { /* the session ends here anyway */ }
    forget();
    $("username").focus();
  }

  // -- compose and preview ----------------------------------------------------------------------
  function renderCommunes() {
    const box = $("communes");
    box.replaceChildren();
    const mine = state.user.role === "mayor";
    for (const commune of state.communes) {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "checkbox";
      input.name = "commune";
      input.value = commune.code;
      input.checked = mine;  // a mayor usually alerts all of their communes
      label.append(input, ` ${commune.name} (${commune.code})`);
      box.append(label);
    }
  }

  function checked(name) {
    return [...document.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
  }

  function request() {
    return {
      title: $("title").value.trim(),
      message: $("message").value,
      severity: $("severity").value,
      // The map module (console_map.js) turns the chosen area into the target.
      target: window.BocageMap
        ? window.BocageMap.target(checked("commune"))
        : { communes: checked("commune") },
      channels: checked("channel"),
    };
  }

  let previewTimer = null;
  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(runPreview, 300);
  }

  async function runPreview() {
    const body = request();
    const ready = body.message.trim() && aimed(body.target) && body.channels.length;
    if (!ready) {
      state.preview = null;
      document.dispatchEvent(new CustomEvent("bocage:preview", { detail: null }));
      $("preview-body").hidden = true;
      $("preview-empty").hidden = false;
      return;
    }
    const seq = ++state.previewSeq;
    try {
      const preview = await api("POST", "/campaigns/preview",
        { ...body, title: body.title || "Aperçu" });
      if (seq !== state.previewSeq) return;  // an older answer arriving late
      state.preview = preview;
      renderPreview(preview, body.message);
    } catch (error) {
      if (seq === state.previewSeq) explain(error);
    }
  }

  function aimed(target) {
    return target.communes.length > 0 || Boolean(target.polygon || target.vigicrues_reach);
  }

  function markForcing(text, forcing) {
    const out = $("pv-marked");
    out.replaceChildren();
    const set = new Set(forcing);
    let plain = "";
    for (const ch of text) {
      if (set.has(ch)) {
        if (plain) out.append(plain);
        plain = "";
        const mark = document.createElement("mark");
        mark.textContent = ch;
        out.append(mark);
      } else {
        plain += ch;
      }
    }
    if (plain) out.append(plain);
  }

  function duration(seconds) {
    if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
    return `${Math.round(seconds / 60)} min`;
  }

  function renderPreview(preview, text) {
    notify("");
    $("preview-empty").hidden = true;
    $("preview-body").hidden = false;
    const encoding = $("pv-encoding");
    encoding.textContent = preview.sms.encoding;
    encoding.className = `badge ${preview.sms.encoding === "GSM-7" ? "gsm" : "ucs"}`;
    $("pv-segments").textContent = preview.sms.segments;
    $("pv-characters").textContent = preview.sms.characters;
    const forcing = preview.sms.forcing_characters;
    $("pv-forcing").hidden = $("pv-marked").hidden = forcing.length === 0;
    $("pv-forcing-list").replaceChildren(...forcing.map((ch) => {
      const mark = document.createElement("mark");
      mark.textContent = ch;
      return mark;
    }));
    markForcing(text, forcing);
    const variant = preview.transliterated_message;
    $("pv-variant").hidden = !variant;
    if (variant) {
      $("pv-variant-text").textContent = variant;
      const sms = preview.transliterated_sms;
      $("pv-variant-info").textContent = `${sms.encoding}, ${sms.segments} SMS par personne`;
    }
    $("pv-people").textContent = preview.people;
    $("pv-sms").textContent = preview.recipients.sms || 0;
    $("pv-voice").textContent = preview.recipients.voice || 0;
    $("pv-total").textContent = preview.sms_segments_total;
    $("pv-time").textContent = duration(preview.estimated_seconds);
    $("pv-cost").textContent = preview.estimated_cost_eur.toLocaleString("fr-FR",
      { style: "currency", currency: "EUR" });
    document.dispatchEvent(new CustomEvent("bocage:preview", { detail: preview }));
  }

  function useVariant() {
    if (!state.preview || !state.preview.transliterated_message) return;
    $("message").value = state.preview.transliterated_message;
    $("message").focus();
    runPreview();
  }

  // -- send with confirmation ------------------------------------------------------------------
  function prepare(event) {
    event.preventDefault();
    const body = request();
    const missing = [];
    if (!body.title) missing.push("un titre");
    if (!body.message.trim()) missing.push("un message");
    if (!aimed(body.target)) missing.push("au moins une commune ou une zone");
    if (!body.channels.length) missing.push("au moins un canal");
    if (missing.length) {
      notify(`Il manque ${missing.join(", ")}.`);
      return;
    }
    const p = state.preview;
    const covered = body.target.communes.length || !p ? body.target.communes : p.area_communes || [];
    const names = state.communes.filter((c) => covered.includes(c.code))
      .map((c) => c.name).join(", ") || "la zone choisie";
    $("confirm-text").textContent = p
      ? `« ${body.title} » (${SEVERITY[body.severity]}) sera envoyée à ${p.people} personne(s) ` +
        `de ${names} : ${p.recipients.sms || 0} par SMS, ${p.recipients.voice || 0} par appel. ` +
        `Coût estimé ${p.estimated_cost_eur.toLocaleString("fr-FR", { style: "currency", currency: "EUR" })}.`
      : `« ${body.title} » sera envoyée à la population de ${names}.`;
    $("confirm").hidden = false;
    $("confirm-send").focus();
  }

  async function confirmSend() {
    const button = $("confirm-send");
    button.disabled = true;
    try {
      const draft = await api("POST", "/campaigns", request());
      const sending = await api("POST", `/campaigns/${draft.campaign_id}/send`);
      $("confirm").hidden = true;
      openLive(sending);
      refreshCampaigns();
    } catch (error) {
      explain(error);
    } finally {
      button.disabled = false;
    }
  }

  function closeConfirm() {
    $("confirm").hidden = true;
    $("prepare").focus();
  }

  // -- live progress -----------------------------------------------------------------------------
  function openLive(campaign) {
    state.campaign = campaign;
    $("live").hidden = false;
    $("live-name").textContent = campaign.request.title;
    $("live-status").textContent = CAMPAIGN_STATUS[campaign.status] || campaign.status;
    $("live-done").hidden = true;
    $("live").scrollIntoView({ block: "start" });
    listen(campaign.campaign_id);
  }

  // EventSource cannot send headers, and the token must never sit in a URL (logs, history):
  // each stream opens with its own ticket, good once within a minute. A dropped stream cannot
  // reuse it, so the page reconnects itself with a fresh ticket.
  async function listen(campaignId) {
    if (state.events) state.events.close();
    state.events = null;
    const path = `/campaigns/${encodeURIComponent(campaignId)}/events`;
    let ticket;
    try {
      ticket = await api("POST", "/auth/stream-ticket", { path });
    } catch (error) {
      notify(`Suivi impossible : ${error.message}`);
      return;
    }
    const events = new EventSource(`${path}?ticket=${encodeURIComponent(ticket.ticket)}`);
    state.events = events;
    events.addEventListener("progress", (e) => renderProgress(JSON.parse(e.data)));
    events.addEventListener("done", (e) => {
      renderProgress(JSON.parse(e.data));
      $("live-done").hidden = false;
      events.close();
      refreshCampaigns();
    });
    events.addEventListener("error", (e) => {
      events.close();
      if (e.data) {  // our own error event
        notify(`Suivi interrompu : ${JSON.parse(e.data).detail}`);
        return;
      }
      // A dropped connection: come back with a new ticket, unless another stream replaced it.
      setTimeout(() => { if (state.events === events) listen(campaignId); }, 3000);
    });
  }

  function renderProgress(live) {
    $("live-status").textContent = CAMPAIGN_STATUS[live.status] || live.status;
    const box = $("live-progress");
    box.replaceChildren();
    const messages = state.campaign ? state.campaign.messages : [];
    for (const p of live.progress) {
      const message = messages.find((m) => m.number === p.message_number);
      const section = document.createElement("div");
      section.className = "message-progress";
      const title = document.createElement("h3");
      const kind = message ? KIND_LABELS[message.kind] : `Message ${p.message_number}`;
      title.textContent = `${kind} — ${p.total} destinataire(s)`;
      const finished = Object.entries(p.by_status)
        .filter(([name]) => !AWAITING.has(name)).reduce((sum, [, n]) => sum + n, 0);
      const bar = document.createElement("progress");
      bar.max = Math.max(p.total, 1);
      bar.value = finished;
      bar.setAttribute("aria-label", `${kind} : ${finished} sur ${p.total} terminés`);
      const counts = document.createElement("ul");
      counts.className = "counts";
      for (const [name, count] of Object.entries(p.by_status)) {
        const item = document.createElement("li");
        item.dataset.status = name;
        item.textContent = `${STATUS_LABELS[name] || name} : ${count}`;
        counts.append(item);
      }
      section.append(title, bar, counts);
      box.append(section);
    }
  }

  async function followUp(kind) {
    const text = $("follow-text").value.trim();
    if (!text) {
      notify("Écrivez le message de suivi avant de l'envoyer.");
      $("follow-text").focus();
      return;
    }
    try {
      const campaign = await api("POST", `/campaigns/${state.campaign.campaign_id}/${kind}`, { text });
      $("follow-text").value = "";
      notify("");
      openLive(campaign);
    } catch (error) {
      explain(error);
    }
  }

  async function cancelCampaign() {
    if (!window.confirm("Annuler les messages qui ne sont pas encore partis ?")) return;
    try {
      const answer = await api("POST", `/campaigns/${state.campaign.campaign_id}/cancel`);
      notify(`${answer.cancelled_sends} envoi(s) annulé(s).`);
      openLive(answer.campaign);
      refreshCampaigns();
    } catch (error) {
      explain(error);
    }
  }

  async function downloadReport() {
    // A plain link cannot carry the bearer token: fetch it, then hand the file to the browser.
    const id = state.campaign.campaign_id;
    try {
      const text = await api("GET", `/campaigns/${id}/report.csv`);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
      link.download = `rapport-${id}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    } catch (error) {
      explain(error);
    }
  }

  // -- campaign lists ----------------------------------------------------------------------------
  function campaignItem(campaign, label, onClick) {
    const item = document.createElement("li");
    const text = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = campaign.request.title;
    const meta = document.createElement("div");
    meta.className = "meta";
    const when = new Date(campaign.created_at).toLocaleString("fr-FR");
    meta.textContent = `${SEVERITY[campaign.request.severity]} · ` +
      `${CAMPAIGN_STATUS[campaign.status] || campaign.status} · ${when}` +
      (campaign.source ? ` · source : ${campaign.source}` : "");
    text.append(title, meta);
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.addEventListener("click", () => onClick(campaign, button));
    item.append(text, button);
    return item;
  }

  async function approve(campaign, button) {
    const ok = window.confirm(`Envoyer maintenant « ${campaign.request.title} » ?`);
    if (!ok) return;
    button.disabled = true;
    try {
      openLive(await api("POST", `/campaigns/${campaign.campaign_id}/send`));
      refreshCampaigns();
    } catch (error) {
      explain(error);
      button.disabled = false;
    }
  }

  async function follow(campaign) {
    try {
      const detail = await api("GET", `/campaigns/${campaign.campaign_id}`);
      openLive(detail.campaign);
    } catch (error) {
      explain(error);
    }
  }

  async function refreshCampaigns() {
    try {
      const campaigns = await api("GET", "/campaigns");
      const drafts = campaigns.filter((c) => c.status === "draft" && c.source);
      const recent = campaigns.filter((c) => !(c.status === "draft" && c.source)).slice(0, 10);
      const none = (text) => {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      };
      $("drafts").replaceChildren(...(drafts.length
        ? drafts.map((c) => campaignItem(c, "Approuver et envoyer", approve))
        : [none("Aucun brouillon en attente.")]));
      $("recent").replaceChildren(...(recent.length
        ? recent.map((c) => campaignItem(c, "Suivre", follow))
        : [none("Aucune alerte pour l'instant.")]));
    } catch (error) {
      explain(error);
    }
  }

  // -- wiring ------------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    const form = $("compose-form");
    form.addEventListener("input", schedulePreview);
    form.addEventListener("change", schedulePreview);
    form.addEventListener("submit", prepare);
    $("use-variant").addEventListener("click", useVariant);
    $("confirm-send").addEventListener("click", confirmSend);
    $("confirm-cancel").addEventListener("click", closeConfirm);
    $("confirm").addEventListener("keydown", (e) => { if (e.key === "Escape") closeConfirm(); });
    $("send-update").addEventListener("click", () => followUp("update"));
    $("send-end").addEventListener("click", () => followUp("end"));
    $("cancel-campaign").addEventListener("click", cancelCampaign);
    $("download-report").addEventListener("click", downloadReport);
    $("refresh").addEventListener("click", refreshCampaigns);
    document.addEventListener("bocage:drafts-changed", refreshCampaigns);
    if (state.token) {
      start().catch(() => forget());
    } else {
      forget();
    }
  });
})();
