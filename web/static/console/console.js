// Console pages: refresh lists and transcripts, send the operator's actions.
// Everything from users goes into the page with textContent: never as HTML.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf"]')?.content;

  async function api(path, options = {}) {
    const headers = { "Content-Type": "application/json" };
    if (options.method === "POST") headers["X-CSRF-Token"] = csrf;
    const response = await fetch(path, { credentials: "same-origin", ...options, headers });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.erreur || response.statusText);
    return body;
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

  function describe(context) {
    if (!context) return "";
    const last = context.derniere_procedure || {};
    const parts = [];
    if (context.procedure_en_cours) parts.push(`en cours : ${context.procedure_en_cours} ${context.siret || ""} (étape ${context.etape || "?"})`);
    if (last.operation) parts.push(`dernière procédure : ${last.operation} ${last.siret || ""} → ${last.outcome}`);
    if (context.evaluation) parts.push(`évaluation : ${context.evaluation.vote} ${context.evaluation.reason || ""} ${context.evaluation.comment || ""}`);
    return parts.join(" · ");
  }

  function presence(chat) {
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

  async function refreshInbox() {
    const { chats, tickets, me } = await api("/console/api/chats");
    const live = document.querySelector("#chats tbody");
    live.replaceChildren();
    for (const chat of chats) {
      const row = live.insertRow();
      cell(row, new Date(chat.created_at).toLocaleTimeString("fr-FR"));
      cell(row, since(chat.waiting_seconds));
      cell(row, since(chat.first_answer_seconds));
      cell(row, chat.login || "non connecté");
      cell(row, describe(chat.context));
      const state = chat.status === "attente" ? "en attente" : `en cours (${chat.operator === me ? "vous" : chat.operator})`;
      cell(row, [state, presence(chat)].filter(Boolean).join(" — "));
      row.insertCell().append(link(`/console/chats/${chat.id}`, "Ouvrir"));
    }
    document.getElementById("chats-empty").hidden = chats.length > 0;
    const open = document.querySelector("#tickets-open tbody");
    open.replaceChildren();
    for (const ticket of tickets.open) {
      const row = open.insertRow();
      cell(row, when(ticket.created_at));
      cell(row, ticket.login || "non connecté");
      cell(row, ticket.message);
      row.insertCell().append(link(`/console/tickets/${ticket.id}`, "Répondre"));
    }
    const answered = document.querySelector("#tickets-answered tbody");
    answered.replaceChildren();
    for (const ticket of tickets.answered) {
      const row = answered.insertRow();
      cell(row, when(ticket.created_at));
      cell(row, ticket.login || "non connecté");
      row.insertCell().append(link(`/console/tickets/${ticket.id}`, ticket.message));
      cell(row, `${ticket.answer.text} (${ticket.answer.operator_name})`);
      cell(row, ticket.answer.delivered_at ? "oui" : "pas encore");
    }
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

  async function refreshChat(id) {
    const { handoff, transcript, me } = await api(`/console/api/chats/${id}`);
    setText(document.getElementById("context"),
      `Utilisateur : ${handoff.login || "non connecté"}\nConversation : ${handoff.conversation_id}\n` +
      `Attente : ${since(handoff.waiting_seconds)} · première réponse : ${since(handoff.first_answer_seconds)}\n` +
      describe(handoff.context));
    const list = document.getElementById("transcript");
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 5;
    if (transcript.length < shown) { list.replaceChildren(); shown = 0; }
    list.append(...transcript.slice(shown).map(transcriptLine));
    shown = transcript.length;
    if (atBottom) list.scrollTop = list.scrollHeight;
    const mine = handoff.status === "en_cours" && handoff.operator === me;
    const open = handoff.status === "attente" || handoff.status === "en_cours";
    document.getElementById("take").disabled = !open || mine;
    document.getElementById("close").disabled = !mine;
    document.querySelector("#reply button[type=submit]").disabled = !mine;
    const state = {
      attente: "En attente d'un conseiller.",
      en_cours: mine ? "Vous avez cette discussion en charge." : `Prise en charge par ${handoff.operator}.`,
      close: "Discussion clôturée.",
      annulee: "L'utilisateur ne souhaitait plus attendre : demande annulée.",
      expiree: "Demande expirée : l'utilisateur était parti.",
    }[handoff.status] || "";
    const away = open ? presence(handoff) : "";
    setText(document.getElementById("chat-state"), away ? `${state} Attention : ${away}.` : state);
    setText(document.getElementById("chat-error"), "");
  }

  function repeat(task, showError) {
    const run = () => task().catch((error) => showError ? showError(error) : console.warn(error));
    run();
    setInterval(run, 2000);
  }

  // Canned replies: a click puts the text in the message field, ready to edit or send.
  for (const button of document.querySelectorAll(".canned-reply")) {
    button.addEventListener("click", () => {
      const field = document.getElementById("reply-text") || document.getElementById("answer-text");
      field.value = field.value ? `${field.value}\n${button.dataset.text}` : button.dataset.text;
      field.focus();
    });
  }

  if (document.getElementById("chats")) repeat(refreshInbox);
  const chat = document.getElementById("chat");
  if (chat) {
    const id = chat.dataset.id;
    const errorBox = document.getElementById("chat-error");
    const showError = (error) => setText(errorBox, error.message);
    const act = (path, body) => api(`/console/api/chats/${id}/${path}`, { method: "POST", body: JSON.stringify(body || {}) })
      .then(() => refreshChat(id)).catch(showError);
    document.getElementById("take").onclick = () => act("take");
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
    repeat(() => refreshChat(id), showError);
  }
})();
