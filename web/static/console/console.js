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
    const minutes = Math.floor(seconds / 60);
    return minutes ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
  }

  function describe(context) {
    if (!context) return "";
    const last = context.derniere_procedure || {};
    const parts = [];
    if (context.procedure_en_cours) parts.push(`en cours : ${context.procedure_en_cours} ${context.siret || ""} (étape ${context.etape || "?"})`);
    if (last.operation) parts.push(`dernière procédure : ${last.operation} ${last.siret || ""} → ${last.outcome}`);
    if (context.evaluation) parts.push(`évaluation : ${context.evaluation.vote} ${context.evaluation.reason || ""} ${context.evaluation.comment || ""}`);
    return parts.join(" · ");
  }

  async function refreshInbox() {
    const { chats, me } = await api("/console/api/chats");
    const live = document.querySelector("#chats tbody");
    const left = document.querySelector("#left-messages tbody");
    live.replaceChildren();
    left.replaceChildren();
    for (const chat of chats) {
      if (chat.status === "message") {
        const row = left.insertRow();
        cell(row, new Date(chat.created_at).toLocaleString("fr-FR"));
        cell(row, chat.login || "non connecté");
        cell(row, chat.message);
        const button = document.createElement("button");
        button.textContent = "Traité";
        button.onclick = () => api(`/console/api/chats/${chat.id}/archive`, { method: "POST" }).then(refreshInbox);
        row.insertCell().append(button);
        continue;
      }
      const row = live.insertRow();
      cell(row, new Date(chat.created_at).toLocaleTimeString("fr-FR"));
      cell(row, since(chat.waiting_seconds));
      cell(row, chat.login || "non connecté");
      cell(row, describe(chat.context));
      cell(row, chat.status === "attente" ? "en attente" : `en cours (${chat.operator === me ? "vous" : chat.operator})`);
      const link = document.createElement("a");
      link.href = `/console/chats/${chat.id}`;
      link.textContent = "Ouvrir";
      row.insertCell().append(link);
    }
  }

  async function refreshChat(id) {
    const { handoff, transcript, me } = await api(`/console/api/chats/${id}`);
    document.getElementById("context").textContent =
      `Utilisateur : ${handoff.login || "non connecté"}\nConversation : ${handoff.conversation_id}\n${describe(handoff.context)}`;
    const list = document.getElementById("transcript");
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 5;
    list.replaceChildren(...transcript.map((line) => {
      const item = document.createElement("li");
      item.className = line.author;
      const author = document.createElement("span");
      author.className = "author";
      author.textContent = line.author === "operateur" ? `${line.name} (conseiller)` :
        line.author === "assistant" ? "ClaudIA" : "Utilisateur";
      item.append(author, document.createTextNode(line.text));
      return item;
    }));
    if (atBottom) list.scrollTop = list.scrollHeight;
    const mine = handoff.status === "en_cours" && handoff.operator === me;
    document.getElementById("take").disabled = handoff.status === "close" || mine;
    document.getElementById("close").disabled = !mine;
    document.querySelector("#reply button").disabled = !mine;
    document.getElementById("chat-state").textContent = {
      attente: "En attente d'un conseiller.",
      en_cours: mine ? "Vous avez cette discussion en charge." : `Prise en charge par ${handoff.operator}.`,
      close: "Discussion clôturée.",
    }[handoff.status] || "";
  }

  function repeat(task) {
    const run = () => task().catch((error) => console.warn(error));
    run();
    setInterval(run, 2000);
  }

  if (document.getElementById("chats")) repeat(refreshInbox);
  const chat = document.getElementById("chat");
  if (chat) {
    const id = chat.dataset.id;
    const act = (path, body) => api(`/console/api/chats/${id}/${path}`, { method: "POST", body: JSON.stringify(body || {}) })
      .then(() => refreshChat(id)).catch((error) => { document.getElementById("chat-state").textContent = error.message; });
    document.getElementById("take").onclick = () => act("take");
    document.getElementById("close").onclick = () => act("close");
    document.getElementById("reply").onsubmit = (event) => {
      event.preventDefault();
      const field = document.getElementById("reply-text");
      act("messages", { text: field.value }).then(() => { field.value = ""; });
    };
    repeat(() => refreshChat(id));
  }
})();
