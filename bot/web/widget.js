/*
 * deskbot web widget. Embed with one tag:
 *   <script src="https://bot.example.com/widget.js" data-title="Help" defer></script>
 * or call window.Deskbot.init({server: "https://bot.example.com", title: "Help"}) yourself
 * (add data-manual to the tag to stop it from starting on its own).
 * Speaks the socket.io channel (the same protocol as rasa-webchat); every text is built as
 * DOM nodes (message-text.js, served in front of this file), never as HTML.
 */
(function () {
  "use strict";
  var SCRIPT = document.currentScript;
  var TEXT = window.DeskbotText;
  if (!TEXT) {  // copied alone: say what is missing rather than fail on the first message
    console.error("deskbot: widget.js needs message-text.js loaded before it; use the " +
      "server's /widget.js, which is both");
    return;
  }
  var STORAGE_KEY = "deskbot.session_id";
  // Per tab (sessionStorage): the chat was open, so it opens again after a reload or on the
  // next page of the site, where it closed and the user had to find it again.
  var OPEN_KEY = "deskbot.open";
  // Per tab too: the launcher's count of unseen messages, gone after a reload or on the
  // next page of the site while the messages it counted were still unread.
  var UNSEEN_KEY = "deskbot.unseen";
  var TYPING_TIMEOUT_MS = 15000;
  // The most any server accepts (its DESKBOT_MAX_MESSAGE_CHARS is at most this); a message
  // under its own limit but over this is not sent, as a huge paste would break the socket.
  var MOST_CHARS = 5000;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 " +
      "0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 " +
      "0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z");
    svg.appendChild(path);
    return svg;
  }

  function baseUrl(options) {
    if (options.server) return options.server.replace(/\/+$/, "");
    if (SCRIPT && SCRIPT.src) return new URL(SCRIPT.src, document.baseURI).origin;
    return window.location.origin;
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.async = true;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(tag);
    });
  }

  function storedSession() {
    try { return window.localStorage.getItem(STORAGE_KEY); } catch (e) { return null; }
  }

  function storeSession(id) {
    try { window.localStorage.setItem(STORAGE_KEY, id); } catch (e) { /* private mode */ }
  }

  function wasOpen() {
    try { return window.sessionStorage.getItem(OPEN_KEY) === "1"; } catch (e) { return false; }
  }

  function storeOpen(open) {
    try {
      if (open) window.sessionStorage.setItem(OPEN_KEY, "1");
      else window.sessionStorage.removeItem(OPEN_KEY);
    } catch (e) { /* private mode */ }
  }

  /* The count kept for the conversation this browser has now: one counted for another
   * (a new session after the old one expired) is not shown against it. */
  function storedUnseen() {
    try {
      var kept = JSON.parse(window.sessionStorage.getItem(UNSEEN_KEY) || "null");
      var count = kept && kept.session === storedSession() ? kept.count : 0;
      return typeof count === "number" && count > 0 ? count : 0;
    } catch (e) { return 0; }
  }

  function storeUnseen(count) {
    try {
      if (count) {
        var kept = { session: storedSession(), count: count };
        window.sessionStorage.setItem(UNSEEN_KEY, JSON.stringify(kept));
      } else {
        window.sessionStorage.removeItem(UNSEEN_KEY);
      }
    } catch (e) { /* private mode */ }
  }

  function Widget(options) {
    this.options = options;
    this.server = baseUrl(options);
    // Read from storage when the chat connects, not now: a tab loaded before another tab
    // started the chat would start a second conversation and store its id over the first.
    this.sessionId = null;
    this.socket = null;
    this.historyLoaded = false;
    this.queued = [];
    this.typingTimer = null;
    this.unread = null;  // the first message of the replies coming in (see scroll)
    this.turns = 0;  // messages sent and not yet answered
    this.unseen = 0;  // messages that came while the chat was closed (the launcher's badge)
    this.elsewhereUntil = 0;  // replies to another tab's message until then: seen there
    this.greetOnOpen = false;  // an empty chat connected while closed greets when opened
    this.build();
  }

  Widget.prototype.build = function () {
    var self = this;
    var root = el("div", "deskbot");
    root.setAttribute("data-deskbot", "");
    var launcher = el("button", "deskbot-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-label", "Open the chat");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "deskbot-panel");
    launcher.appendChild(chatIcon());
    var badge = el("span", "deskbot-badge");
    badge.setAttribute("aria-hidden", "true");  // the launcher's label says it
    badge.hidden = true;
    launcher.appendChild(badge);
    // Heard once, while the chat is closed: "1 new message in the chat".
    var news = el("span", "deskbot-sr");
    news.setAttribute("role", "status");

    var panel = el("section", "deskbot-panel");
    panel.id = "deskbot-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", "deskbot-title");

    var header = el("header", "deskbot-header");
    var title = el("h2", "deskbot-title", this.options.title || "Chat with us");
    title.id = "deskbot-title";
    var close = el("button", "deskbot-close", "\u00D7");
    close.type = "button";
    close.setAttribute("aria-label", "Close the chat");
    header.appendChild(title);
    header.appendChild(close);

    var log = el("div", "deskbot-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-relevant", "additions");
    log.setAttribute("aria-label", "Conversation");
    log.tabIndex = 0;
    // Over the log's foot while there is more below what is shown: a burst of replies is
    // shown from its first, and on a phone the last ones were below the fold unannounced.
    var view = el("div", "deskbot-view");
    var more = el("button", "deskbot-more", "More below \u2193");
    more.type = "button";
    more.hidden = true;
    more.title = "Scroll to the latest message";
    view.appendChild(log);
    view.appendChild(more);

    var typing = el("div", "deskbot-typing");
    typing.setAttribute("role", "status");
    typing.hidden = true;
    var dots = el("span", "deskbot-dots");
    dots.setAttribute("aria-hidden", "true");
    dots.appendChild(el("span"));
    dots.appendChild(el("span"));
    dots.appendChild(el("span"));
    typing.appendChild(dots);
    typing.appendChild(el("span", "deskbot-sr", "The assistant is typing"));

    // How long the message is, once it nears the server's limit: a long complaint was
    // typed in full, then refused.
    var count = el("div", "deskbot-count");
    count.id = "deskbot-count";
    count.hidden = true;
    var form = el("form", "deskbot-form");
    var label = el("label", "deskbot-sr", "Your message");
    label.setAttribute("for", "deskbot-input");
    var input = el("input", "deskbot-input");
    input.id = "deskbot-input";
    input.type = "text";
    input.autocomplete = "off";
    // No maxlength: it cut a longer paste silently. The server refuses a message over its
    // limit in words ("the limit is 2000"), and the text is given back to shorten.
    input.placeholder = "Type a message\u2026";
    input.setAttribute("aria-describedby", "deskbot-count");
    var send = el("button", "deskbot-send", "Send");
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(send);

    panel.appendChild(header);
    panel.appendChild(view);
    panel.appendChild(typing);
    panel.appendChild(count);
    panel.appendChild(form);
    root.appendChild(panel);
    root.appendChild(launcher);
    root.appendChild(news);
    (this.options.container || document.body).appendChild(root);

    this.root = root;
    this.launcher = launcher;
    this.badge = badge;
    this.news = news;
    this.panel = panel;
    this.log = log;
    this.typing = typing;
    this.input = input;
    this.count = count;
    this.more = more;

    launcher.addEventListener("click", function () {
      if (panel.hidden) self.open(); else self.close();
    });
    close.addEventListener("click", function () { self.close(); });
    log.addEventListener("scroll", function () { self.below(); });
    // The log shrinks with no scroll event: a phone's keyboard opening, the window resized.
    if (window.ResizeObserver) new ResizeObserver(function () { self.below(); }).observe(log);
    more.addEventListener("click", function () {
      log.scrollTop = log.scrollHeight;
      self.below();
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); self.close(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      // The server's rule (bot.payloads.shows_anything): spaces, control and format
      // characters alone are not a message, so do not show an empty bubble for them.
      if (!text.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Z}]/gu, "")) return;
      var size = Array.from(text).length;  // characters, as the server counts them
      var limit = self.maxChars();
      if (size > limit) {  // left in the box to shorten
        self.notice("Your message is " + size.toLocaleString("en") + " characters; the " +
          "limit is " + limit.toLocaleString("en") + ". Please shorten it.");
        return;
      }
      input.value = "";
      self.counted();
      self.send(text, text, text);
    });
    input.addEventListener("input", function () { self.counted(); });
  };

  /* The server's limit once it has said it (deskbot_limits), else the most any allows. */
  Widget.prototype.maxChars = function () {
    return this.limit || MOST_CHARS;
  };

  /* The count shows from 80% of the limit on, and says when the message is over it. */
  Widget.prototype.counted = function () {
    var size = Array.from(this.input.value.trim()).length;
    var limit = this.maxChars();
    this.count.hidden = size < 0.8 * limit;
    var over = size > limit;
    this.count.classList.toggle("deskbot-count-over", over);
    this.count.textContent = size.toLocaleString("en") + " / " + limit.toLocaleString("en") +
      (over ? " \u2014 too long to send" : "");
  };

  /* ``quietly``: reopened after a reload, the focus stays where it is (on a phone, focusing
   * the input would pop the keyboard up over the page that just loaded). */
  Widget.prototype.open = function (quietly) {
    this.panel.hidden = false;
    storeOpen(true);
    this.launcher.setAttribute("aria-expanded", "true");
    this.setUnseen(0);
    if (!quietly) this.input.focus();
    this.connect();
    if (this.greetOnOpen) {
      this.greetOnOpen = false;
      if (!this.queued.length) this.emit(this.options.initPayload);
    }
    this.scroll();  // a log filled while closed had no height to scroll in
  };

  Widget.prototype.close = function () {
    this.panel.hidden = true;
    storeOpen(false);
    this.launcher.setAttribute("aria-expanded", "false");
    this.setUnseen(0);
    this.launcher.focus();
  };

  /* The launcher's count of messages that came while the chat was closed: a person's
   * answer to a user who closed the chat to wait went unnoticed. */
  Widget.prototype.setUnseen = function (count) {
    var open = !this.panel.hidden;
    this.unseen = open ? 0 : count;
    storeUnseen(this.unseen);
    this.badge.hidden = !this.unseen;
    this.badge.textContent = this.unseen > 9 ? "9+" : String(this.unseen);
    var label = open ? "Close the chat" : "Open the chat";
    if (this.unseen) {
      var said = this.unseen === 1 ? "1 new message" : this.unseen + " new messages";
      label += " (" + said + ")";
      this.news.textContent = said + " in the chat";
    } else {
      this.news.textContent = "";
    }
    this.launcher.setAttribute("aria-label", label);
  };

  /* A message from the bot or a person arrived: new to a user who has the chat closed,
   * unless it answers what they wrote in another tab, where they read it. */
  Widget.prototype.arrived = function (fromAgent) {
    if (!this.panel.hidden || (!fromAgent && Date.now() < this.elsewhereUntil)) return;
    this.setUnseen(this.unseen + 1);
  };

  Widget.prototype.connect = function () {
    var self = this;
    if (this.socket) return;
    var start = window.io ? Promise.resolve() : loadScript(this.server + "/vendor/socket.io.min.js");
    this.socket = true; // connecting
    start.then(function () {
      // WebSocket first: one connection stays on one server process, so several workers
      // (`deskbot serve --workers N`) need no sticky sessions. Long polling, for networks
      // that block WebSockets, sends each request anew and needs one worker or stickiness.
      var socket = window.io(self.server, {
        path: "/socket.io/",
        auth: self.options.auth || {},
        transports: ["websocket", "polling"],
        tryAllTransports: true
      });
      self.socket = socket;
      socket.on("connect", function () {
        if (self.offline) {  // the one "cannot reach" line goes, and the user learns why
          self.offline.textContent = "Connected again.";
          self.offline = null;
        }
        // Once confirmed, the id is this tab's; until then, the one the tabs share (if any).
        socket.emit("session_request", { session_id: self.sessionId || storedSession() });
      });
      socket.on("session_confirm", function (confirmed) {
        var id = confirmed && confirmed.session_id ? confirmed.session_id : confirmed;
        self.sessionId = String(id);
        storeSession(self.sessionId);
        self.root.setAttribute("data-session-id", self.sessionId);
        if (self.gap) {  // connected again: what was said meanwhile
          self.catchUp();
          return;
        }
        // Messages typed while connecting, or while the history loads, go after it is
        // shown, so the restored log (read from the server) does not show them twice, and
        // the opening greeting is not sent after them (a second greeting, after "hello").
        self.restoring = true;
        self.restore().then(function () {
          self.restoring = false;
          self.queued.splice(0).forEach(function (item) { self.emit(item.message, item.sent); });
        });
      });
      socket.on("deskbot_limits", function (limits) {
        var most = Number(limits && limits.max_message_chars);
        if (most > 0 && most <= MOST_CHARS) self.limit = most;
        self.counted();
      });
      socket.on("bot_uttered", function (message) {
        self.setTyping(false);
        self.showBot(message || {});
        self.arrived(((message || {}).metadata || {}).sender === "agent");
      });
      socket.on("deskbot_user_echo", function (message) {
        // Written in another tab of this chat: shown here too, before the reply it gets.
        self.elsewhereUntil = Date.now() + TYPING_TIMEOUT_MS;
        self.clearButtons();
        self.log.appendChild(self.bubble("user", String((message && message.text) || "")));
        self.scroll();
      });
      socket.on("deskbot_error", function (error) {
        self.setTyping(false);
        // The server's words are written for API clients too ("message is 2500
        // characters; the limit is 2000"): shown to a customer, as a sentence.
        var detail = String((error && error.detail) || "The message could not be sent.");
        detail = detail.charAt(0).toUpperCase() + detail.slice(1);
        self.notice(/[.!?]$/.test(detail) ? detail : detail + ".");
      });
      socket.on("disconnect", function () {
        self.turns = 0;  // their answers are lost
        self.markGap();
      });
      socket.on("connect_error", function () {
        // One line while the server is away, not one more per retry.
        if (self.offline) return;
        self.offline = self.notice("Cannot reach the assistant; retrying\u2026");
      });
    }).catch(function (error) {
      self.socket = null;
      self.notice(error.message);
    });
  };

  Widget.prototype.restore = function () {
    var self = this;
    if (this.historyLoaded) return Promise.resolve();
    this.historyLoaded = true;
    var url = this.server + "/api/widget/history/" + encodeURIComponent(this.sessionId);
    return fetch(url).then(function (response) {
      return response.ok ? response.json() : { messages: [] };
    }).then(function (history) {
      var messages = history.messages || [];
      if (!messages.length) {
        // A user who already typed something needs no opening greeting; a chat connected
        // while closed (to hear a reply) greets when it is opened.
        if (!self.options.initPayload || self.queued.length) return;
        if (self.panel.hidden) self.greetOnOpen = true;
        else self.emit(self.options.initPayload);
        return;
      }
      // The last message's replies are still the way forward after a reload (an image
      // sent after them, as its own message, leaves them in place).
      var shown = messages.filter(function (m) {
        return m.sender !== "bot" || m.text !== null || m.buttons;
      });
      var last = shown[shown.length - 1];
      var live = last && last.sender === "bot" && !self.queued.length ? last : null;
      // each message's next user message, found in one pass from the end
      var answers = [];
      for (var i = messages.length - 1, next = null; i >= 0; i--) {
        answers[i] = next;
        if (messages[i].sender === "user") next = messages[i];
      }
      var fragment = document.createDocumentFragment();
      messages.forEach(function (item, i) {
        self.render(item, item.text, true).forEach(function (node) { fragment.appendChild(node); });
        var quick = item.sender === "bot" && item !== live ? quickReplies(item.buttons) : [];
        var answer = answers[i];
        // chosen: the history holds the title of a "/" payload, a plain payload as sent
        var chosen = answer && quick.some(function (reply) {
          return answer.text === String(reply.title) || answer.text === String(reply.payload);
        });
        if (quick.length && !chosen) {  // as the live chat left them
          fragment.appendChild(offered(quick.map(function (reply) { return reply.title; })));
        }
      });
      // Not read out: a screen reader announced the whole past conversation, as new
      // messages of the log, every time a page of the site opened the chat again.
      var past = el("div", "deskbot-history");
      past.setAttribute("aria-live", "off");
      past.appendChild(fragment);
      self.log.insertBefore(past, self.log.firstChild);
      if (live && live.buttons) self.showButtons(live.buttons);
      self.scroll();
    }).catch(function () { /* history is a convenience */ });
  };

  /* The nodes that show one message of the history: ``text`` (the message's, or a part of
   * it), then its image and link buttons. */
  Widget.prototype.render = function (item, text, restored) {
    var nodes = [];
    if (text !== undefined && text !== null) {
      nodes.push(this.bubble(item.sender, text, item.agent, restored));
    }
    var img = item.image ? this.image(item.image) : null;
    if (img) nodes.push(img);
    var links = this.links(item.buttons || []);
    if (links) nodes.push(links);
    return nodes;
  };

  /* The connection dropped (a phone's screen locked, a train went into a tunnel): what is
   * shown so far is marked, to put what is said meanwhile after it once connected again.
   * A person's answer to a user waiting for one was lost until the page was reloaded. */
  Widget.prototype.markGap = function () {
    if (!this.historyLoaded || this.gap) return;
    var gap = el("span", "deskbot-gap");
    gap.hidden = true;
    // before a message still on its way: the server may have it, and what it answered
    this.log.insertBefore(gap, this.log.querySelector(".deskbot-pending"));
    this.gap = gap;
  };

  /* After a reconnection, the messages of the history said after those shown before the
   * gap and not shown since: found by the last few shown before it, in the history. */
  Widget.prototype.catchUp = function () {
    var self = this;
    var gap = this.gap;
    var url = this.server + "/api/widget/history/" + encodeURIComponent(this.sessionId);
    fetch(url).then(function (response) {
      return response.ok ? response.json() : { messages: [] };
    }).then(function (history) {
      if (self.gap !== gap) return;  // a later gap's catch-up has it
      var parts = historyParts(history.messages || []);
      var shown = self.shownKeys();
      var before = shown.filter(function (k) { return k.before; }).map(function (k) {
        return k.key;
      });
      var since = shown.filter(function (k) { return !k.before; }).map(function (k) {
        return k.key;
      });
      // The user's messages show as sent, the bot's as they come: one typed before the
      // greeting came is above it here and below it in the history, and nothing was
      // found (the person's answer stayed unseen). The run is matched on what the bot and
      // agents said; the user's messages shown from just before it on, and not in the
      // history there, are in the history after it: not shown again.
      var keys = parts.map(partKey);
      var saidAt = [];
      before.forEach(function (key, i) { if (!isUserKey(key)) saidAt.push(i); });
      var run = saidAt.slice(-5).map(function (i) { return before[i]; });
      var found = run.length ? lastRun(keys.map(function (key) {
        return isUserKey(key) ? "" : key;
      }), run) : { start: 0, end: 0 };
      if (!found) return;  // the history no longer holds them: nothing is guessed
      var typed = before.slice(saidAt[saidAt.length - run.length - 1] + 1 || 0);
      var from = found.start;
      while (from > 0 && (!keys[from - 1] || isUserKey(keys[from - 1]))) from--;
      keys.slice(from, found.end).forEach(function (key) {
        var at = typed.indexOf(key);
        if (isUserKey(key) && at >= 0) typed.splice(at, 1);
      });
      var missed = parts.slice(found.end);
      typed.filter(isUserKey).forEach(function (key) {
        var at = missed.map(partKey).indexOf(key);
        if (at >= 0) missed.splice(at, 1);
      });
      // What came through since the connection is back is shown already: the history's
      // last texts that are the first shown since.
      var texts = [];
      missed.forEach(function (part, i) { if (partKey(part)) texts.push(i); });
      for (var n = Math.min(texts.length, since.length); n > 0; n--) {
        var tail = texts.slice(texts.length - n).map(function (i) { return partKey(missed[i]); });
        if (tail.join("\u0001") === since.slice(0, n).join("\u0001")) {
          missed = missed.slice(0, texts[texts.length - n]);
          break;
        }
      }
      var fragment = document.createDocumentFragment();
      missed.forEach(function (part) {
        self.render(part.last ? part.item : { sender: part.item.sender, agent: part.item.agent },
          part.text, false).forEach(function (node) { fragment.appendChild(node); });
        if (part.item.sender !== "user") self.arrived(part.item.sender === "agent");
      });
      var last = missed[missed.length - 1];
      gap.parentNode.insertBefore(fragment, gap);
      if (last && last.last && !since.length && last.item.sender === "bot") {
        self.showButtons(last.item.buttons || []);
      }
      if (missed.length) self.scroll();
    }).catch(function () { /* history is a convenience */ }).then(function () {
      if (self.gap === gap) {
        gap.remove();
        self.gap = null;
      }
    });
  };

  /* The text bubbles shown (not refused), in order: ``before`` the gap or not. */
  Widget.prototype.shownKeys = function () {
    var gap = this.gap;
    var nodes = this.log.querySelectorAll(".deskbot-message:not(.deskbot-failed)");
    return Array.prototype.map.call(nodes, function (node) {
      var sender = /deskbot-(user|bot|agent)\b/.exec(node.className);
      var text = node.querySelector(".deskbot-text");
      return {
        key: (sender ? sender[1] : "") + "\u0000" + (text ? text.getAttribute("data-text") : ""),
        before: !!(gap && gap.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING),
      };
    });
  };

  /* The history's messages as the live chat shows them: the bot's text split at blank
   * lines, one bubble each (bot.dialogue.messages.BotMessage.split); an image alone. */
  function historyParts(messages) {
    var parts = [];
    messages.forEach(function (item) {
      var texts = [item.text];
      if (item.sender === "bot" && item.text && item.text.indexOf("\n\n") >= 0) {
        texts = item.text.split("\n\n").filter(function (t) { return t.trim(); });
        if (!texts.length) texts = [""];
      }
      texts.forEach(function (text, i) {
        parts.push({ item: item, text: text, last: i === texts.length - 1 });
      });
    });
    return parts;
  }

  function isUserKey(key) { return key.indexOf("user\u0000") === 0; }

  function partKey(part) {  // "" for an image alone
    var text = part.text;
    return text === undefined || text === null ? "" : part.item.sender + "\u0000" + text;
  }

  /* Where the last run of ``run`` in ``keys`` (text parts only) starts and just after
   * where it ends, or null. */
  function lastRun(keys, run) {
    var texts = [];
    keys.forEach(function (key, i) { if (key) texts.push({ key: key, at: i }); });
    for (var end = texts.length; end >= run.length; end--) {
      var same = true;
      for (var i = 0; i < run.length && same; i++) {
        same = texts[end - run.length + i].key === run[i];
      }
      if (same) return { start: texts[end - run.length].at, end: texts[end - 1].at + 1 };
    }
    return null;
  }

  /* Send one message; ``sent`` is its bubble and the text typed for it, if any. */
  Widget.prototype.emit = function (message, sent) {
    var payload = { message: message, session_id: this.sessionId };
    if (this.options.metadata) payload.metadata = this.options.metadata;
    var self = this;
    this.setTyping(true);
    this.turns += 1;
    this.socket.emit("user_uttered", payload, function (ack) {
      // The turn is over: replies (if any) came first. No replies means a person has the
      // chat; no acknowledgement at all, that the server refused the message.
      self.setTyping(false);
      self.turns = Math.max(0, self.turns - 1);
      if (!self.turns) self.unread = null;
      if (sent) sent.bubble.classList.remove("deskbot-pending");
      if (!ack && sent) {
        // Too many messages, too long, or the server could not take it: say so on its own
        // bubble and give the typed text back, rather than leave a bubble that looks sent.
        sent.bubble.classList.add("deskbot-failed");
        sent.bubble.appendChild(el("span", "deskbot-failed-note", " Not sent"));
        if (sent.typed && !self.input.value) {
          self.input.value = sent.typed;
          self.counted();
        }
        // The mark and the server's reason below it, in view: on a phone the reason was
        // under the refused message's tall bubble, out of sight.
        self.log.scrollTop = self.log.scrollHeight;
        return;
      }
      if (ack && ack.replies === 0 && ack.handoff === "human" && !self.waitingNoticeShown) {
        self.waitingNoticeShown = true;
        self.notice("Your message was passed on; a person will answer here.");
      }
    });
  };

  /* Show and send a message; ``typed``: the text to give back if it is refused (a
   * button's title is not, as sending it would not send the button's payload). */
  Widget.prototype.send = function (message, shown, typed) {
    this.clearButtons(typed === undefined);
    var sent = { bubble: this.bubble("user", shown), typed: typed };
    sent.bubble.classList.add("deskbot-pending");  // until the server has it
    this.log.appendChild(sent.bubble);
    this.unread = null;  // the user writes at the bottom; the answer starts anew
    this.scroll();
    if (!this.socket || this.socket === true || !this.sessionId || this.restoring) {
      // Typed before the session was confirmed or its history shown: sent as soon as it
      // is, not dropped.
      this.queued.push({ message: message, sent: sent });
      this.connect();
      return;
    }
    this.emit(message, sent);
  };

  Widget.prototype.bubble = function (sender, text, agent, restored) {
    var item = el("div", "deskbot-message deskbot-" + sender);
    if (restored) item.classList.add("deskbot-restored");
    var who = sender === "user" ? "You" : sender === "agent" ? "Agent" : "Assistant";
    if (sender === "agent" && agent) who = agent;  // the agent's name, as the API gives it
    var name = el("span", sender === "agent" ? "deskbot-author" : "deskbot-sr", who + ": ");
    // Hebrew or Arabic reads right to left, its bubble too; the name, set apart, does not
    // decide it.
    item.dir = "auto";
    name.dir = "ltr";
    item.appendChild(name);
    // The user's own words stay as typed; the bot's and an agent's markdown and web
    // addresses are shown as such. The text as sent, to know a message again (catchUp).
    var words = el("span", "deskbot-text");
    words.setAttribute("data-text", String(text || ""));
    if (sender === "user") TEXT.plain(words, String(text || ""));
    else TEXT.render(words, String(text || ""));
    item.appendChild(words);
    return item;
  };

  /* An image the bot sent, or null for a source that is not a web address. */
  Widget.prototype.image = function (source) {
    var src = String(source || "");
    if (!/^https?:\/\//i.test(src)) return null;
    var self = this;
    var img = el("img", "deskbot-image");
    img.addEventListener("load", function () { self.below(); });  // taller now
    img.src = src;
    img.alt = "Image from the assistant";
    return img;
  };

  Widget.prototype.showBot = function (message) {
    var meta = message.metadata || {};
    var sender = meta.sender === "agent" ? "agent" : "bot";
    if (sender === "agent") this.clearButtons();  // a person answers; the bot's offers are past
    var first = null;
    if (message.text !== undefined && message.text !== null) {
      first = this.log.appendChild(this.bubble(sender, message.text, meta.agent));
    }
    var attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) {
      var img = this.image(attachment.payload.src);
      if (img) {
        this.log.appendChild(img);
        first = first || img;
      }
    }
    var replies = message.quick_replies || message.buttons || [];
    var links = this.links(replies);
    if (links) {
      this.log.appendChild(links);
      first = first || links;
    }
    this.showButtons(replies);
    this.scroll(first);
  };

  function isLink(reply) {
    return !!reply && reply.type === "web_url";
  }

  /* Link buttons (an FAQ answer's links) open their page; they stay with their message. */
  Widget.prototype.links = function (replies) {
    var found = replies.filter(function (reply) {
      return isLink(reply) && TEXT.safeUrl(reply.url);
    });
    if (!found.length) return null;
    var group = el("div", "deskbot-links");
    found.forEach(function (reply) {
      var link = el("a", "deskbot-link", reply.title || reply.url);
      link.href = TEXT.safeUrl(reply.url);
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      group.appendChild(link);
    });
    return group;
  };

  /* Quick replies answer the newest question only: an older group goes when a new one comes. */
  Widget.prototype.showButtons = function (replies) {
    var self = this;
    var quick = quickReplies(replies);
    if (!quick.length) return;
    this.clearButtons();
    var group = el("div", "deskbot-buttons");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    quick.forEach(function (reply) {
      var button = el("button", "deskbot-button", reply.title);
      button.type = "button";
      button.addEventListener("click", function () {
        self.send(String(reply.payload || reply.title), String(reply.title));
        self.input.focus();
      });
      group.appendChild(button);
    });
    this.log.appendChild(group);
  };

  /* The live replies go. Passed over (the user wrote something else, a person answered),
   * they stay as a record: "Did you mean this?" alone, its option gone, asked nothing.
   * Chosen, they go: the user's message shows the choice. */
  Widget.prototype.clearButtons = function (chosen) {
    var groups = this.log.querySelectorAll(".deskbot-buttons");
    for (var i = 0; i < groups.length; i++) {
      var titles = Array.prototype.map.call(groups[i].querySelectorAll(".deskbot-button"),
        function (button) { return button.textContent; });
      if (chosen) groups[i].remove();
      else groups[i].replaceWith(offered(titles));
    }
  };

  function offered(titles) {
    var record = el("div", "deskbot-offered");
    record.setAttribute("role", "group");
    record.setAttribute("aria-label", "Replies offered");
    record.setAttribute("aria-live", "off");  // not news: its titles were read out before
    titles.forEach(function (title) { record.appendChild(el("span", "deskbot-offer", title)); });
    return record;
  }

  function quickReplies(replies) {
    return (replies || []).filter(function (reply) {
      return reply && !isLink(reply) && reply.title;
    });
  }

  Widget.prototype.notice = function (text) {
    var line = el("div", "deskbot-notice", text);
    this.log.appendChild(line);
    this.scroll();
    return line;
  };

  Widget.prototype.setTyping = function (on) {
    var self = this;
    this.typing.hidden = !on;
    clearTimeout(this.typingTimer);
    if (on) this.typingTimer = setTimeout(function () { self.typing.hidden = true; }, TYPING_TIMEOUT_MS);
  };

  /* To the bottom, but not past the start of the first new message (``arrived``: one just
   * shown): a 10,000-character answer showed its last words, and the user had to scroll far
   * up to find its start. The replies to the user's messages are new until the turn ends;
   * a message outside a turn (an agent's) is new alone. */
  Widget.prototype.scroll = function (arrived) {
    var log = this.log;
    if (arrived && !this.unread) this.unread = arrived;
    var target = log.scrollHeight - log.clientHeight;
    if (this.unread) {
      var start = this.unread.getBoundingClientRect().top - log.getBoundingClientRect().top +
        log.scrollTop - 12;  // the log's padding
      // and never back up: the user may be reading further down already
      target = Math.max(Math.min(target, start), log.scrollTop);
    }
    log.scrollTop = target;
    if (!this.turns) this.unread = null;
    this.below();
  };

  Widget.prototype.below = function () {
    var log = this.log;
    this.more.hidden = log.scrollHeight - log.clientHeight - log.scrollTop <= 40;
  };

  function injectStyles(server) {
    if (document.querySelector("link[data-deskbot-styles]")) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = server + "/widget.css";
    link.setAttribute("data-deskbot-styles", "");
    document.head.appendChild(link);
  }

  var Deskbot = {
    widget: null,
    init: function (options) {
      options = options || {};
      if (Deskbot.widget) return Deskbot.widget;
      injectStyles(baseUrl(options));
      var widget = (Deskbot.widget = new Widget(options));
      if (options.open) widget.open();
      else if (wasOpen()) widget.open(true);
      // A returning user's chat connects at once, closed or not: a person's answer to them
      // (or the shop's news) shows on the launcher rather than waiting, unseen, for a click.
      else if (storedSession()) {
        widget.setUnseen(storedUnseen());  // what came before this page, still unread
        widget.connect();
      }
      return widget;
    },
  };
  window.Deskbot = Deskbot;

  if (SCRIPT && !SCRIPT.hasAttribute("data-manual")) {
    var data = SCRIPT.dataset;
    var start = function () {
      Deskbot.init({
        server: data.server,
        title: data.title,
        initPayload: data.initPayload,
        open: data.open === "true",
      });
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})();
