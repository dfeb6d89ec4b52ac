// Console pages: refresh lists and transcripts, send the operator's actions.
// Everything from users goes into the page with textContent: never as HTML.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf"]')?.content;

  const TIMEOUT_MS = 10000;

  class ConsoleError extends Error {
    constructor(message, body) { super(message); this.body = body || {}; }
  }

  // Only French reaches the page: anything else (a script's own error) is told in general terms.
  function told(error) {
    return error instanceof ConsoleError ? error.message
      : "La console n'a pas pu se mettre à jour : nouvel essai automatique dans quelques secondes.";
  }

  // What went wrong, in French: never the browser's « Failed to fetch » nor a bare status text.
  function problem(status, polling) {
    if (status === 401) return "Votre session a expiré : rechargez la page pour vous reconnecter.";
    if (status === 403) return "Action refusée : rechargez la page, puis recommencez.";
    if (status === 404) return "Introuvable : cet élément n'existe plus.";
    if (status >= 500) {
      return "Le serveur de la console rencontre une difficulté (redémarrage en cours ?) : " +
        (polling ? "nouvel essai automatique dans quelques secondes." : "réessayez dans un instant.");
    }
    return `La demande n'a pas abouti (erreur ${status}).`;
  }

  async function api(path, options = {}) {
    const headers = { "Content-Type": "application/json" };
    const polling = options.method !== "POST";
    if (!polling) headers["X-CSRF-Token"] = csrf;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(path, { credentials: "same-origin", ...options, headers, signal: controller.signal });
    } catch (error) {  // no answer at all: the server is down, restarting, or the network is gone
      throw new ConsoleError("Le serveur de la console ne répond pas : " + (polling
        ? "nouvel essai automatique dans quelques secondes."
        : "votre action n'a peut-être pas été prise en compte, réessayez dans un instant."));
    } finally {
      clearTimeout(timer);
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new ConsoleError(typeof body.erreur === "string" ? body.erreur : problem(response.status, polling), body);
    return body;
  }

  // Runs `task` every 2 s, then less often while it fails (up to 10 s), and reports both ways.
  function poll(task, failed, recovered) {
    let failures = 0;
    const run = async () => {
      try {
        await task();
        if (failures && recovered) recovered();
        failures = 0;
      } catch (error) {
        failures += 1;
        failed(error);
      }
      setTimeout(run, failures ? Math.min(2000 * 2 ** (failures - 1), 10000) : 2000);
    };
    run();
  }

  // The count of messages waiting for an answer, in front of the page's title: « (3) Discussions ».
  function titleCount(count) {
    const title = document.title.replace(/^\(\d+\) /, "");
    const wanted = count ? `(${count}) ${title}` : title;
    if (document.title !== wanted) document.title = wanted;
  }

  function cell(row, text) {
    const td = row.insertCell();
    td.textContent = text ?? "";
    return td;
  }

  function since(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const minutes = Math.floor(seconds / 60);
    return minutes ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
  }

  function when(iso) { return new Date(iso).toLocaleString("fr-FR"); }

  function setText(element, text) { if (element.textContent !== text) element.textContent = text; }

  function presence(chat) {
    if (chat.user_signed_out) return "l'utilisateur s'est déconnecté du portail";
    if (chat.user_closed_page) return "l'utilisateur a fermé la page";
    if (chat.user_left) return "l'utilisateur ne donne plus de nouvelles";
    return "";
  }

  function link(href, text) {
    const anchor = document.createElement("a");
    anchor.href = href;
    anchor.textContent = text;
    return anchor;
  }

  const PAGE_PARAMETERS = { chats: "page_discussions", open: "page_a_traiter", answered: "page_repondus" };

  // The page of each list shown is in the page's address (?page_a_traiter=3): links, history, reloads.
  function inboxAddress(query) { return `/console/${query ? `?${query}` : ""}`; }

  function pageQuery(changes = {}) {
    const params = new URLSearchParams();
    const current = new URLSearchParams(location.search);
    for (const [listing, name] of Object.entries(PAGE_PARAMETERS)) {
      const page = Number(changes[listing] ?? current.get(name) ?? 1);
      if (page > 1) params.set(name, String(page));
    }
    return params.toString();
  }

  // Replaces a list's rows only when they changed: a link that has the focus keeps it.
  function fill(body, items, addRow) {
    const signature = JSON.stringify(items);
    if (body.dataset.signature === signature) return;
    body.dataset.signature = signature;
    body.replaceChildren();
    for (const item of items) addRow(body.insertRow(), item);
  }

  function pager(nav, info) {
    const signature = `${info.page}/${info.pages}`;
    if (nav.dataset.signature === signature) return;
    nav.dataset.signature = signature;
    nav.hidden = info.pages <= 1;
    const go = (page, text, rel) => {
      const anchor = link(inboxAddress(pageQuery({ [nav.dataset.listing]: page })), text);
      if (rel) anchor.rel = rel;
      return anchor;
    };
    const here = document.createElement("span");
    here.setAttribute("aria-current", "page");
    here.textContent = `Page ${info.page} sur ${info.pages}`;
    const parts = [];
    if (info.page > 1) parts.push(go(1, "Première page"), go(info.page - 1, "Page précédente", "prev"));
    parts.push(here);
    if (info.page < info.pages) parts.push(go(info.page + 1, "Page suivante", "next"), go(info.pages, "Dernière page"));
    nav.replaceChildren(...parts);
  }

  // A request or message left that the user's own messages did not vouch for (claudia/provenance.py).
  function who(item) {
    return (item.login || "non connecté") + (item.verified === false ? " (non vérifié)" : "");
  }

  async function refreshInbox() {
    const { chats, tickets, counts, pages } = await api(`/console/api/chats?${pageQuery()}`);
    fill(document.querySelector("#chats tbody"), chats, (row, chat) => {
      cell(row, new Date(chat.created_at).toLocaleTimeString("fr-FR"));
      cell(row, since(chat.waiting_seconds));
      cell(row, since(chat.first_answer_seconds));
      cell(row, who(chat));
      cell(row, chat.summary);
      cell(row, [chat.state, presence(chat)].filter(Boolean).join(" — "));
      row.insertCell().append(link(`/console/chats/${chat.id}`, "Ouvrir"));
    });
    document.getElementById("chats-empty").hidden = counts.chats > 0;
    fill(document.querySelector("#tickets-open tbody"), tickets.open, (row, ticket) => {
      cell(row, when(ticket.created_at));
      cell(row, who(ticket));
      cell(row, ticket.message);
      row.insertCell().append(link(`/console/tickets/${ticket.id}`, "Répondre"));
    });
    fill(document.querySelector("#tickets-answered tbody"), tickets.answered, (row, ticket) => {
      cell(row, when(ticket.created_at));
      cell(row, who(ticket));
      row.insertCell().append(link(`/console/tickets/${ticket.id}`, ticket.message));
      cell(row, `${ticket.answer.text} (${ticket.answer.operator_name})`);
      cell(row, ticket.answer.delivered_at ? "oui" : "pas encore");
    });
    setText(document.getElementById("chats-count"), `(${counts.waiting} en attente, ${counts.ongoing} en cours)`);
    setText(document.getElementById("open-count"), `(${counts.open})`);
    setText(document.getElementById("answered-count"), `(${counts.answered})`);
    // A page beyond the last (its messages were answered meanwhile) shows the last: say so in the address.
    const query = pageQuery(Object.fromEntries(Object.entries(pages).map(([listing, info]) => [listing, info.page])));
    if (query !== pageQuery()) history.replaceState(null, "", inboxAddress(query));
    for (const nav of document.querySelectorAll("nav.pager")) pager(nav, pages[nav.dataset.listing]);
    titleCount(counts.open);
  }

  let shown = 0;  // transcript lines already in the page: only new ones are added (and announced)

  function transcriptLine(line) {
    const item = document.createElement("div");
    item.className = line.author;
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = line.author === "operateur" ? `${line.name} (conseiller)` :
      line.author === "assistant" ? "ClaudIA" : "Utilisateur";
    item.append(author, document.createTextNode(line.text));
    return item;
  }

  let holder = null;  // who has this chat, when it is not me ({login, name}): taking it is then a take-over

  async function refreshChat(id) {
    const { handoff, transcript, me, unanswered } = await api(`/console/api/chats/${id}`);
    titleCount(unanswered);
    setText(document.getElementById("context"),
      `Utilisateur : ${who(handoff)}\nConversation : ${handoff.conversation_id}\n` +
      `Attente : ${since(handoff.waiting_seconds)} · première réponse : ${since(handoff.first_answer_seconds)}\n` +
      handoff.summary);
    const list = document.getElementById("transcript");
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 5;
    if (transcript.length < shown) { list.replaceChildren(); shown = 0; }
    list.append(...transcript.slice(shown).map(transcriptLine));
    shown = transcript.length;
    if (atBottom) list.scrollTop = list.scrollHeight;
    const mine = handoff.status === "en_cours" && handoff.operator === me;
    const open = handoff.status === "attente" || handoff.status === "en_cours";
    holder = handoff.status === "en_cours" && !mine
      ? { login: handoff.operator, name: handoff.operator_name || handoff.operator } : null;
    const take = document.getElementById("take");
    take.disabled = !open || mine;
    setText(take, holder ? "Reprendre la discussion" : "Prendre en charge");
    document.getElementById("close").disabled = !mine;
    document.querySelector("#reply button[type=submit]").disabled = !mine;
    const state = handoff.state;
    const away = open ? presence(handoff) : "";
    setText(document.getElementById("chat-state"), away ? `${state} Attention : ${away}.` : state);
    setText(document.getElementById("chat-error"), "");
  }

  // Canned replies: a click puts the text in the message field, ready to edit or send.
  for (const button of document.querySelectorAll(".canned-reply")) {
    button.addEventListener("click", () => {
      const field = document.getElementById("reply-text") || document.getElementById("answer-text");
      field.value = field.value ? `${field.value}\n${button.dataset.text}` : button.dataset.text;
      field.focus();
    });
  }

  if (document.getElementById("chats")) {
    // During an outage the list stays as it was, and says so; it comes back by itself.
    const status = document.getElementById("inbox-status");
    let updatedAt = "";
    poll(async () => {
      await refreshInbox();
      updatedAt = new Date().toLocaleTimeString("fr-FR");
    }, (error) => {
      status.classList.add("lost");
      setText(status, told(error) + (updatedAt ? ` La liste ci-dessous date de ${updatedAt}.` : ""));
    }, () => {
      status.classList.remove("lost");
      setText(status, "Connexion rétablie : la liste est à jour.");
      setTimeout(() => { if (!status.classList.contains("lost")) setText(status, ""); }, 5000);
    });
  }
  const chat = document.getElementById("chat");
  if (chat) {
    const id = chat.dataset.id;
    const errorBox = document.getElementById("chat-error");
    const showError = (error) => setText(errorBox, told(error));
    // An action's `info` (a message kept until the assistant is back) stays shown after the refresh.
    const act = (path, body) => api(`/console/api/chats/${id}/${path}`, { method: "POST", body: JSON.stringify(body || {}) })
      .then((answer) => refreshChat(id).catch(showError).then(() => { if (answer.info) setText(errorBox, answer.info); }))
      .catch(showError);
    // Taking a chat another operator has is a separate action, confirmed first; the user is told once.
    const takeOver = (from, name) => {
      const asked = `Cette discussion est prise en charge par ${name}. Voulez-vous la reprendre à sa place ? ` +
        "L'utilisateur sera informé du changement de conseiller.";
      return window.confirm(asked) ? act("take-over", { from }) : refreshChat(id).catch(showError);
    };
    document.getElementById("take").onclick = () => {
      if (holder) return takeOver(holder.login, holder.name);
      return api(`/console/api/chats/${id}/take`, { method: "POST", body: "{}" })
        .then(() => refreshChat(id))
        .catch((error) => {
          showError(error);
          const body = error instanceof ConsoleError ? error.body : {};
          if (body.reprise_possible) takeOver(body.operateur, body.operateur_nom || body.operateur);
        });
    };
    document.getElementById("close").onclick = () => act("close");
    const field = document.getElementById("reply-text");
    const form = document.getElementById("reply");
    form.onsubmit = (event) => {
      event.preventDefault();
      if (!field.value.trim()) return;
      const text = field.value;
      act("messages", { text }).then(() => { if (field.value === text) field.value = ""; });
    };
    // Enter sends, Shift+Enter goes to a new line.
    field.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    poll(() => refreshChat(id), showError);
  }
})();
