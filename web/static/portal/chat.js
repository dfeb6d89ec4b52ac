// ClaudIA's chat panel. Talks only to this site (/chat/...), which adds the signed
// token and the conversation id on the server. Every text goes in with textContent;
// only https links to the official documentation become links.
"use strict";
(function () {
  const panel = document.getElementById("chat-panel");
  if (!panel) return;
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const list = document.getElementById("messages");
  const typing = document.getElementById("typing");
  const alertBox = document.getElementById("chat-alert");
  const input = document.getElementById("chat-input");
  const opener = document.getElementById("open-chat");
  const unread = document.getElementById("unread");
  const stopWaiting = document.getElementById("stop-waiting");
  const endChat = document.getElementById("end-chat");
  const STOP_WAITING = "Ne plus attendre";
  const LINK_HOSTS = ["communaute.chorus-pro.gouv.fr", "chorus-pro.gouv.fr", "portail.chorus-pro.gouv.fr"];
  const TIMEOUT_MS = 10000;
  const UNREACHABLE = "ClaudIA est momentanément indisponible. Réessayez dans quelques instants.";
  // Slow, not lost: the message is sent again with the same id until its answer comes, and is
  // answered once (the server keeps the answer of an id it has seen).
  const SLOW = "ClaudIA met trop de temps à répondre : votre message est bien reçu, sa réponse " +
    "s'affichera ici dès qu'elle sera prête.";
  const SLOW_NEWS = "ClaudIA met trop de temps à répondre : nouvel essai automatique dans quelques instants.";
  const FOLLOW_UP_MS = 3000;
  const FOLLOW_UPS = 20;
  const tabs = "BroadcastChannel" in window ? new BroadcastChannel("claudia-chat") : null;
  let lastPushed = 0;
  let loaded = false;
  let outOfSync = false;
  let unreadCount = 0;
  let baseline = false;
  let conversation = null;  // which conversation is shown (the account's may change in another browser)
  let liveStatus = null;  // attente | en_cours | null: buttons of a past state are disabled

  async function call(method, path, body) {
    const slow = path === "/chat/messages" ? SLOW : SLOW_NEWS;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(path, {
        method, credentials: "same-origin", signal: abort.signal,
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      throw Object.assign(new Error(error.name === "AbortError" ? slow : UNREACHABLE),
        { slow: error.name === "AbortError" });
    } finally {
      clearTimeout(timer);
    }
    const data = await response.json().catch(() => null);
    if (response.status === 401) throw new Error("Votre session a expiré : reconnectez-vous au portail.");
    if (response.status === 504) throw Object.assign(new Error(slow), { slow: true });
    if (!response.ok && !Array.isArray(data)) throw new Error((data && data.erreur) || UNREACHABLE);
    return data;
  }

  function newClientId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  // The answer to a message (a list), or null while the assistant is still on it (slow, or 202).
  async function deliver(message, clientId) {
    try {
      const data = await call("POST", "/chat/messages", { message, client_id: clientId });
      return Array.isArray(data) ? data : null;
    } catch (error) {
      if (error.slow) return null;
      throw error;
    }
  }

  async function answered(replies) {
    const fresh = await news();  // the place in the queue, or the end of the wait, with the answer
    showReplies(replies);
    showAlert("");
    await poll(fresh);
    if (tabs) tabs.postMessage("changed");
  }

  // Asks again for the answer of a slow message (same id: never handled twice).
  function followUp(message, clientId, attempt) {
    if (attempt > FOLLOW_UPS) { outOfSync = true; return; }  // the next poll shows the conversation as it is
    setTimeout(async () => {
      let replies = null;
      try { replies = await deliver(message, clientId); } catch (error) { /* away for now: ask again */ }
      if (replies) await answered(replies); else followUp(message, clientId, attempt + 1);
    }, FOLLOW_UP_MS);
  }

  function showAlert(text) { alertBox.textContent = text || ""; }

  function scroll() { list.scrollTop = list.scrollHeight; }

  // Text with the documentation's https links as <a>, everything else as text nodes.
  function withLinks(paragraph, text) {
    const pattern = /https:\/\/[^\s«»"<>]+/g;
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      const url = match[0].replace(/[.,;:!?)]+$/, "");
      let host = "";
      try { host = new URL(url).hostname; } catch (error) { continue; }
      if (!LINK_HOSTS.includes(host)) continue;
      paragraph.append(document.createTextNode(text.slice(last, match.index)));
      const link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      paragraph.append(link);
      last = match.index + url.length;
    }
    paragraph.append(document.createTextNode(text.slice(last)));
  }

  function addLine(author, text, label) {
    const item = document.createElement("div");
    item.className = `message ${author}`;
    if (label) {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = label;
      item.append(who);
    }
    const body = document.createElement("p");
    if (author === "user") body.textContent = text; else withLinks(body, text);
    item.append(body);
    list.append(item);
    scroll();
    return item;
  }

  function disableAllChoices() {
    for (const button of list.querySelectorAll(".choices button")) button.disabled = true;
  }

  function addChoices(item, buttons, state) {
    if (!buttons || !buttons.length) return;
    disableAllChoices();
    const group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Réponses proposées");
    for (const button of buttons) {
      const choice = document.createElement("button");
      choice.type = "button";
      choice.textContent = button.title;
      if (/^\/evaluer_/.test(button.payload)) choice.classList.add("vote");
      if (state && state.chosen === button.payload) choice.setAttribute("aria-pressed", "true");
      choice.disabled = Boolean(state && !state.active) || (button.title === STOP_WAITING && liveStatus !== "attente");
      if (button.title === STOP_WAITING) choice.classList.add("stop-waiting-choice");
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

  function operatorLabel(name) { return `${name || "Conseiller"} · conseiller du support`; }

  function showHistory(data) {
    liveStatus = data.live_chat ? data.live_chat.status : null;
    list.replaceChildren();
    for (const line of data.messages || []) {
      if (line.author === "utilisateur") { addLine("user", line.text, "Vous"); continue; }
      const person = line.author === "operateur";
      const item = addLine(person ? "operateur" : "assistant", line.text,
        person ? operatorLabel(line.operator_name) : "ClaudIA");
      addChoices(item, line.buttons, line);
    }
    lastPushed = Math.max(lastPushed, data.last_pushed || 0);
    conversation = data.conversation || conversation;
    showLive(data.live_chat);
    loaded = true;
    outOfSync = false;
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
        person ? operatorLabel(message.operator_name) : "ClaudIA");
      addChoices(item, message.buttons);
      if (panel.hidden) unreadCount += 1;
    }
    showUnread();
  }

  function showUnread() {
    unread.hidden = unreadCount === 0;
    unread.textContent = unreadCount === 0 ? "" : ` (${unreadCount} ${unreadCount > 1 ? "nouveaux messages" : "nouveau message"})`;
  }

  function showLive(live) {
    liveStatus = live ? live.status : null;
    panel.classList.toggle("live", Boolean(live));
    const status = document.getElementById("live-status");
    status.hidden = !live;
    stopWaiting.hidden = !live || live.status !== "attente";
    endChat.hidden = !live || live.status !== "en_cours";
    // « Ne plus attendre » in the messages belongs to the wait: not once an operator joined or it ended.
    for (const button of list.querySelectorAll(".stop-waiting-choice")) {
      if (liveStatus !== "attente") button.disabled = true;
    }
    let text = "";
    if (live && live.status === "en_cours") text = "Vous êtes en relation avec un conseiller du support.";
    else if (live && live.position) {
      const rank = live.position === 1 ? "1er" : `${live.position}e`;
      text = `Un conseiller va vous rejoindre. Vous êtes ${rank} dans la file d'attente ` +
        `(attente estimée : environ ${live.estimate_minutes} min).`;
    } else if (live) text = "Un conseiller va vous rejoindre…";
    const line = document.getElementById("live-text");
    if (line.textContent !== text) line.textContent = text;
  }

  async function load() {
    try {
      showHistory(await call("POST", "/chat/ouvrir"));
      showAlert("");
    } catch (error) {
      outOfSync = true;
      showAlert(error.message);
    }
  }

  async function send(text, shown) {
    const message = text.trim();
    if (!message) return;
    addLine("user", shown || message, "Vous");
    typing.textContent = "ClaudIA écrit…";
    const clientId = newClientId();
    try {
      const replies = await deliver(message, clientId);
      if (replies) await answered(replies);
      else {
        showAlert(SLOW);
        followUp(message, clientId, 1);
      }
    } catch (error) {
      showAlert(error.message);
      outOfSync = true;  // the next successful poll reloads the conversation from the server
    } finally {
      typing.textContent = "";
      input.focus();
    }
  }

  async function news() {
    try { return await call("GET", `/chat/updates?after=${lastPushed}`); } catch (error) { return null; }
  }

  // `fetched`: news already asked for (an answer and the state it leads to are shown together).
  async function poll(fetched) {
    try {
      const data = fetched || await call("GET", `/chat/updates?after=${lastPushed}`);
      if (loaded && data && data.conversation && conversation && data.conversation !== conversation) {
        outOfSync = true;  // a new conversation was started from another browser of this account
      }
      if (outOfSync && !panel.hidden) { await load(); return; }
      const pushed = (data && data.messages) || [];
      if (!loaded) {
        // Not shown yet (the history will show them): only count what arrives from now on.
        if (baseline) unreadCount += pushed.length;
        for (const message of pushed) lastPushed = Math.max(lastPushed, message.id);
        baseline = true;
        showUnread();
      } else showPushed(pushed);
      showLive(data && data.live_chat);
    } catch (error) { /* the next poll tries again; sending shows the error */ }
  }

  function open() {
    panel.hidden = false;
    opener.setAttribute("aria-expanded", "true");
    opener.hidden = true;  // under the panel anyway (a phone's whole screen)
    unreadCount = 0;
    showUnread();
    input.focus();
    load();
  }

  function close() {
    panel.hidden = true;
    opener.hidden = false;
    opener.setAttribute("aria-expanded", "false");
    opener.focus();
  }

  opener.addEventListener("click", open);
  document.getElementById("close-chat").addEventListener("click", close);
  panel.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  stopWaiting.addEventListener("click", () => send("/annuler", STOP_WAITING));
  endChat.addEventListener("click", async () => {
    endChat.disabled = true;
    try {
      const data = await call("POST", "/chat/terminer");
      await answered(data.messages);
    } catch (error) { showAlert(error.message); } finally { endChat.disabled = false; }
  });
  document.getElementById("new-chat").addEventListener("click", async () => {
    if (liveStatus && !window.confirm("Une discussion avec un conseiller est en cours : commencer une " +
        "nouvelle conversation y mettra fin. Voulez-vous continuer ?")) return;
    try {
      await call("POST", "/chat/nouvelle");
      lastPushed = 0;
      await load();
      if (tabs) tabs.postMessage("changed");
    } catch (error) { showAlert(error.message); }
  });
  document.getElementById("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";
    send(text);
  });
  // Another tab of this session changed the conversation: show the same one here.
  if (tabs) tabs.onmessage = () => { if (!panel.hidden) load(); else outOfSync = true; };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !panel.hidden && loaded) load();
  });
  // Leaving the page: an operator on this chat is told, a waiting request will expire
  // (a reload comes back at once and counts as present again).
  window.addEventListener("pagehide", () => {
    fetch("/chat/quitter", { method: "POST", keepalive: true, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: "{}" });
  });
  // News every 1.5 s while the panel is open, 3 s while a live chat is on behind it, 15 s otherwise.
  async function pollLoop() {
    await poll();
    setTimeout(pollLoop, !panel.hidden ? 1500 : panel.classList.contains("live") ? 3000 : 15000);
  }
  pollLoop();
})();
