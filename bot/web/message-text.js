/*
 * How deskbot's pages show the text of a message: the chat widget, the agents' console and
 * the FAQ editor's Try. The markdown Rasa responses are written in ([a link](url), **bold**,
 * *italic*, - lists, line breaks), as rasa-webchat shows it, and bare web addresses, email
 * addresses and phone numbers as links; all built from text nodes and elements, never
 * HTML, so markup in a message shows as text. The server puts this file in front of
 * widget.js (bot/api/pages.py), so an embedded widget still needs one script tag.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // A short word with a hyphen in it: an order number ("NW-55820") or a range ("2-4").
  var HYPHENATED = /[^\s-]{1,12}(?:-[^\s-]{1,12}){1,3}/g;

  /* Text appended as text nodes, a short hyphenated word kept on one line: "NW-" ending one
   * line and "55820" starting the next read as two things. */
  function appendWords(parent, text) {
    var done = 0;
    var match;
    HYPHENATED.lastIndex = 0;
    while ((match = HYPHENATED.exec(text)) !== null) {
      parent.appendChild(document.createTextNode(text.slice(done, match.index)));
      parent.appendChild(el("span", "deskbot-nowrap", match[0]));
      done = match.index + match[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(done)));
  }

  // A web address in a message runs to a space or a character an address does not hold bare;
  // an email address; a phone number written with its country code ("+31 20 555 0199"; a
  // number without one could be an order number or a date).
  var LINK_IN_TEXT = [
    /https?:\/\/[^\s<>"]+/.source,
    /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/.source,
    /\+\d[\d ().-]{5,}\d/.source,
  ].join("|");
  // Markdown first, each a group: a \-escaped character; [a link](url); **bold** or
  // __bold__; *italic* or _italic_ (its "_" not inside a word: snake_case stays).
  var INLINE = [
    /\\([\\`*_[\]()#+.!-])/.source,
    /\[([^\]\n]+)\]\(\s*([^\s()]*(?:\([^\s()]*\)[^\s()]*)*)\s*\)/.source,
    /\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__(?!\w)/.source,
    /\*(?=[^\s*])([^*\n]*?[^\s*])\*|_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/.source,
    LINK_IN_TEXT,
  ].join("|");
  var CLOSES = { ")": "(", "]": "[", "}": "{" };

  /* A full stop, comma, quote or unmatched bracket at an address's end is the sentence's:
   * "(see https://x.example/a)." links https://x.example/a. */
  function trimUrl(url) {
    while (/[.,;:!?'")\]}]$/.test(url)) {
      var last = url.charAt(url.length - 1);
      var open = CLOSES[last];
      if (open && url.split(open).length >= url.split(last).length) break;  // its own pair
      url = url.slice(0, -1);
    }
    return url;
  }

  /* Where a link may go: web pages (a relative URL is the embedding site's), mail and
   * phone; anything else (javascript:, data:) is not a link. */
  function safeUrl(url) {
    try {
      var parsed = new URL(String(url || ""), window.location.href);
      return /^(https?|mailto|tel):$/.test(parsed.protocol) ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  /* The link a bare address makes: its text (a web address less the sentence's last stop)
   * and where it goes; null for one that goes nowhere. */
  function linkOf(found) {
    if (/^https?:/i.test(found)) {
      var url = trimUrl(found);
      var href = /^https?:\/\/[^/?#]/i.test(url) ? safeUrl(url) : null;
      return href ? { text: url, href: href } : null;
    }
    if (found.charAt(0) === "+") {  // tapped on a phone, it calls
      return { text: found, href: "tel:" + found.replace(/[^\d+]/g, ""), phone: true };
    }
    return { text: found, href: "mailto:" + found };
  }

  /* A link; a web page opens in a new tab, as the widget sits on someone else's page. */
  function anchor(href, className) {
    var a = el("a", className);
    a.href = href;
    if (/^https?:/i.test(href)) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }

  /* ``text``'s inline markdown and addresses into ``parent``; ``links``: false inside a
   * link's own words (a link in a link is no link). */
  function inline(parent, text, links) {
    var pattern = new RegExp(INLINE, "gi");  // one each: the calls nest
    var done = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var at = match.index;
      var bare = match.slice(1).every(function (group) { return group === undefined; });
      var link = bare && links ? linkOf(match[0]) : null;
      if (bare && !link) {  // an address that goes nowhere, or one in a link's words
        pattern.lastIndex = at + match[0].length;
        continue;
      }
      if (match[0].charAt(0) === "_" && /\w/.test(text.charAt(at - 1))) {
        pattern.lastIndex = at + 1;  // "_" inside a word (snake_case) is no markup
        continue;
      }
      appendWords(parent, text.slice(done, at));
      done = at + match[0].length;
      if (match[1] !== undefined) {
        parent.appendChild(document.createTextNode(match[1]));
      } else if (match[2] !== undefined) {
        var href = links && match[3] ? safeUrl(match[3]) : null;
        // a javascript: link, or one inside a link, stays the text it was written as
        var target = href ? parent.appendChild(anchor(href)) : parent;
        if (href) inline(target, match[2], false);
        else appendWords(parent, match[0]);
      } else if (match[4] !== undefined || match[5] !== undefined) {
        inline(parent.appendChild(el("strong")), match[4] || match[5], links);
      } else if (match[6] !== undefined || match[7] !== undefined) {
        inline(parent.appendChild(el("em")), match[6] || match[7], links);
      } else {
        var a = parent.appendChild(anchor(link.href, link.phone ? "deskbot-nowrap" : ""));
        a.textContent = link.text;
        done = at + link.text.length;  // the sentence's stop after it is text again
      }
      pattern.lastIndex = done;
    }
    appendWords(parent, text.slice(done));
  }

  /* A bot's or an agent's message into ``parent``: lines starting "- ", "* " or "+ " as a
   * list, the rest as written (the page keeps its line breaks), with inline markdown. */
  function render(parent, text) {
    var prose = [];
    var list = null;
    function flush() {
      if (prose.length) inline(parent, prose.join("\n"), true);
      prose = [];
    }
    String(text || "").split("\n").forEach(function (line) {
      var item = /^ {0,3}[-*+][ \t]+(\S.*)$/.exec(line);
      if (!item) {
        list = null;
        prose.push(line);
        return;
      }
      flush();
      if (!list) list = parent.appendChild(el("ul", "deskbot-list"));
      inline(list.appendChild(el("li")), item[1], true);
    });
    flush();
  }

  window.DeskbotText = { render: render, plain: appendWords, safeUrl: safeUrl };
})();
