/* The agents' console: conversations waiting for a person, transcripts with each turn's parse,
 * takeover, replies that reach the user's widget at once, and annotations. Polls every 2 s. */
(function () {
  "use strict";
  var C = window.DeskbotConsole;
  var el = C.el;
  var POLL_MS = 2000;
  var ERROR_MS = 8000;
  var NEAR_BOTTOM_PX = 60;
  var state = {
    selected: null, view: "waiting", timer: null, seen: {}, lastSeq: 0, me: null, holder: null,
    shown: null, titles: Object.create(null),
  };

  function field(labelText, input) {
    var box = el("div");
    var label = el("label", "", labelText);
    label.setAttribute("for", input.id);
    box.appendChild(label);
    box.appendChild(input);
    return box;
  }

  function build() {
    var app = document.getElementById("app");
    var layout = el("div", "layout");
    var left = el("section", "panel");
    left.setAttribute("aria-labelledby", "list-title");
    var title = el("h2", "", "Conversations");
    title.id = "list-title";
    var waiting = el("p", "status", "");
    waiting.id = "waiting-count";
    waiting.setAttribute("role", "status");
    var filters = el("form", "filters");
    var view = el("select");
    view.id = "view";
    [["waiting", "Waiting for a person"], ["human", "Taken over"], ["live", "Live"],
     ["low_confidence", "Low confidence"], ["all", "All"], ["closed", "Closed"]]
      .forEach(function (pair) {
        var option = el("option", "", pair[1]);
        option.value = pair[0];
        view.appendChild(option);
      });
    var intent = el("input");
    intent.id = "intent";
    intent.placeholder = "any";
    intent.size = 10;
    var since = el("input");
    since.id = "since";
    since.type = "date";
    var until = el("input");
    until.id = "until";
    until.type = "date";
    filters.appendChild(field("Show", view));
    filters.appendChild(field("Intent", intent));
    filters.appendChild(field("From", since));
    filters.appendChild(field("To", until));
    var list = el("ul", "conversations");
    list.id = "conversations";
    list.setAttribute("aria-label", "Conversations");
    [title, waiting, filters, list].forEach(function (n) { left.appendChild(n); });

    var right = el("section", "panel");
    right.id = "detail";
    right.setAttribute("aria-label", "Conversation");
    right.appendChild(el("p", "", "Choose a conversation."));
    layout.appendChild(left);
    layout.appendChild(right);
    app.appendChild(layout);

    [view, intent, since, until].forEach(function (input) {
      input.addEventListener("change", refreshList);
    });
    filters.addEventListener("submit", function (e) { e.preventDefault(); refreshList(); });
  }

  function query() {
    var params = new URLSearchParams();
    params.set("view", document.getElementById("view").value);
    var intent = document.getElementById("intent").value.trim();
    if (intent) params.set("intent", intent);
    var since = document.getElementById("since").value;
    var until = document.getElementById("until").value;
    // The agent's own days: local midnight to the next local midnight, sent in UTC.
    if (since) params.set("since", new Date(since + "T00:00:00").toISOString());
    if (until) {
      var end = new Date(until + "T00:00:00");
      end.setDate(end.getDate() + 1);
      params.set("until", end.toISOString());
    }
    return "/api/agent/conversations?" + params.toString();
  }

  var listed = 0;  // the latest list request; an older one's answer is stale

  function refreshList() {
    var request = ++listed;
    return C.api("GET", query()).then(function (data) {
      // The first list ("Waiting") answered after the one the agent switched to ("All")
      // and showed the waiting ones under "All" until the next poll.
      if (request !== listed) return;
      var list = document.getElementById("conversations");
      list.textContent = "";
      document.getElementById("waiting-count").textContent =
        data.waiting + (data.waiting === 1 ? " conversation waits" : " conversations wait") +
        " for a person";
      if (!data.conversations.length) {
        var from = document.getElementById("since").value;
        var to = document.getElementById("until").value;
        list.appendChild(el("li", "", from && to && from > to ?
          "None: From is after To." : "None."));
      }
      data.conversations.forEach(function (c) {
        var item = el("li");
        var button = el("button");
        button.type = "button";
        button.setAttribute("data-conversation", c.id);
        if (c.id === state.selected) button.setAttribute("aria-current", "true");
        button.appendChild(el("span", "", c.id));
        button.appendChild(el("span", "badge " + c.handoff, c.handoff.replace("_", " ")));
        if (c.low_confidence) button.appendChild(el("span", "badge low", "low confidence"));
        if (c.status === "closed" && c.handoff !== "closed") {
          button.appendChild(el("span", "badge closed", "closed"));  // said once, not twice
        }
        // What the user last wrote: an id alone does not tell two waiting chats apart.
        if (c.last_user_text) button.appendChild(el("div", "preview", c.last_user_text));
        // The queue is served longest-waiting first: say since when each one waits.
        var waits = c.handoff === "pending_human" && c.handoff_at;
        var when = el("div", "parse", waits ?
          "waiting since " + new Date(c.handoff_at).toLocaleString() :
          new Date(c.updated_at).toLocaleString());
        button.appendChild(when);
        button.addEventListener("click", function () { select(c.id); });
        item.appendChild(button);
        list.appendChild(item);
      });
    }).catch(showError);
  }

  function showError(error) {
    var detail = document.getElementById("detail");
    var old = document.getElementById("console-error");
    if (old) old.remove();
    // The API's hint for scripts ("force=true") is what the console's confirm does.
    var p = el("p", "error", String(error.message).replace(/ \(force=true\)$/, ""));
    p.id = "console-error";
    state.errorAt = Date.now();
    p.setAttribute("role", "alert");
    detail.insertBefore(p, detail.firstChild);
  }

  function confidence(score) {
    return typeof score === "number" ? " confidence " + score.toFixed(2) : "";
  }

  function parseLine(data) {
    var parts = [];
    var parse = data.parse || {};
    if (parse.intent && parse.intent.name) {
      var conf = typeof parse.intent.confidence === "number" ?
        " (" + parse.intent.confidence.toFixed(2) + ")" : "";
      parts.push("intent " + parse.intent.name + conf);
    }
    (parse.entities || []).forEach(function (e) { parts.push(e.entity + "=" + e.value); });
    var faq = data.faq;
    if (faq && faq.entry !== undefined) {
      // faq.score is the entry's confidence, the FAQ editor's Try "Confidence" (not its
      // "Fused score"): named as there.
      var line = "FAQ " + faq.entry + confidence(faq.score) + " (" + faq.decision + ")";
      // answered for one question of the message, the FAQ being unsure of the whole
      if (faq.part) line += " for \u201C" + faq.part + "\u201D";
      parts.push(line);
    } else if (faq) {
      parts.push("FAQ: no match");
    }
    // A message of several parts: the part the bot acted on, where the whole read otherwise,
    // and the FAQ's answers to its other questions.
    var split = data.read_in_parts;
    if (split) {
      var whole = (split.whole && split.whole.name) || "not understood";
      parts.push("acted on \u201C" + split.part + "\u201D (the whole read as " + whole + ")");
    }
    (data.more_questions || []).forEach(function (more) {
      var asked = " for \u201C" + more.text + "\u201D";
      if (more.decision === "suggest") {
        parts.push("also suggested FAQ " + (more.options || []).join(", ") + asked);
      } else if (more.decision === "none") {
        parts.push("no FAQ answer" + asked);
      } else {
        parts.push("also FAQ " + more.entry + confidence(more.score) + asked);
      }
    });
    if (data.low_confidence) parts.push("LOW CONFIDENCE");
    // told the bot speaks only the project's language: the agent may speak this one
    if (data.other_language) parts.push("WRITTEN IN " + data.other_language.name.toUpperCase());
    // The bot asked whether it read the message right; the user's answer confirmed it.
    if (data.confirm) parts.push("asked: " + data.confirm.intent + "?");
    // "2" or a button's title typed instead of clicked: the click it stood for.
    if (data.typed_choice) parts.push("chose button \u201C" + data.typed_choice.title + "\u201D");
    if (data.confirmed) {
      parts.push("confirmed: \u201C" + data.confirmed.text + "\u201D is " + data.confirmed.intent);
    }
    return parts.join(" \u00B7 ");
  }

  function annotateForm(conversationId, event) {
    var form = el("form", "annotate");
    var intent = el("input");
    intent.id = "annotate-intent-" + event.seq;
    intent.required = true;
    intent.value = ((event.data.parse || {}).intent || {}).name || "";
    var entities = el("input");
    entities.id = "annotate-entities-" + event.seq;
    entities.placeholder = "entity=text, …";
    entities.size = 24;
    // What the model found, to correct or keep: an empty field saved the message without
    // them, teaching the model that they are not entities.
    var said = event.data.text || "";
    entities.value = ((event.data.parse || {}).entities || []).filter(function (e) {
      return typeof e.start === "number" && typeof e.end === "number" && e.start < e.end &&
        e.end <= said.length;
    }).map(function (e) { return e.entity + "=" + said.slice(e.start, e.end); }).join(", ");
    var save = el("button", "secondary", "Save annotation");
    save.type = "submit";
    var intentLabel = el("label", "sr-only", "Right intent");
    intentLabel.setAttribute("for", intent.id);
    var entitiesLabel = el("label", "sr-only", "Entities as type=text");
    entitiesLabel.setAttribute("for", entities.id);
    [intentLabel, intent, entitiesLabel, entities, save].forEach(function (n) { form.appendChild(n); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = event.data.text || "";
      var found = [];
      var unread = [];
      entities.value.split(",").forEach(function (pair) {
        if (!pair.trim()) return;
        var bits = pair.split("=");
        var type = bits[0].trim();
        var value = bits.slice(1).join("=").trim();
        var start = value ? text.indexOf(value) : -1;
        // A pair it cannot place used to be dropped, and the form said "Saved".
        if (bits.length < 2 || !type || start < 0) { unread.push(pair.trim()); return; }
        found.push({ entity: type, start: start, end: start + value.length });
      });
      if (unread.length) {
        showError(new Error("Not saved: \"" + unread.join("\", \"") + "\" is not type=text " +
          "with text from the message."));
        return;
      }
      C.api("POST", "/api/agent/conversations/" + encodeURIComponent(conversationId) +
        "/annotations", { seq: event.seq, intent: intent.value.trim(), entities: found })
        .then(function (saved) {
          save.textContent = "Saved";
          if (saved.notes && saved.notes.length) showError(new Error("Saved; " + saved.notes.join("; ")));
        })
        .catch(showError);
    });
    return form;
  }

  // "agent:ana#3" is the API's bookkeeping (role, name, token number); agents know "ana".
  // Two logins with one name are told apart, since one may take over from the other.
  function person(actor) {
    if (!actor) return "?";
    // Transcript actors read "agent:ana#3", agent messages and the login "ana#3".
    var name = actor.replace(/^agent:/, "");
    if (name === (state.me || "").replace(/^agent:/, "")) return "you";
    var match = /^(.+)#\d+$/.exec(name);
    if (!match) return name;
    var mine = state.me && /^(?:agent:)?(.+)#\d+$/.exec(state.me);
    return mine && mine[1] === match[1] ? match[1] + " (another login)" : match[1];
  }

  // "taken over from bea#2" names the agent as the API does; say it as everywhere else.
  function reason(text) {
    var from = /^taken over from (.+)$/.exec(text);
    return from ? "taken over from " + person(from[1]) : text;
  }

  function renderEvent(conversationId, event) {
    var data = event.data || {};
    var item;
    if (event.type === "session") {
      if (data.event === "session_started") state.opening = true;
      return null;
    }
    // A click sends the button's payload ("/track_order"); the user saw its title.
    var title = event.type === "user" && state.titles[data.text];
    var payload = event.type === "user" && !title && /^\//.test(data.text || "");
    if (event.type === "user") {
      // The chat widget's (or rasa-webchat's) initPayload, sent as the chat opens: the
      // user typed nothing, so it is said as the handoffs and triggers are.
      var opening = payload && state.opening && data.channel === "socketio";
      state.opening = false;
      if (opening) {
        item = el("li", "meta", "opened the chat (" + data.text + ")");
        item.setAttribute("data-seq", event.seq);
        return item;
      }
    }
    if (event.type === "user" || event.type === "bot" || event.type === "agent") {
      item = el("li", event.type);
      var who = event.type === "user" ? "User" : event.type === "bot" ? "Bot" :
        (person(data.agent) === "you" ? "You (agent)" : "Agent " + person(data.agent));
      item.appendChild(el("span", "who", who + ":"));
      var text = el("span", "text", title ? title + " (button " + data.text + ")" :
        event.type === "user" ? data.text || "" : "");
      // The bot's and an agent's words as the user's widget shows them: links, bold, lists.
      if (event.type !== "user") window.DeskbotText.render(text, data.text || "");
      text.dir = "auto";  // Hebrew or Arabic in its own direction, punctuation where written
      if (payload) {
        // "/greet" from a button not shown here or typed as a shortcut: not words the user
        // wrote. The intent it names (its entities are in the line below).
        var intent = ((data.parse || {}).intent || {}).name;
        text = el("span", "text payload", intent ? "sent intent " + intent : data.text);
        text.title = data.text;
      }
      item.appendChild(text);
      if (event.type === "bot" && data.buttons && data.buttons.length) {
        // What the user was offered: an agent taking over sees the choices they had.
        item.appendChild(el("div", "parse", "buttons: " + data.buttons.map(function (b) {
          if (b.payload) state.titles[b.payload] = b.title;
          return "[" + (b.title || b.payload || b.url) + "]";
        }).join(" ")));
      }
      if (event.type === "user") {
        item.appendChild(el("div", "parse", parseLine(data)));
        // A button's or the widget's payload ("/greet") is no text to teach the model, nor
        // is a "2" typed for a button: it meant that button only where it was shown.
        if (!/^\//.test(data.text || "") && !data.typed_choice) {
          item.appendChild(annotateForm(conversationId, event));
        }
      }
    } else if (event.type === "handoff") {
      item = el("li", "meta", "handoff: " + (data.from || "?") + " \u2192 " + data.to +
        (data.reason ? " (" + reason(data.reason) + ")" : "") +
        (event.actor ? " by " + person(event.actor) : ""));
    } else if (event.type === "trigger") {
      // An intent the user did not send: a reminder an action set, or the trigger_intent API.
      var entities = (data.entities || []).map(function (e) {
        var value = e.value !== null && typeof e.value === "object" ? JSON.stringify(e.value) : e.value;
        return e.entity + "=" + value;
      });
      item = el("li", "meta", (data.reminder ? "reminder \u201c" + data.reminder + "\u201d fired: " :
        "intent triggered: ") + data.intent + (entities.length ? " {" + entities.join(", ") + "}" : "") +
        (data.skipped ? " (" + data.skipped + ")" : ""));
    } else if (event.type === "action" && data.name === "reminder") {
      item = el("li", "meta", data.error ? "reminder not set: " + data.error :
        "reminder \u201c" + data.reminder + "\u201d set for " + new Date(data.due).toLocaleString() +
        " (" + data.intent + ")");
    } else if (event.type === "annotation") {
      item = el("li", "meta", "annotated message " + data.seq + " as " + data.intent +
        " by " + person(event.actor));
    } else {
      return null;
    }
    item.setAttribute("data-seq", event.seq);
    if (event.created_at) item.insertBefore(when(event.created_at), item.firstChild);
    return item;
  }

  /* When an event happened: an agent taking over could not tell a message sent a minute ago
   * from one sent an hour ago. Today's show the time, older ones the day too. */
  function when(iso) {
    var date = new Date(iso);
    var today = date.toDateString() === new Date().toDateString();
    var time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    var node = el("time", "when", today ? time : date.toLocaleDateString() + " " + time);
    node.setAttribute("datetime", iso);
    node.title = date.toLocaleString();
    return node;
  }

  function action(name) {
    var id = state.selected;
    var path = "/api/agent/conversations/" + encodeURIComponent(id) + "/" + name;
    var holder = state.holder;
    // One click closed a waiting user's chat: they left the queue, unanswered.
    if (name === "close" && state.handoff === "pending_human" &&
        !window.confirm("This user is waiting for a person. Close the chat without an answer?")) {
      return Promise.resolve();
    }
    if (holder && holder !== state.me) {
      var doing = { takeover: "Take it over from them", release: "Give it back to the bot",
        close: "Close it" }[name];
      if (!window.confirm(person(holder) + " has this conversation. " + doing + "?")) {
        return Promise.resolve();
      }
      // The server refuses if someone else has it by now: the agent confirmed for this one.
      path += "?force=true&holder=" + encodeURIComponent(holder);
    }
    return C.api("POST", path)
      .then(function () { return loadDetail(true); })
      .then(refreshList)
      .catch(showError);
  }

  // A conversation's address is the console's with its id after "#": an agent can share
  // it, reload it, or go back to the one open before.
  function fromAddress() {
    try {
      return decodeURIComponent(location.hash.slice(1));
    } catch (e) {
      return "";  // a "%" typed into the address that is no escape
    }
  }

  function select(id) {
    if (fromAddress() !== id) location.hash = encodeURIComponent(id);
    state.selected = id;
    state.holder = null;  // the old conversation's; nothing may act on it until this one loads
    state.handoff = null;
    ["takeover", "release", "close"].forEach(function (name) {
      var button = document.getElementById("action-" + name);
      if (button) button.disabled = true;
    });
    loadDetail(true).then(function () {
      // On a phone the transcript is below the list: bring it into view.
      if (window.matchMedia("(max-width: 760px)").matches) {
        document.getElementById("detail").scrollIntoView();
      }
    }).then(refreshList);
  }

  function atBottom(list) {
    return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
  }

  function toBottom(list) {
    list.scrollTop = list.scrollHeight;
    document.getElementById("new-messages").hidden = true;
  }

  function loadDetail(full) {
    var id = state.selected;
    if (!id) return Promise.resolve();
    // A poll asks only for what came after the last event shown, not the whole transcript.
    var after = full || !document.getElementById("events") || state.shown !== id ?
      0 : state.lastSeq;
    return C.api("GET", "/api/agent/conversations/" + encodeURIComponent(id) +
      "?after=" + after).then(function (data) {
      if (id !== state.selected) return;
      var detail = document.getElementById("detail");
      // An error stays long enough to read, then goes: the view is current again.
      var stale = document.getElementById("console-error");
      if (stale && Date.now() - state.errorAt > ERROR_MS) stale.remove();
      var events = document.getElementById("events");
      var conv = data.conversation;
      var rebuild = full || !events || state.shown !== id;
      // A conversation opens at its latest messages, and new ones stay in view while the
      // agent is at the bottom; one reading further up keeps their place (a hint says more
      // came), after an action on the conversation too.
      var stay = events && state.shown === id && !atBottom(events) ? events.scrollTop : null;
      // and what the agent had typed stays typed (Take over emptied the reply box)
      var typed = state.shown === id ? document.getElementById("reply-text").value : "";
      var added = 0;
      if (rebuild) {
        detail.textContent = "";
        detail.className = "panel conversation";
        var heading = el("h2", "", "Conversation " + conv.id);
        heading.id = "detail-title";
        detail.appendChild(heading);
        var toolbar = el("div", "toolbar");
        var status = el("span", "badge " + conv.handoff, conv.handoff.replace("_", " "));
        status.id = "handoff-state";
        toolbar.appendChild(status);
        [["takeover", "Take over", ""], ["release", "Give back to the bot", "secondary"],
         ["close", "Close", "danger"]].forEach(function (spec) {
          var b = el("button", spec[2], spec[1]);
          b.type = "button";
          b.id = "action-" + spec[0];
          b.addEventListener("click", function () { action(spec[0]); });
          toolbar.appendChild(b);
        });
        detail.appendChild(toolbar);
        events = el("ol", "events");
        events.id = "events";
        events.setAttribute("aria-label", "Transcript");
        events.setAttribute("aria-live", "polite");
        detail.appendChild(events);
        var more = el("button", "secondary new-messages", "New messages \u2193");
        more.type = "button";
        more.id = "new-messages";
        more.hidden = true;
        more.addEventListener("click", function () { toBottom(events); });
        events.addEventListener("scroll", function () {
          if (atBottom(events)) more.hidden = true;
        });
        detail.appendChild(more);
        var reply = el("form", "reply");
        var label = el("label", "sr-only", "Reply to the user");
        label.setAttribute("for", "reply-text");
        var text = el("textarea");
        text.id = "reply-text";
        text.maxLength = 4000;  // the API's limit: stopped here rather than refused after
        text.placeholder = "Take over the conversation to reply";
        text.value = typed;
        var send = el("button", "", "Send");
        send.type = "submit";
        send.id = "reply-send";
        // Enter makes a new line (replies may have paragraphs); Ctrl+Enter sends, and the
        // button says so: a first reply sat in the box, never sent, while the agent waited.
        send.title = "Ctrl+Enter";
        text.setAttribute("aria-keyshortcuts", "Control+Enter Meta+Enter");
        text.addEventListener("keydown", function (e) {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !send.disabled) {
            e.preventDefault();
            reply.requestSubmit(send);
          }
        });
        var hint = el("span", "hint", "Ctrl+Enter sends");
        [label, text, send, hint].forEach(function (n) { reply.appendChild(n); });
        reply.addEventListener("submit", function (e) {
          e.preventDefault();
          var message = text.value.trim();
          if (!message) return;
          C.api("POST", "/api/agent/conversations/" + encodeURIComponent(id) + "/messages",
            { text: message }).then(function () {
            text.value = "";
            toBottom(events);  // to see what was sent
            return loadDetail(false);
          }).catch(showError);
        });
        detail.appendChild(reply);
        state.seen = {};
        state.titles = Object.create(null);  // a user may type "constructor"
        state.opening = true;  // the transcript's first message may be the widget's opening
        state.lastSeq = 0;
        state.shown = id;
      }
      var human = conv.handoff === "human";
      var holder = human ? conv.agent : null;
      var mine = human && (!holder || holder === state.me);
      state.holder = holder;
      state.handoff = conv.handoff;
      var badge = document.getElementById("handoff-state");
      badge.className = "badge " + conv.handoff;
      badge.textContent = conv.handoff.replace("_", " ") +
        (holder ? " \u2013 " + person(holder) : "");
      badge.title = holder || "";
      var takeover = document.getElementById("action-takeover");
      takeover.disabled = mine || conv.handoff === "closed";
      takeover.textContent = human && !mine ? "Take over from " + person(holder) : "Take over";
      // A closed conversation reopens with the user's next message; nothing to give back.
      document.getElementById("action-release").disabled =
        conv.handoff === "bot" || conv.handoff === "closed";
      document.getElementById("action-close").disabled = conv.handoff === "closed";
      document.getElementById("reply-send").disabled = !mine;
      document.getElementById("reply-text").placeholder = mine ?
        "Write to the user; it appears in their chat at once" :
        human ? person(holder) + " is answering this conversation" :
        "Take over the conversation to reply";
      data.events.forEach(function (event) {
        state.lastSeq = Math.max(state.lastSeq, event.seq);
        if (state.seen[event.seq]) return;
        state.seen[event.seq] = true;
        var item = renderEvent(id, event);
        if (item) { events.appendChild(item); added += 1; }
      });
      // Only when something came: a poll with nothing new snapped an agent reading a few
      // lines up (within NEAR_BOTTOM_PX) back down every two seconds.
      if (stay === null && (rebuild || added)) toBottom(events);
      else if (stay !== null && rebuild) events.scrollTop = stay;
      else if (added) document.getElementById("new-messages").hidden = false;
    }).catch(function (error) {
      // a mistyped address (shown above the conversation open before), or the open
      // one deleted (said above its transcript on every poll, its buttons still live)
      if (error.status === 404 && id === state.selected) {
        missing(id);
      } else {
        showError(error);
      }
    });
  }

  /* The address names no conversation: said in place of the one open before, which the
   * error was shown above as if it were about that one ("a/b" got a bare "Not Found"). */
  function missing(id) {
    state.selected = null;
    state.shown = null;
    // The address names it no more: typed again, it is looked for again (no hashchange
    // fires for the address already shown).
    if (fromAddress() === id) {
      history.replaceState(null, "", location.pathname + location.search);
    }
    var detail = document.getElementById("detail");
    detail.textContent = "";
    detail.className = "panel";
    var p = el("p", "error", "There is no conversation \u201c" + id + "\u201d: the address " +
      "may be mistyped, or the conversation was deleted. Pick one from the list.");
    p.id = "console-error";
    p.setAttribute("role", "alert");
    detail.appendChild(p);
  }

  function poll() {
    refreshList();
    loadDetail(false);
  }

  C.keepUnsaved(function () {
    var reply = document.getElementById("reply-text");
    return !!(reply && reply.value.trim());
  });
  C.login("Agents' console", "agent", function (me) {
    state.me = me.agent;
    // The FAQ editor needs an admin token; an agent's link would only lead to a refusal.
    document.getElementById("faq-link").hidden = me.role !== "admin";
    build();
    refreshList();
    if (fromAddress()) select(fromAddress());
    window.addEventListener("hashchange", function () {
      var id = fromAddress();
      if (id && id !== state.selected) select(id);
    });
    state.timer = setInterval(poll, POLL_MS);
  });
})();
