/* The FAQ editor: search, create, edit (with alternative phrasings), delete, import, export,
 * and a "try a question" box with ranked matches, the bot's decision and its reply. */
(function () {
  "use strict";
  var C = window.DeskbotConsole;
  var el = C.el;
  var state = { editing: null };
  var tries = 0;  // the latest "Try" request; an older one's answer is stale

  function labelled(text, input) {
    var box = el("div", "editor-field");
    var label = el("label", "", text);
    label.setAttribute("for", input.id);
    box.appendChild(label);
    box.appendChild(input);
    return box;
  }

  function input(id, tag) {
    var node = el(tag || "input");
    node.id = id;
    return node;
  }

  // An entry's "title | something" lines: its buttons and its links. Each one's field in
  // the API, its box's name, and the words for its second part in the form and its errors.
  var PAIRS = [
    { name: "buttons", title: "Buttons", second: "payload", words: "payload",
      placeholder: "Start a return | /start_return" },
    { name: "links", title: "Links", second: "url", words: "web address",
      placeholder: "Size chart | https://example.com/sizes" },
  ];

  // The API names a field by its JSON name ("external_key is empty"), which is right for
  // scripts; the editor says the form's label, so the user knows which box to fix.
  var LABELS = { external_key: "Key", question: "Question", alternatives: "Other phrasings",
    answer: "Answer", tags: "Tags" };
  var PARTS = {};  // "url": "web address"
  PAIRS.forEach(function (spec) {
    LABELS[spec.name] = spec.title;
    PARTS[spec.second] = spec.words;
  });
  var FIELD_IN_ERROR = new RegExp("(^|; )(" + Object.keys(LABELS).join("|") +
    ")(?:[[.](\\d+)]?)?(?:\\.(\\w+))?(?=[ :])", "g");

  function inFormWords(err) {
    if (err.code !== "ValidationError") return err.message;
    return err.message.replace(FIELD_IN_ERROR, function (all, start, name, index, part) {
      return start + LABELS[name] + (index ? " (no. " + (Number(index) + 1) + ")" : "") +
        (part ? " " + (PARTS[part] || part) : "");
    });
  }

  function message(text, isError) {
    var box = document.getElementById("faq-message");
    box.className = isError ? "error" : "status";
    box.textContent = text;
  }

  function build() {
    var app = document.getElementById("app");
    var layout = el("div", "layout wide-list");
    var left = el("section", "panel");
    left.setAttribute("aria-labelledby", "entries-title");
    var title = el("h2", "", "Entries");
    title.id = "entries-title";
    var search = el("form", "toolbar");
    search.setAttribute("role", "search");
    var q = input("search");
    q.type = "search";
    q.placeholder = "Search entries";
    q.title = "Words match anywhere; put \"a phrase\" in quotes to match it whole";
    var qLabel = el("label", "sr-only", "Search entries");
    qLabel.setAttribute("for", "search");
    var newButton = el("button", "secondary", "New entry");
    newButton.type = "button";
    newButton.id = "new-entry";
    var showDeleted = input("show-deleted");
    showDeleted.type = "checkbox";
    var deletedLabel = el("label", "check", "");
    deletedLabel.appendChild(showDeleted);
    deletedLabel.appendChild(document.createTextNode(" Show deleted"));
    [qLabel, q, newButton, deletedLabel].forEach(function (n) { search.appendChild(n); });
    var table = el("table");
    table.id = "entries";
    var head = el("thead");
    var row = el("tr");
    ["Key", "Question", "v", ""].forEach(function (h) { row.appendChild(el("th", "", h)); });
    head.appendChild(row);
    table.appendChild(head);
    table.appendChild(el("tbody"));

    var transfer = el("div", "toolbar");
    var format = input("format", "select");
    ["yaml", "json", "csv", "rasa"].forEach(function (f) {
      var option = el("option", "", f);
      option.value = f;
      format.appendChild(option);
    });
    var formatLabel = el("label", "", "Format");
    formatLabel.setAttribute("for", "format");
    var file = input("import-file");
    file.type = "file";
    // A chosen file sets the format by its name (.csv, .json, .yaml/.yml): a CSV read as
    // YAML said only "must be a list of entries". A .yml may be a Rasa file; keep rasa then.
    // Excel's "Unicode text" is a .txt of tab-separated cells, which the CSV reader takes.
    file.addEventListener("change", function () {
      var name = (file.files[0] && file.files[0].name || "").toLowerCase();
      var suffix = name.slice(name.lastIndexOf(".") + 1);
      var byName = { csv: "csv", tsv: "csv", txt: "csv", json: "json", yaml: "yaml",
        yml: "yaml" }[suffix];
      if (byName && !(byName === "yaml" && format.value === "rasa")) format.value = byName;
    });
    var fileLabel = el("label", "sr-only", "File to import");
    fileLabel.setAttribute("for", "import-file");
    var importButton = el("button", "secondary", "Import");
    importButton.type = "button";
    importButton.id = "import";
    var exportButton = el("button", "secondary", "Export");
    exportButton.type = "button";
    exportButton.id = "export";
    [formatLabel, format, fileLabel, file, importButton, exportButton]
      .forEach(function (n) { transfer.appendChild(n); });
    // How many a search found: a search matching nothing left an empty table, unexplained.
    var count = el("p", "status");
    count.id = "entries-count";
    count.setAttribute("role", "status");
    // Import and export above the list: a long base would push them out of sight.
    [title, search, transfer, count, table].forEach(function (n) { left.appendChild(n); });

    var right = el("section", "panel");
    var feedback = el("p", "status");
    feedback.id = "faq-message";
    feedback.setAttribute("role", "status");
    right.appendChild(feedback);
    right.appendChild(buildEditor());
    right.appendChild(buildTry());
    layout.appendChild(left);
    layout.appendChild(right);
    app.appendChild(layout);

    search.addEventListener("submit", function (e) { e.preventDefault(); refresh(); });
    q.addEventListener("input", refresh);
    showDeleted.addEventListener("change", refresh);
    newButton.addEventListener("click", function () { if (mayReplace()) edit(null); });
    importButton.addEventListener("click", importFile);
    exportButton.addEventListener("click", exportFile);
  }

  function buildEditor() {
    var form = el("form", "editor");
    form.id = "editor";
    form.setAttribute("aria-labelledby", "editor-title");
    var heading = el("h2", "", "New entry");
    heading.id = "editor-title";
    form.appendChild(heading);
    var key = input("f-key");
    key.placeholder = "left empty, it is made from the question";
    form.appendChild(labelled("Key", key));
    form.appendChild(labelled("Question", input("f-question")));
    form.appendChild(labelled("Other phrasings (one per line)", input("f-alternatives", "textarea")));
    form.appendChild(labelled("Answer", input("f-answer", "textarea")));
    form.appendChild(labelled("Tags (comma separated)", input("f-tags")));
    // An entry's buttons and links were shown nowhere: staff rewrote an answer around a
    // link they could not see, and could neither fix nor remove one but by an import.
    PAIRS.forEach(function (spec) {
      var box = input("f-" + spec.name, "textarea");
      box.rows = 2;
      box.placeholder = spec.placeholder;
      var label = spec.title + " (one per line: title | " + spec.words + ")";
      form.appendChild(labelled(label, box));
    });
    var active = input("f-active");
    active.type = "checkbox";
    active.checked = true;
    var activeLabel = el("label", "check", "");
    activeLabel.appendChild(active);
    activeLabel.appendChild(document.createTextNode(" Active (the bot uses it)"));
    form.appendChild(activeLabel);
    var bar = el("div", "toolbar");
    var save = el("button", "", "Save");
    save.type = "submit";
    save.id = "save";
    var remove = el("button", "danger", "Delete");
    remove.type = "button";
    remove.id = "delete";
    remove.hidden = true;
    bar.appendChild(save);
    bar.appendChild(remove);
    form.appendChild(bar);
    form.addEventListener("submit", function (e) { e.preventDefault(); saveEntry(); });
    remove.addEventListener("click", deleteEntry);
    return form;
  }

  function buildTry() {
    var box = el("form", "editor");
    box.id = "try";
    box.setAttribute("aria-labelledby", "try-title");
    var heading = el("h2", "", "Try a question");
    heading.id = "try-title";
    var text = input("try-text");
    var bar = el("div", "toolbar");
    var go = el("button", "", "Try");
    go.type = "submit";
    bar.appendChild(go);
    var result = el("div");
    result.id = "try-result";
    result.setAttribute("aria-live", "polite");
    [heading, labelled("Question", text), bar, result].forEach(function (n) { box.appendChild(n); });
    box.addEventListener("submit", function (e) {
      e.preventDefault();
      // Busy until this question's result is shown: the last one is still on screen.
      result.setAttribute("aria-busy", "true");
      // Only the latest question's result is shown: an earlier, slower one arriving after
      // it would pass for its answer.
      var asked = ++tries;
      C.api("POST", "/api/faq/try", { text: text.value, k: 5 }).then(function (data) {
        if (asked === tries) showTry(data);
      }).catch(function (err) {
        if (asked !== tries) return;
        // Here, in place of the last result, which would otherwise pass for this question's.
        var shown = document.getElementById("try-result");
        shown.setAttribute("aria-busy", "false");
        shown.textContent = "";
        shown.appendChild(el("p", "error", err.message));
        shown.scrollIntoView({ block: "nearest" });
      });
    });
    return box;
  }

  // Who answers the question in the chat, where the NLU reads it first: the FAQ's
  // verdict alone said "answer" where a sure intent's canned reply went out.
  function chatLine(chat, matches) {
    var read = chat.intent ? "the NLU reads it as " + chat.intent + " (" +
      chat.confidence.toFixed(2) + ")" : "the NLU does not understand it";
    var text;
    if (chat.by === "faq") {
      text = "In the chat: the FAQ takes this, as decided above; " + read + ".";
    } else if (chat.by === "language") {
      text = "In the chat: not the FAQ. It reads as written in " + chat.language +
        ", and the bot answers that it can only chat in " + chat.own + ".";
    } else if (chat.action === "action_default_ask_affirmation") {
      text = "In the chat: not the FAQ. " + capital(read) + ", and the bot asks whether " +
        "that is what they meant, with the FAQ's suggestions.";
    } else {
      text = "In the chat: not the FAQ. " + capital(read) + ", which the bot's project " +
        "answers with " + chat.action + ".";
      // A sure canned reply yields to an entry that has the very question as a phrasing.
      var already = matches.length && matches[0].exact;
      if (chat.phrasing_wins && !already) {
        text += " Add this question as a phrasing of an entry to answer it from the FAQ.";
      }
    }
    var p = el("p", "chat " + chat.by, text);
    p.id = "try-chat";
    return p;
  }

  function capital(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  /* What the user is told, as the widget shows it: the words (links, bold, lists), the
   * links, and the buttons (shown, not sent: there is no conversation here). */
  function replyBox(reply) {
    var box = el("div", "try-reply");
    box.id = "try-reply";
    box.appendChild(el("h3", "", "The chat replies"));
    reply.messages.forEach(function (m) {
      var said = el("div", "try-message");
      if (m.text !== null && m.text !== undefined) {
        window.DeskbotText.render(said.appendChild(el("div", "text")), m.text);
      }
      if (m.image) said.appendChild(el("div", "parse", "an image: " + m.image));
      var buttons = el("div", "try-buttons");
      (m.buttons || []).forEach(function (b) {
        var href = b.type === "web_url" && window.DeskbotText.safeUrl(b.url);
        var node = el(href ? "a" : "span", href ? "try-link" : "try-button", b.title || b.url);
        if (href) {
          node.href = href;
          node.target = "_blank";
          node.rel = "noopener noreferrer";
        } else {
          node.title = "sends " + b.payload;
        }
        buttons.appendChild(node);
      });
      if (buttons.firstChild) said.appendChild(buttons);
      box.appendChild(said);
    });
    if (reply.then) {  // the project's own code: only a chat runs it
      box.appendChild(el("p", "status", (reply.messages.length ? "Then the" : "The") +
        " project's " + reply.then + " runs; what it says shows only in a chat."));
    }
    return box;
  }

  function showTry(data) {
    var result = document.getElementById("try-result");
    result.textContent = "";
    result.setAttribute("aria-busy", "false");
    var line = el("p");
    line.appendChild(el("span", "", "Decision: "));
    var decision = el("span", "decision " + data.decision, data.decision);
    decision.id = "try-decision";
    line.appendChild(decision);
    line.appendChild(el("span", "", " (confidence " + data.confidence.toFixed(2) + ")"));
    result.appendChild(line);
    if (data.chat) result.appendChild(chatLine(data.chat, data.matches));
    if (data.reply) result.appendChild(replyBox(data.reply));
    var table = el("table");
    table.id = "try-matches";
    var head = el("tr");
    // The fused retrieval score (e.g. 1.537) ranks the matches; the confidence is what the
    // bot decides by and what the agents' console shows. "Score" beside it misled staff.
    ["#", "Entry", "Matched phrasing", "Fused score", "Confidence"].forEach(function (h) {
      head.appendChild(el("th", "", h));
    });
    head.children[3].title = "Semantic and keyword search combined: it ranks the matches " +
      "and is no probability";
    head.children[4].title = "How likely this entry answers the question; the bot answers " +
      "above its threshold, and the agents' console shows this number";
    table.appendChild(head);
    data.matches.forEach(function (m) {
      var row = el("tr");
      [m.rank, m.external_key, m.matched_phrasing, m.score.toFixed(3), m.confidence.toFixed(3)]
        .forEach(function (v) { row.appendChild(el("td", "", v)); });
      table.appendChild(row);
    });
    result.appendChild(table);
    // The editor panel scrolls on its own; the verdict was left below its fold.
    result.scrollIntoView({ block: "nearest" });
  }

  var listed = 0;  // the latest list request; an older one's answer is stale

  function refresh() {
    var q = document.getElementById("search").value.trim();
    var query = "?include_deleted=" + document.getElementById("show-deleted").checked;
    if (q) query += "&q=" + encodeURIComponent(q);
    var request = ++listed;
    return C.api("GET", "/api/faq/entries" + query)
      .then(function (data) {
        // Lists cross on the wire: a save's refresh answered after "Show deleted" was
        // ticked hid the deleted entries again, under the pointer about to press Restore.
        if (request !== listed) return;
        var body = document.querySelector("#entries tbody");
        body.textContent = "";
        var noun = function (n) { return n + (n === 1 ? " entry" : " entries"); };
        document.getElementById("entries-count").textContent = !q ? noun(data.total) :
          data.total ? data.total + " of " + noun(data.in_base) + " match \u201C" + q + "\u201D" :
          "No entry matches \u201C" + q + "\u201D (of " + noun(data.in_base) + ").";
        data.entries.forEach(function (entry) {
          var deleted = !!entry.deleted_at;
          var row = el("tr", deleted ? "deleted" : entry.active ? "" : "inactive");
          row.setAttribute("data-key", entry.external_key);
          row.appendChild(keyCell(entry.external_key));
          var question = el("td", "", entry.question);
          if (deleted || !entry.active) {
            question.appendChild(el("span", "tag", deleted ? "deleted" : "inactive"));
          }
          row.appendChild(question);
          row.appendChild(el("td", "", entry.version));
          var cell = el("td");
          var button = el("button", "secondary", deleted ? "Restore" : "Edit");
          button.type = "button";
          button.setAttribute("aria-label", (deleted ? "Restore " : "Edit ") + entry.external_key);
          button.addEventListener("click", function () {
            if (deleted) { restoreEntry(entry); return; }
            if (!mayReplace()) return;
            edit(entry);
            // The list may be older than another editor's save: load the latest version
            // while nothing is typed yet, or the next Save meets a conflict the user never
            // caused.
            C.api("GET", "/api/faq/entries/" + entry.id).then(function (latest) {
              var same = state.editing && state.editing.id === latest.id;
              if (same && latest.version !== state.editing.version && !unsaved()) edit(latest);
            }, function () {});
          });
          cell.appendChild(button);
          row.appendChild(cell);
          body.appendChild(row);
        });
      }).catch(function (err) { message(err.message, true); });
  }

  /* A key breaks after "_", "-", "." or "/" rather than mid-word (text nodes only). */
  function keyCell(key) {
    var cell = el("td", "key");
    String(key).split(/(?<=[_./-])/).forEach(function (part, i) {
      if (i) cell.appendChild(document.createElement("wbr"));
      cell.appendChild(document.createTextNode(part));
    });
    return cell;
  }

  // state.loaded: the entry as the form was filled from it, which Save compares the form
  // with; state.editing: its latest version known, which Save is made against (after a
  // conflict or a restore, the form keeps the user's text and only the version moves on).
  function edit(entry) {
    state.loaded = entry;
    moveTo(entry);
    var key = document.getElementById("f-key");
    key.value = entry ? entry.external_key : "";
    key.disabled = !!entry;
    document.getElementById("f-question").value = entry ? entry.question : "";
    document.getElementById("f-alternatives").value = entry ? entry.alternatives.join("\n") : "";
    document.getElementById("f-answer").value = entry ? entry.answer : "";
    document.getElementById("f-tags").value = entry ? entry.tags.join(", ") : "";
    PAIRS.forEach(function (spec) {
      document.getElementById("f-" + spec.name).value =
        entry ? pairsText(entry[spec.name], spec) : "";
    });
    document.getElementById("f-active").checked = entry ? entry.active : true;
    document.getElementById("delete").hidden = !entry;
    document.getElementById("f-question").focus();
  }

  /* Whether the form may be filled with another entry: a draft was thrown away unasked
   * when Edit or New entry was pressed before Save. */
  function mayReplace() {
    return !unsaved() || window.confirm("Discard your unsaved changes?");
  }

  function moveTo(entry) {
    state.editing = entry;
    document.getElementById("editor-title").textContent =
      entry ? "Edit " + entry.external_key + " (version " + entry.version + ")" : "New entry";
  }

  function pairsText(items, spec) {
    return items.map(function (item) { return item.title + " | " + item[spec.second]; })
      .join("\n");
  }

  /* A pairs box's lines as objects; a line without "|" is kept as an error the Save
   * names (it was the title or the address alone, and would have been lost). */
  function pairsOf(text, spec) {
    return lines(text, "\n").map(function (line) {
      var bar = line.indexOf("|");
      var item = { title: line.slice(0, bar).trim() };
      item[spec.second] = line.slice(bar + 1).trim();
      if (bar < 0 || !item.title || !item[spec.second]) item.bad = line;
      return item;
    });
  }

  function lines(text, separator) {
    return text.split(separator).map(function (s) { return s.trim(); })
      .filter(function (s) { return s; });
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  /* The form's fields, only those changed against the entry as the form was filled: the
   * form cannot show everything an entry may hold (a tag with a comma, an answer's \r\n),
   * and what someone else saved since must not be sent back as it was. A new entry's
   * fields are all its own. */
  function formChanges() {
    var body = {
      question: document.getElementById("f-question").value.trim(),
      alternatives: lines(document.getElementById("f-alternatives").value, "\n"),
      answer: document.getElementById("f-answer").value.trim(),
      tags: lines(document.getElementById("f-tags").value, ","),
      active: document.getElementById("f-active").checked,
    };
    PAIRS.forEach(function (spec) {
      body[spec.name] = pairsOf(document.getElementById("f-" + spec.name).value, spec);
    });
    var loaded = state.loaded;
    if (!loaded) return body;
    var shown = {  // each field as the form showed it
      question: loaded.question.replace(/[\r\n]/g, "").trim(),  // as a one-line input does
      alternatives: lines(loaded.alternatives.join("\n"), "\n"),
      answer: loaded.answer.replace(/\r\n?/g, "\n").trim(),  // as a textarea does
      tags: lines(loaded.tags.join(", "), ","), active: loaded.active,
    };
    PAIRS.forEach(function (spec) {
      shown[spec.name] = pairsOf(pairsText(loaded[spec.name], spec), spec);
    });
    Object.keys(shown).forEach(function (name) {
      if (same(body[name], shown[name])) delete body[name];
    });
    return body;
  }

  function unsaved() {
    if (!document.getElementById("f-question")) return false;
    var changes = formChanges();
    if (state.loaded) return Object.keys(changes).length > 0;
    return !!(changes.question || changes.answer || changes.alternatives.length ||
      PAIRS.some(function (spec) { return changes[spec.name].length; }));
  }

  function saveEntry() {
    var body = formChanges();
    var entry = state.editing;
    var request;
    var bad = [];
    PAIRS.forEach(function (spec) {
      (body[spec.name] || []).forEach(function (item) {
        if (item.bad) {
          bad.push(spec.title + ": \u201C" + item.bad + "\u201D is not title | " + spec.words);
        }
      });
    });
    if (bad.length) { message("Not saved: " + bad.join("; ") + ".", true); return; }
    if (entry) {
      body.version = entry.version;
      if (Object.keys(body).length === 1) {
        message("Nothing changed; nothing saved.");
        return;
      }
      request = C.api("PUT", "/api/faq/entries/" + entry.id, body);
    } else {
      body.external_key = document.getElementById("f-key").value.trim();
      request = C.api("POST", "/api/faq/entries", body);
    }
    request.then(function (saved) {
      var warnings = saved.warnings || [];
      message(entry && saved.version === entry.version ? "Nothing changed; nothing saved." :
        "Saved " + saved.external_key + " (version " + saved.version + ")." +
        warnings.map(function (w) { return " Note: " + w + "."; }).join(""));
      edit(saved);
      return refresh();
    }).catch(function (err) {
      if (err.status === 409 && entry && err.code === "EntryStateError") {
        // Deleted meanwhile: saving again cannot help (it answered "someone else saved"
        // on every press); restoring can.
        message(entry.external_key + " was deleted since you opened it. Your text is still " +
          "here: tick Show deleted and press Restore, then Save.", true);
        return refresh();
      }
      if (err.status !== 409 || !entry) { message(inFormWords(err), true); return; }
      // The form keeps this editor's text; it now stands against the version that won, so
      // a second Save replaces that version knowingly and Edit loads it instead.
      C.api("GET", "/api/faq/entries/" + entry.id).then(function (latest) {
        moveTo(latest);
        // The server's advice (reload, apply again) is what Edit does; say it in the
        // editor's terms instead of quoting it.
        message("Someone else saved " + latest.external_key + " since you opened it (it is " +
          "now version " + latest.version + "). Your text is still here: Save again to " +
          "put your changes over theirs, or press Edit to load theirs.", true);
        return refresh();
      }).catch(function (again) { message(again.message, true); });
    });
  }

  function deleteEntry() {
    var entry = state.editing;
    if (!entry || !window.confirm("Delete " + entry.external_key + "?")) return;
    C.api("DELETE", "/api/faq/entries/" + entry.id + "?version=" + entry.version)
      .then(function () { message("Deleted " + entry.external_key + "."); edit(null); refresh(); })
      .catch(function (err) {
        if (err.code !== "StaleEditError") { message(err.message, true); return; }
        message("Someone else saved " + entry.external_key + " since you opened it; " +
          "nothing was deleted. Press Edit to see their version, then delete it if you " +
          "still want to.", true);
        refresh();
      });
  }

  function restoreEntry(entry) {
    C.api("POST", "/api/faq/entries/" + entry.id + "/restore?version=" + entry.version)
      .then(function (restored) {
        message("Restored " + restored.external_key + (restored.active ?
          "; the bot answers with it again." : "; tick Active for the bot to answer with it."));
        var open = state.editing && state.editing.id === restored.id;
        // The entry being edited when someone deleted it: keep the user's text to Save.
        if (open) { moveTo(restored); message("Restored " + restored.external_key +
          "; your text is still here: Save to apply it."); }
        else if (mayReplace()) edit(restored);  // restored either way; the draft is asked for
        return refresh();
      }).catch(function (err) { message(err.message, true); });
  }

  function importFile() {
    var file = document.getElementById("import-file").files[0];
    if (!file) { message("Choose a file to import first.", true); return; }
    var format = document.getElementById("format").value;
    var path = "/api/faq/import?format=" + format + "&filename=" + encodeURIComponent(file.name);
    // The bytes as they are: the server names a file that is not UTF-8 rather than import
    // a browser's replacement characters.
    file.arrayBuffer().then(function (bytes) {
      return C.api("POST", path, bytes, true).catch(function (err) {
        // The file is older than edits made since it was exported: replace them only
        // when the user says so.
        if (err.status !== 409) throw err;
        if (!window.confirm(err.message + "\n\nReplace them with the file's version?")) {
          throw new Error(err.message);  // it says "nothing imported" already
        }
        return C.api("POST", path + "&overwrite=true", bytes, true);
      });
    }).then(function (r) {
      if (!r.created.length && !r.updated.length && !r.unchanged.length && !r.deleted.length) {
        message(file.name + " holds no entries" + (format === "rasa" ?
          " (a Rasa FAQ is intents named faq/…, with responses utter_faq/…)" :
          " (a header only?)") + "; nothing was imported.", true);
        return;
      }
      message("Imported: " + r.created.length + " new, " + r.updated.length + " changed, " +
        r.unchanged.length + " unchanged" +
        (r.deleted.length ? ", " + r.deleted.length + " deleted." : ".") +
        (r.notes.length ? " Note: " + r.notes.join("; ") + "." : ""));
      refresh();
    }).catch(function (err) { message(err.message, true); });
  }

  function exportFile() {
    var format = document.getElementById("format").value;
    C.api("GET", "/api/faq/export?format=" + format).then(function (text) {
      var body = typeof text === "string" ? text : JSON.stringify(text, null, 2);
      // The CSV's byte order mark (for Excel: see write_csv) is dropped by fetch's text().
      if (format === "csv" && body.charAt(0) !== "\uFEFF") body = "\uFEFF" + body;
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([body], { type: "text/plain" }));
      link.download = "faq." + (format === "rasa" ? "yml" : format);
      link.click();
      message("Exported the FAQ as " + format + ".");
    }).catch(function (err) { message(err.message, true); });
  }

  C.keepUnsaved(unsaved);
  C.login("FAQ editor", "admin", function () {
    build();
    refresh();
  });
})();
