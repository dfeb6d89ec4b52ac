// ClaudIA's chat panel. Talks only to this site (/chat/...), which adds the signed
// token and the conversation id on the server. Every text goes in with textContent.
"use strict";
(function () {
  const panel = document.getElementById("chat-panel");
  if (!panel) return;
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const list = document.getElementById("messages");
  const typing = document.getElementById("typing");
  const input = document.getElementById("chat-input");
  const opener = document.getElementById("open-chat");
  let lastPushed = 0;
  let started = false;
  let poller = null;

  async function call(method, path, body) {
    const response = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => null);
    if (response.status === 401) throw new Error("Votre session a expiré : reconnectez-vous au portail.");
    if (!response.ok && !Array.isArray(data)) throw new Error("Le service est momentanément indisponible. Réessayez dans un instant.");
    return data;
  }

  function scroll() { list.scrollTop = list.scrollHeight; }

  function addLine(author, text, label) {
    const item = document.createElement("li");
    item.className = `message ${author}`;
    if (label) {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = label;
      item.append(who);
    }
    const body = document.createElement("p");
    body.textContent = text;
    item.append(body);
    list.append(item);
    scroll();
    return item;
  }

  function addChoices(item, buttons) {
    if (!buttons || !buttons.length) return;
    const group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    for (const button of buttons) {
      const choice = document.createElement("button");
      choice.type = "button";
      choice.textContent = button.title;
      if (/^\/evaluer_/.test(button.payload)) choice.classList.add("vote");
      choice.addEventListener("click", () => {
        for (const other of group.querySelectorAll("button")) other.disabled = true;
        choice.setAttribute("aria-pressed", "true");
        send(button.payload, button.title);
      });
      group.append(choice);
    }
    item.append(group);
    scroll();
  }

  function showReplies(replies) {
    for (const reply of replies || []) {
      if (!reply.text && !(reply.buttons || []).length) continue;
      const item = addLine("assistant", reply.text || "", "ClaudIA");
      addChoices(item, reply.buttons);
    }
  }

  function showPushed(messages) {
    for (const message of messages || []) {
      lastPushed = Math.max(lastPushed, message.id);
      const person = message.author === "operateur";
      const item = addLine(person ? "operateur" : "assistant", message.text,
        person ? `${message.operator_name || "Conseiller"} · conseiller du support` : "ClaudIA");
      addChoices(item, message.buttons);
    }
  }

  async function send(text, shown) {
    const message = text.trim();
    if (!message) return;
    addLine("user", shown || message, "Vous");
    typing.hidden = false;
    try {
      showReplies(await call("POST", "/chat/messages", { message }));
    } catch (error) {
      addLine("error", error.message);
    } finally {
      typing.hidden = true;
      input.focus();
    }
  }

  async function poll() {
    try {
      const data = await call("GET", `/chat/updates?after=${lastPushed}`);
      if (data && data.messages) showPushed(data.messages);
      const live = data && data.live_chat;
      panel.classList.toggle("live", Boolean(live));
      const status = document.getElementById("live-status");
      status.hidden = !live;
      status.textContent = !live ? "" : live.status === "en_cours"
        ? "Vous êtes en relation avec un conseiller du support." : "Un conseiller va vous rejoindre…";
    } catch (error) { /* the next poll will try again */ }
  }

  function open() {
    panel.hidden = false;
    opener.setAttribute("aria-expanded", "true");
    input.focus();
    if (!poller) poller = setInterval(poll, 2000);
    if (!started) { started = true; send("Bonjour"); }
  }

  function close() {
    panel.hidden = true;
    opener.setAttribute("aria-expanded", "false");
    clearInterval(poller);
    poller = null;
    opener.focus();
  }

  opener.addEventListener("click", open);
  document.getElementById("close-chat").addEventListener("click", close);
  panel.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  document.getElementById("new-chat").addEventListener("click", async () => {
    await call("POST", "/chat/nouvelle");
    list.replaceChildren();
    lastPushed = 0;
    send("Bonjour");
  });
  document.getElementById("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";
    send(text);
  });
})();
