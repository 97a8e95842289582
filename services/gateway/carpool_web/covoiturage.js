"use strict";
// The carpool page: meeting places as choices, search and book, offer, and my bookings (answer
// them as the driver, cancel them). A dispatcher acts for the resident named on top.
(() => {
  const TOKEN_KEY = "bocage.covoiturage.token";
  const $ = (id) => document.getElementById(id);
  const state = { token: sessionStorage.getItem(TOKEN_KEY), me: null, places: [] };
  const api = window.Bocage.client(() => state.token, forget);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function notify(text) {
    $("notice").textContent = text;
    $("notice").hidden = !text;
  }

  function forget() {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $("app-view").hidden = true;
    $("who").hidden = $("logout").hidden = true;
    $("login-view").hidden = false;
  }

  const STATUS = {
    pending: "en attente du conducteur", confirmed: "confirmée", declined: "refusée",
    expired: "expirée", cancelled: "annulée", completed: "effectuée",
  };

  function onBehalf() {
    return state.me.role === "resident" ? null : ($("on-behalf").value.trim() || null);
  }

  function place(selectId) {
    return state.places.find((p) => p.place_id === $(selectId).value);
  }

  async function start() {
    state.me = await api("GET", "/auth/me");
    if (!["resident", "dispatcher", "admin"].includes(state.me.role)) {
      forget();
      notify("Cette page est réservée aux habitants et aux régulateurs.");
      return;
    }
    $("who").textContent = state.me.full_name || state.me.username;
    $("who").hidden = $("logout").hidden = false;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    $("on-behalf-box").hidden = state.me.role === "resident";
    state.places = await api("GET", "/carpool/places");
    for (const id of ["search-from", "search-to", "offer-from", "offer-to"]) {
      const select = $(id);
      select.replaceChildren(...state.places.map((p) => {
        const option = el("option", "", p.commune_name ? `${p.name} (${p.commune_name})` : p.name);
        option.value = p.place_id;
        return option;
      }));
    }
    const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
    $("search-date").value = $("offer-date").value = tomorrow;
    await loadBookings();
  }

  async function search(event) {
    event.preventDefault();
    notify("");
    const from = place("search-from");
    const to = place("search-to");
    const body = {
      origin: from.location, destination: to.location,
      origin_label: from.name, destination_label: to.name,
      date: $("search-date").value,
      depart_after: $("search-after").value, depart_before: $("search-before").value,
    };
    const who = onBehalf();
    if (who) body.passenger = who;
    else body.first_name = state.me.full_name || "";
    const answer = await api("POST", "/carpool/requests", body);
    const list = $("matches");
    list.replaceChildren();
    $("no-match").hidden = answer.matches.length > 0;
    for (const match of answer.matches) {
      const item = el("li");
      item.append(el("span", "reason", match.reason), el("br"),
        document.createTextNode(
          `avec ${match.driver_first_name || "un conducteur"}, arrivée ${match.dropoff.time}`));
      const book = el("button", "small", "Réserver");
      book.type = "button";
      book.addEventListener("click", () => guarded(async () => {
        await api("POST", "/carpool/bookings", {
          request_id: answer.request.request_id, offer_id: match.offer_id, date: match.date,
        });
        notify("");
        book.disabled = true;
        book.textContent = "Réservé";
        await loadBookings();
      }));
      item.append(el("br"), book);
      list.append(item);
    }
  }

  async function offer(event) {
    event.preventDefault();
    notify("");
    const from = place("offer-from");
    const to = place("offer-to");
    const body = {
      origin: from.location, destination: to.location,
      origin_label: from.name, destination_label: to.name, date: $("offer-date").value,
      origin_commune: from.commune_insee || undefined,
      destination_commune: to.commune_insee || undefined,
      depart_earliest: $("offer-earliest").value, depart_latest: $("offer-latest").value,
      seats: Number($("offer-seats").value),
    };
    const who = onBehalf();
    if (who) body.driver = who;
    else body.first_name = state.me.full_name || "";
    const made = await api("POST", "/carpool/offers", body);
    $("offered").textContent = `Trajet proposé ${from.name} → ${to.name} le ${made.dates.join(", ")}.`;
    $("offered").hidden = false;
  }

  async function loadBookings() {
    const mine = await api("GET", "/carpool/me");
    const list = $("bookings");
    list.replaceChildren();
    for (const booking of mine.bookings) {
      const driving = booking.driver === state.me.username;
      const item = el("li");
      item.dataset.booking = booking.booking_id;
      item.append(el("span", "", `${booking.date} ${booking.pickup.time} — ${booking.pickup.label}` +
        (driving ? ` — passager : ${booking.passenger_first_name || booking.passenger}` : "")));
      item.append(el("br"), el("span", "status", `Réservation ${STATUS[booking.status]}`));
      const buttons = [];
      if (driving && booking.status === "pending") {
        buttons.push(["Accepter", () => api("POST",
          `/carpool/bookings/${booking.booking_id}/answer`, { accept: true })]);
        buttons.push(["Refuser", () => api("POST",
          `/carpool/bookings/${booking.booking_id}/answer`, { accept: false })]);
      }
      if (booking.status === "pending" || booking.status === "confirmed") {
        buttons.push(["Annuler", () => api("POST", `/carpool/bookings/${booking.booking_id}/cancel`)]);
      }
      for (const [label, action] of buttons) {
        const button = el("button", "secondary small", label);
        button.type = "button";
        button.addEventListener("click", () => guarded(async () => {
          await action();
          await loadBookings();
        }));
        item.append(" ", button);
      }
      list.append(item);
    }
    if (!mine.bookings.length) list.append(el("li", "status", "Aucune réservation."));
  }

  async function guarded(work) {
    try {
      await work();
    } catch (error) {
      notify(error.message);
    }
  }

  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      state.token = await window.Bocage.logIn(api, $("username").value, $("password").value,
        TOKEN_KEY);
      await start();
    });
  });
  $("logout").addEventListener("click", forget);
  $("search-form").addEventListener("submit", (event) => guarded(() => search(event)));
  $("offer-form").addEventListener("submit", (event) => guarded(() => offer(event)));
  $("refresh").addEventListener("click", () => guarded(loadBookings));
  if (state.token) guarded(start);
})();
